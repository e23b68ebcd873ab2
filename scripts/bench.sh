#!/usr/bin/env bash
# Benchmark, one run on this machine: seconds per step of nst's optimisation loop and of a bare
# VGG19 forward+backward to the same deepest layer, at 256 and 512 px, then the wall time of
# whole nst runs. Uses opencv-doc's fruits.jpg and starry_night.jpg, and models/vgg19.pt or,
# without it, the random-weight model (timings do not depend on the weights' values).
#   NST_BENCH_SIZES=256,512 NST_BENCH_ITERATIONS=10 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

build_dir=${NST_BUILD_DIR:-build}
sizes=${NST_BENCH_SIZES:-256,512}
iterations=${NST_BENCH_ITERATIONS:-10}
require_built "$build_dir" nst nst_bench
bash scripts/fetch_samples.sh samples
model=$(sample_model)

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "== loop step against bare forward+backward (model $model)"
"$build_dir/nst_bench" --model "$model" --content samples/fruits.jpg \
  --style samples/starry_night.jpg --sizes "$sizes" --iterations "$iterations" \
  --precisions fp32,bf16

echo "== whole nst runs ($iterations iterations, including start-up, loading and saving)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for size in ${sizes//,/ }; do
  start=$(date +%s.%N)
  "$build_dir/nst" -q --model "$model" --content samples/fruits.jpg \
    --style samples/starry_night.jpg -o "$out/bench.png" --overwrite --size "$size" \
    --iterations "$iterations"
  end=$(date +%s.%N)
  awk -v s="$size" -v a="$start" -v b="$end" -v n="$iterations" \
    'BEGIN { printf "size %s: %.2f s wall for %d iterations\n", s, b - a, n }'
done
