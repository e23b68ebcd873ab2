#!/usr/bin/env bash
# Quality per second, in one run on this machine, on opencv-doc's fruits.jpg and
# starry_night.jpg:
#  1. seconds per iteration in fp32 and bf16 and the loss after the same number of steps
#     (nst_bench --precisions fp32,bf16);
#  2. time to quality: the seed objective (Gram style + content loss, seed weights and layers)
#     of --preset seed's output after its 1000 iterations, then the wall time the candidate
#     (by default --preset default) needs, at growing --iterations budgets, to do as well;
#  3. each run's wall time and peak resident memory (the first budget is a plain default run).
#
#   scripts/bench_quality.sh                      # 512 px, seed 1000 iterations (~35 min here)
#   NST_QUALITY_SIZE=256 NST_QUALITY_SEED_ITERATIONS=300 scripts/bench_quality.sh   # quicker
#   NST_QUALITY_ARGS="--min-scale 128 --average-decay 0.99" \
#   NST_QUALITY_BUDGETS="50 100 200" scripts/bench_quality.sh   # another candidate
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

build_dir=${NST_BUILD_DIR:-build}
size=${NST_QUALITY_SIZE:-512}
seed_iterations=${NST_QUALITY_SEED_ITERATIONS:-1000}
candidate=${NST_QUALITY_ARGS:---preset default}
budgets=${NST_QUALITY_BUDGETS:-300 500 700}
require_built "$build_dir" nst nst_bench
bash scripts/fetch_samples.sh samples
model=$(sample_model)
python=$(find_torch_python)
content=samples/fruits.jpg
style=samples/starry_night.jpg
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs nst with the given flags into $work/$1.png; prints "seconds peak_MB seed_objective".
run() {
  local name=$1
  shift
  local start end
  start=$(date +%s.%N)
  "$build_dir/nst" -q --model "$model" -c "$content" -s "$style" -o "$work/$name.png" \
    --size "$size" --report "$work/$name.json" "$@"
  end=$(date +%s.%N)
  local objective
  objective=$("$build_dir/nst_bench" --model "$model" --content "$content" --style "$style" \
    --sizes "$size" --preset seed --evaluate "$work/$name.png")
  "$python" - "$work/$name.json" "$start" "$end" "$objective" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
seconds = float(sys.argv[3]) - float(sys.argv[2])
peak = report["jobs"][0]["peak_memory_bytes"] / 1e6
print(f"{seconds:.1f} {peak:.0f} {float(sys.argv[4]):.6g}")
PY
}

echo "== fp32 against bf16, $size px, 10 steps of the default preset"
"$build_dir/nst_bench" --model "$model" --content "$content" --style "$style" --sizes "$size" \
  --precisions fp32,bf16

echo "== seed preset, $size px, $seed_iterations iterations"
read -r seed_seconds seed_peak seed_objective < <(run seed --preset seed --iterations "$seed_iterations")
echo "seed: ${seed_seconds} s, peak ${seed_peak} MB, seed objective ${seed_objective}"

echo "== candidate: $candidate"
for budget in $budgets; do
  # shellcheck disable=SC2086  # the candidate is a list of flags
  read -r seconds peak objective < <(run "candidate-$budget" $candidate --iterations "$budget")
  ratio=$(awk -v a="$seconds" -v b="$seed_seconds" 'BEGIN { printf "%.2f", a / b }')
  echo "--iterations $budget: ${seconds} s (${ratio} of seed), peak ${peak} MB, seed objective ${objective}"
  if awk -v a="$objective" -v b="$seed_objective" 'BEGIN { exit !(a <= b) }'; then
    echo "reached the seed's quality in ${seconds} s: ${ratio} of the seed preset's ${seed_seconds} s (target <= 0.20)"
    exit 0
  fi
done
echo "no budget reached the seed's quality; try larger NST_QUALITY_BUDGETS"
