#!/usr/bin/env bash
# Fuzzes with libFuzzer, ASan and UBSan on: builds the targets in the sanitizer tests' clang
# build (build-sanitize/, shared with scripts/test_sanitizers.sh), makes their starting corpora,
# runs a fixed number of inputs through each (shared among one process per CPU) and prints, per
# target, the executions, the coverage reached and the findings. Exits 1 if anything was found
# (kept in build-sanitize/findings/TARGET/).
#
#   fuzz_image_decode  bytes through the image loading path (headers, OpenCV, EXIF, alpha)
#   fuzz_report        untrusted file names and reasons through the JSON run report
#   fuzz_arguments     untrusted command lines through parsing and option validation
#
#   scripts/fuzz.sh                                  # 200000 runs of each target
#   NST_FUZZ_RUNS=20000 scripts/fuzz.sh
#   NST_FUZZ_TARGETS=fuzz_report scripts/fuzz.sh
#   NST_FUZZ_WORKERS=1 scripts/fuzz.sh                # one process per target
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
build_dir=${NST_SANITIZE_BUILD_DIR:-build-sanitize}
runs=${NST_FUZZ_RUNS:-200000}
targets=${NST_FUZZ_TARGETS:-fuzz_image_decode fuzz_report fuzz_arguments}

if ! command -v clang++ >/dev/null; then
  echo "error: clang++ is missing; install Debian's clang and libclang-rt-dev" >&2
  exit 1
fi
# The sanitizer tests' build (scripts/test_sanitizers.sh): with clang it holds the targets.
configure_sanitizer_build "$build_dir"
if ! grep -q '^NST_FUZZ:BOOL=ON' "$build_dir/CMakeCache.txt"; then
  echo "error: $build_dir was configured without clang and has no fuzz targets; remove it and" \
    "run again with clang installed" >&2
  exit 1
fi
# shellcheck disable=SC2086
cmake --build "$build_dir" --target $targets nst_fuzz_corpus -j"$(nproc)"

# Starting inputs: an image in every format for the decoder; command lines from the README for the
# parser (arguments separated by NUL bytes); the report needs none.
starts=$build_dir/starts
mkdir -p "$starts/fuzz_image_decode" "$starts/fuzz_report" "$starts/fuzz_arguments"
"$build_dir/fuzz/nst_fuzz_corpus" "$starts/fuzz_image_decode"
i=0
while IFS= read -r line; do
  i=$((i + 1))
  # shellcheck disable=SC2086
  printf '%s\0' $line >"$starts/fuzz_arguments/readme_$i"
done <<'LINES'
-c turtle.jpg -s wave.jpg -o out.png
-c photos/ -s styles/ -o 'out/{style}/{content}.jpg' --skip-existing --report run.json
-c a.jpg -s b.jpg -s c.jpg --blend 0.3,0.7 -o out.png --preset fast --size 256
-c - -s b.jpg -o - --output-format jpg --seed 7 --precision fp32 --device cpu
-c a.jpg -s b.jpg -o out.png --min-scale 128 --upsample residual --style-layers relu1_1,relu2_1
-c a.jpg -s b.jpg -o out.png --shard 1/4 --time-limit 60 --save-every 100 --progress json
-c a.jpg -s b.jpg -o out.png --optimizer lbfgs --iterations 50 --lr-schedule cosine --init noise
-c a.jpg -s b.jpg -o out.png --preserve-colors luminance --style-scale 0.5 --tv-weight 1e-3
LINES

# Each target's runs are shared among $workers processes at once (one per CPU by default), on one
# corpus folder; the executions reported are their sum.
workers=${NST_FUZZ_WORKERS:-$(nproc)}
status=0
for target in $targets; do
  work=$build_dir/corpus/$target
  findings=$build_dir/findings/$target
  rm -rf "$findings" "$build_dir/$target".*.log
  mkdir -p "$work" "$findings"
  # New inputs go to $work, the starting inputs stay as they are. Leaks inside OpenCV's and LibTorch's
  # own one-time initialisation are not ours: see scripts/sanitizer/lsan.supp.
  pids=()
  for worker in $(seq 1 "$workers"); do
    share=$((runs / workers + (worker <= runs % workers ? 1 : 0)))
    LSAN_OPTIONS=suppressions=$PWD/scripts/sanitizer/lsan.supp \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$build_dir/fuzz/$target" -runs="$share" -max_len=65536 -timeout=20 \
      -rss_limit_mb=3072 -print_final_stats=1 -artifact_prefix="$findings/" \
      "$work" "$starts/$target" >"$build_dir/$target.$worker.log" 2>&1 &
    pids+=($!)
  done
  target_status=0
  for pid in "${pids[@]}"; do
    wait "$pid" || target_status=$?
  done
  logs=("$build_dir/$target".*.log)
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "${logs[@]}" |
    awk '{ sum += $1 } END { print sum + 0 }')
  coverage=$(grep -ho 'cov: [0-9]* ft: [0-9]*' "${logs[@]}" | sort -t' ' -k2 -n | tail -1)
  found=$(find "$findings" -type f | wc -l)
  echo "$target: $executions executions in $workers workers, highest ${coverage:-cov: ?}," \
    "$found findings (logs: $build_dir/$target.*.log)"
  if [ "$target_status" -ne 0 ] || [ "$found" -ne 0 ] || [ "$executions" -lt "$runs" ]; then
    tail -n 40 "${logs[@]}" >&2
    echo "$target: FAILED; the inputs that failed are in $findings/" >&2
    status=1
  fi
done
exit "$status"
