#!/usr/bin/env bash
# Benchmark of batch mode, one run on this machine: 8 contents x 1 style at 256 px, once as one
# batch (model loaded once, style targets computed once) and once as 8 separate nst processes.
# Prints the batch's wall time against the sum of its jobs' optimisation times (the work that
# cannot be shared), and the time the batch saves against the separate processes.
#   NST_BENCH_ITERATIONS=50 NST_BENCH_SIZE=256 scripts/bench_batch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
python=$(find_torch_python)

build_dir=${NST_BUILD_DIR:-build}
size=${NST_BENCH_SIZE:-256}
iterations=${NST_BENCH_ITERATIONS:-50}
nst="$build_dir/nst"
require_built "$build_dir" nst
bash scripts/fetch_samples.sh samples
model=$(sample_model)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/contents"
for image in fruits building baboon butterfly home orange apple messi5; do
  cp "samples/$image.jpg" "$work/contents/"
done
common=(--model "$model" --size "$size" --iterations "$iterations" -q)

echo "== one batch: 8 contents x starry_night.jpg, $size px, $iterations iterations each"
start=$(date +%s.%N)
"$nst" -c "$work/contents" -s samples/starry_night.jpg -o "$work/batch" "${common[@]}" \
  --report "$work/batch.json"
batch_end=$(date +%s.%N)

echo "== 8 separate nst processes"
for image in "$work"/contents/*.jpg; do
  name=$(basename "$image" .jpg)
  "$nst" -c "$image" -s samples/starry_night.jpg -o "$work/single/$name.png" "${common[@]}"
done
single_end=$(date +%s.%N)

"$python" - "$work/batch.json" "$start" "$batch_end" "$single_end" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
start, batch_end, single_end = map(float, sys.argv[2:5])
batch = batch_end - start
separate = single_end - batch_end
jobs = report["jobs"]
optimisation = sum(job["optimisation_seconds"] for job in jobs)
print(f"jobs done:                          {report['counts']['done']} of {len(jobs)}")
print(f"sum of the jobs' optimisation time: {optimisation:7.2f} s "
      f"(one job: {optimisation / len(jobs):.2f} s)")
print(f"batch wall time:                    {batch:7.2f} s "
      f"({100 * (batch / optimisation - 1):+.1f}% over the optimisation time; target <= 3%)")
print(f"8 separate processes:               {separate:7.2f} s")
print(f"saved by the batch:                 {separate - batch:7.2f} s "
      f"({100 * (1 - batch / separate):.1f}%)")
PY
