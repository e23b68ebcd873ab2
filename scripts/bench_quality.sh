#!/usr/bin/env bash
# Time to quality: a candidate (by default --preset default) against --preset tutorial, judged
# by the tutorial's objective of the written output (nst_bench --evaluate: content relu5_2 x1e3
# + mean Gram MSE over relu1_1..relu5_1 x1e-2, at the output's size), on several content/style
# pairs of the sample images at 256 px and some of them at 512 px, each with random-weight
# models of two seeds. Prints one table (wall time, peak memory and objective of both, and the
# ratios) and whether every case met the targets (objective <= the tutorial's, time <= 20 % of
# the tutorial's).
#
#   scripts/bench_quality.sh                                  # everything (hours on 2 cores)
#   NST_QUALITY_ARGS="--preset default --lr 20" scripts/bench_quality.sh   # another candidate
#   NST_QUALITY_LARGE="" NST_QUALITY_MODEL_SEEDS=0 scripts/bench_quality.sh  # 256 px, one model
#
# The tutorial preset's runs are deterministic and long (about 17 minutes at 512 px here), so
# their results are kept in $NST_QUALITY_CACHE (default build/bench_quality_tutorial.tsv), keyed
# by the model's SHA-256, the pair, the size, the tutorial preset's options (nst_bench
# --print-options), the thread count and the CPU model, and reused on the same machine: trying a
# candidate then costs only the candidate's runs. Delete the file to measure the tutorial preset
# again.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

# The models of each seed are exported with torch: say at once where no Python has it.
find_torch_python >/dev/null
build_dir=${NST_BUILD_DIR:-build}
small_pairs=${NST_QUALITY_SMALL-fruits:starry_night home:baboon messi5:starry_night building:baboon}
large_pairs=${NST_QUALITY_LARGE-fruits:starry_night home:baboon}
model_seeds=${NST_QUALITY_MODEL_SEEDS:-0 1}
candidate=${NST_QUALITY_ARGS:---preset default}
threads=${NST_QUALITY_THREADS:-2}
cache=${NST_QUALITY_CACHE:-$build_dir/bench_quality_tutorial.tsv}
require_built "$build_dir" nst nst_bench
bash scripts/fetch_samples.sh samples >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
touch "$cache"
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//' || echo unknown)

tutorial_options=$("$build_dir/nst_bench" --model "$(random_model_of_seed 0)" --content samples/fruits.jpg \
  --style samples/starry_night.jpg --preset tutorial --print-options | sha256sum | cut -c1-16)

# The tutorial preset's "seconds peak objective" for model $1, pair $2:$3, size $4: from the
# cache, or measured and added to it.
tutorial_result() {
  local model_hash key cached
  model_hash=$(sha256sum "$1" | cut -c1-16)
  key="$model_hash|$2:$3|$4|$tutorial_options|$threads|$cpu"
  cached=$(awk -F'\t' -v k="$key" '$1 == k { print $2; exit }' "$cache")
  if [ -n "$cached" ]; then
    echo "$cached"
    return 0
  fi
  local result
  result=$(measure_run "$build_dir" "$threads" "$work" "$1" "$2" "$3" "$4" --preset tutorial)
  printf '%s\t%s\n' "$key" "$result" >>"$cache"
  echo "$result"
}

echo "candidate: $candidate; $threads threads; $cpu"
printf '%-5s %-24s %-5s | %8s %7s %11s | %8s %7s %11s | %6s %9s\n' size pair model \
  "tut. s" "MB" objective "cand. s" "MB" objective "time" objective
all_met=yes
for model_seed in $model_seeds; do
  model=$(random_model_of_seed "$model_seed")
  for size in 256 512; do
    pairs=$small_pairs
    [ "$size" = 512 ] && pairs=$large_pairs
    for pair in $pairs; do
      content=${pair%%:*} style=${pair##*:}
      read -r tut_s tut_mb tut_obj < <(tutorial_result "$model" "$content" "$style" "$size")
      # shellcheck disable=SC2086  # the candidate is a list of flags
      read -r cand_s cand_mb cand_obj < <(measure_run "$build_dir" "$threads" "$work" "$model" \
        "$content" "$style" "$size" $candidate)
      read -r time_ratio objective_ratio met < <(awk -v a="$cand_s" -v b="$tut_s" \
        -v c="$cand_obj" -v d="$tut_obj" \
        'BEGIN { printf "%.3f %.3f %s\n", a / b, c / d, (a <= 0.2 * b && c <= d) ? "yes" : "no" }')
      [ "$met" = yes ] || all_met=no
      printf '%-5s %-24s %-5s | %8.1f %7s %11.5g | %8.1f %7s %11.5g | %6s %9s %s\n' "$size" \
        "$pair" "$model_seed" "$tut_s" "$tut_mb" "$tut_obj" "$cand_s" "$cand_mb" "$cand_obj" \
        "$time_ratio" "$objective_ratio" "$([ "$met" = yes ] && echo met || echo "not met")"
    done
  done
done
echo "targets (objective <= the tutorial's, time <= 0.20 of its) met on every case: $all_met"
