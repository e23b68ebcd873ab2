#!/usr/bin/env bash
# The main job on sample images: paints opencv-doc's fruits.jpg in the style of Van Gogh's
# starry_night.jpg and writes out/fruits_starry_night.png. Run scripts/setup.sh first.
#
# With models/vgg19.pt (ImageNet weights) this is real style transfer. Without it, the sample
# uses a VGG19 with fixed random weights, which shows the whole pipeline working (colours and
# textures move) but is not real style transfer.
#   NST_SAMPLE_SIZE=512 NST_SAMPLE_ITERATIONS=500 scripts/run_sample.sh   # bigger, slower
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

build_dir=${NST_BUILD_DIR:-build}
size=${NST_SAMPLE_SIZE:-256}
iterations=${NST_SAMPLE_ITERATIONS:-300}
require_built "$build_dir" nst
bash scripts/fetch_samples.sh samples

model=$(sample_model)
if [ "$model" != models/vgg19.pt ]; then
  echo "run_sample: WARNING: models/vgg19.pt (ImageNet weights) is missing, so this uses a"
  echo "run_sample: WARNING: random-weight VGG19: the picture shows the pipeline working,"
  echo "run_sample: WARNING: not real style transfer. See models/README.md for the weights."
fi

mkdir -p out
"$build_dir/nst" --content samples/fruits.jpg --style samples/starry_night.jpg \
  -o out/fruits_starry_night.png --overwrite --model "$model" --size "$size" \
  --iterations "$iterations"
