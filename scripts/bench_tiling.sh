#!/usr/bin/env bash
# Benchmark of tiled steps, one run on this machine: for each case (long side, --tile, and
# optionally --memory-limit) one nst process paints opencv-doc's home.jpg (4:3, so 4096 gives
# 4096x3072) in the style of starry_night.jpg for a few fp32 steps, and the table gives the
# seconds per step (the mean of the steps after the first), the process's peak resident memory
# (targets and steps, whatever is larger) beside the estimate
# that planned it, the tiles, and for tiled cases the step's cost against the untiled step at
# the same size (when that case ran) and against k, the pixels each step reads over the
# image's. Then the plans `--tile auto` makes, from the model alone (--dry-run), for 8K
# (7680x4320) within 24 GB and 4096x3072 within 6 GB.
#   NST_BENCH_CASES="1024:off 1024:512 4096:auto@6G" NST_BENCH_ITERATIONS=3 scripts/bench_tiling.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
python=$(find_python_with PIL)

build_dir=${NST_BUILD_DIR:-build}
cases=${NST_BENCH_CASES:-512:off 512:256 1024:off 1024:512 1024:256 2048:off 2048:512 4096:auto@6G}
iterations=${NST_BENCH_ITERATIONS:-3}
if [ "$iterations" -lt 2 ]; then
  echo "error: NST_BENCH_ITERATIONS must be at least 2 (the first step is a warm-up)" >&2
  exit 2
fi
nst="$build_dir/nst"
require_built "$build_dir" nst
bash scripts/fetch_samples.sh samples
model=$(sample_model)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')," \
  "$(awk '/MemTotal/ {printf "%.1f GB", $2 / 1e6}' /proc/meminfo); model $model; fp32; $iterations steps"
for case in $cases; do
  size=${case%%:*}
  rest=${case#*:}
  tile=${rest%%@*}
  limit=
  [ "$rest" != "$tile" ] && limit=${rest#*@}
  name="${size}_${tile}${limit:+_$limit}"
  echo "-- $case" >&2
  # The step's seconds come from the JSON progress events (elapsed at each step).
  # A refused or failed case is reported in the table; the others go on.
  "$nst" --model "$model" -c samples/home.jpg -s samples/starry_night.jpg \
    -o "$work/$name.png" --size "$size" --tile "$tile" ${limit:+--memory-limit "$limit"} \
    --precision fp32 --iterations "$iterations" --progress json --print-every 1 \
    --report "$work/$name.json" 2>"$work/$name.events" || true
done

"$python" - "$work" $cases <<'PY'
import json, os, sys
work, cases = sys.argv[1], sys.argv[2:]
rows = []
untiled = {}
for case in cases:
    size, rest = case.split(":", 1)
    tile, _, limit = rest.partition("@")
    name = f"{size}_{tile}" + (f"_{limit}" if limit else "")
    report = json.load(open(os.path.join(work, name + ".json")))
    job = report["jobs"][0] if report["jobs"] else {"status": "failed", "reason": report.get("error")}
    if job["status"] != "done":
        rows.append((case, None, job.get("reason") or report.get("error") or "?"))
        continue
    events = [json.loads(line) for line in open(os.path.join(work, name + ".events"))
              if line.startswith("{")]
    elapsed = [e["elapsed_seconds"] for e in events if e.get("event") == "iteration"]
    # The mean of the steps after the first (which warms oneDNN's kernels up).
    step = (elapsed[-1] - elapsed[0]) / (len(elapsed) - 1)
    memory = job.get("memory") or {}
    tiles = memory.get("tiles")
    scale = job["scales"][-1]
    if not tiles:
        untiled[size] = step
    rows.append((case, dict(width=scale["width"], height=scale["height"], step=step,
                            peak=job["peak_memory_bytes"], estimate=memory.get("estimated_peak_bytes"),
                            tiles=tiles, status=job["status"]), None))

print(f"{'case':<14} {'image':>10} {'tiles':>16} {'k':>5} {'s/step':>8} {'x untiled':>9} "
      f"{'/ k':>5} {'peak RSS':>9} {'estimate':>9} {'est/peak':>8}")
for case, r, failure in rows:
    if failure is not None:
        print(f"{case:<14} not run: {failure}")
        continue
    size = case.split(":")[0]
    t = r["tiles"]
    tiles = f"{t['count']} x {t['core']} px" if t else "whole"
    k = t["pixels_read_per_pixel"] if t else 1.0
    base = untiled.get(size)
    ratio = r["step"] / base if (t and base) else None
    print(f"{case:<14} {r['width']:>4}x{r['height']:<5} {tiles:>16} {k:5.2f} {r['step']:8.2f} "
          f"{(f'{ratio:9.2f}' if ratio else '        -')} {(f'{ratio / k:5.2f}' if ratio else '    -')} "
          f"{r['peak'] / 1e9:7.2f}GB {r['estimate'] / 1e9:7.2f}GB {r['estimate'] / r['peak']:8.2f}")
PY

echo "== plans from the model alone (nst --dry-run)"
"$python" -c 'from PIL import Image; Image.new("RGB", (16, 9)).save("'"$work"'/16x9.png")'
for plan in "$work/16x9.png 7680 24G" "samples/home.jpg 4096 6G" "samples/home.jpg 4096 24G"; do
  set -- $plan
  "$nst" -c "$1" -s samples/starry_night.jpg -o "$work/plan.png" --size "$2" --memory-limit "$3" \
    --precision fp32 --dry-run |
    sed -E -n "s/^job [0-9]+: .*; ([0-9]+x[0-9]+ (whole|in) .*)\$/  within $3: \1/p"
done
