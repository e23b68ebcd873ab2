#!/usr/bin/env bash
# The print workflow against one scale at the same cost: for each candidate (a label and its
# flags), each content/style pair of the sample images, each final size and each random-weight
# model seed, one nst run at that size; the table gives its wall time, peak memory and the
# tutorial's objective of the written output (nst_bench --evaluate, as scripts/bench_quality.sh
# judges presets) twice: at its size, the print seen from close by, and shrunk to the overview
# size (default 256 px) against the style at that size, the print seen whole from where its
# composition shows; then each candidate's time and objectives over the first candidate's on
# the same case.
#
#   scripts/bench_print.sh                                      # the default comparison
#   NST_PRINT_SIZES=1024 NST_PRINT_MODEL_SEEDS=0 scripts/bench_print.sh
#   NST_PRINT_CANDIDATES="print=--preset print;top50=--preset print --iterations 50" \
#     scripts/bench_print.sh
#
# At sizes below the print's 4096 px the chain is the preset's from 512 px up to the size:
# --preset print --size 1024 runs 512, 724 and 1024 px with 200, 71 and 25 steps, the cost of
# about 110 steps at 1024 px, and --preset print --size 1448 runs 200, 100, 50 and 25 steps,
# about 100 steps at 1448 px; hence the default baseline of one scale with 100 steps.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

# The models of each seed are exported with torch: say at once where no Python has it.
find_torch_python >/dev/null
build_dir=${NST_BUILD_DIR:-build}
pairs=${NST_PRINT_PAIRS:-fruits:starry_night home:baboon}
sizes=${NST_PRINT_SIZES:-724 1024}
model_seeds=${NST_PRINT_MODEL_SEEDS:-0 1}
threads=${NST_PRINT_THREADS:-2}
overview=${NST_PRINT_OVERVIEW:-256}
candidates=${NST_PRINT_CANDIDATES:-print=--preset print;one scale=--iterations 100}
require_built "$build_dir" nst nst_bench
bash scripts/fetch_samples.sh samples >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//' || echo unknown)

IFS=';' read -r -a entries <<<"$candidates"
echo "$threads threads; $cpu; candidates:"
for entry in "${entries[@]}"; do echo "  ${entry%%=*}: ${entry#*=}"; done
printf '%-5s %-22s %-5s %-11s | %8s %7s %11s %11s | %6s %8s %8s\n' size pair model candidate \
  seconds MB objective "at $overview" "time" objective "at $overview"
for model_seed in $model_seeds; do
  model=$(random_model_of_seed "$model_seed")
  for size in $sizes; do
    for pair in $pairs; do
      content=${pair%%:*} style=${pair##*:}
      first=""
      for entry in "${entries[@]}"; do
        label=${entry%%=*}
        # shellcheck disable=SC2086  # a candidate is a list of flags
        read -r seconds mb objective < <(measure_run "$build_dir" "$threads" "$work" "$model" \
          "$content" "$style" "$size" ${entry#*=})
        whole=$("$build_dir/nst_bench" --threads "$threads" --model "$model" \
          --content "samples/$content.jpg" --style "samples/$style.jpg" --sizes "$overview" \
          --preset tutorial --evaluate "$work/out.png")
        [ -n "$first" ] || first="$seconds $objective $whole"
        read -r ratios < <(echo "$first" | awk -v a="$seconds" -v c="$objective" -v w="$whole" \
          '{ printf "%.3f %.3f %.3f\n", a / $1, c / $2, w / $3 }')
        # shellcheck disable=SC2086  # three numbers
        printf '%-5s %-22s %-5s %-11s | %8.1f %7s %11.5g %11.5g | %6s %8s %8s\n' "$size" "$pair" \
          "$model_seed" "$label" "$seconds" "$mb" "$objective" "$whole" $ratios
      done
    done
  done
done
