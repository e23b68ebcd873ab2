#!/usr/bin/env bash
# Fuzzes the image loading path with libFuzzer: builds fuzz_image_decode with clang (ASan and
# UBSan on) in build-fuzz/, makes the seed corpus, runs a fixed number of inputs and prints the
# executions and findings. Exits 1 if anything was found (kept in build-fuzz/findings/).
#
#   scripts/fuzz.sh                    # 200000 runs
#   NST_FUZZ_RUNS=20000 scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${NST_FUZZ_BUILD_DIR:-build-fuzz}
runs=${NST_FUZZ_RUNS:-200000}

for tool in clang clang++; do
  if ! command -v "$tool" >/dev/null; then
    echo "error: $tool is missing; install Debian's clang and libclang-rt-dev" >&2
    exit 1
  fi
done
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DNST_FUZZ=ON -DNST_BUILD_TESTS=OFF -DNST_BUILD_BENCHMARKS=OFF
fi
cmake --build "$build_dir" --target fuzz_image_decode nst_fuzz_corpus -j"$(nproc)"

seed=$build_dir/seed_corpus
work=$build_dir/corpus
findings=$build_dir/findings
rm -rf "$findings"
mkdir -p "$work" "$findings"
"$build_dir/fuzz/nst_fuzz_corpus" "$seed"

log=$build_dir/fuzz.log
# New inputs go to $work, the seeds stay as they are. Leaks inside OpenCV's and LibTorch's own
# one-time initialisation are not ours: see scripts/sanitizer/lsan.supp.
status=0
LSAN_OPTIONS=suppressions=$PWD/scripts/sanitizer/lsan.supp \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$build_dir/fuzz/fuzz_image_decode" -runs="$runs" -max_len=65536 -timeout=20 \
  -rss_limit_mb=3072 -print_final_stats=1 -artifact_prefix="$findings/" \
  "$work" "$seed" >"$log" 2>&1 || status=$?

executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
found=$(find "$findings" -type f | wc -l)
echo "fuzz: ${executions:-?} executions, $found findings (log: $log)"
if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
  tail -n 40 "$log" >&2
  echo "fuzz: FAILED; the inputs that failed are in $findings/" >&2
  exit 1
fi
