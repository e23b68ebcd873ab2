#!/usr/bin/env bash
# Benchmark of clips, one run on this machine: for each clip, the first NST_BENCH_FRAMES frames
# at NST_BENCH_SIZE px on the long side, painted in the style of starry_night.jpg twice: one by
# one (--temporal-weight 0, every frame a still) and with the temporal loss (the defaults, or
# NST_BENCH_ARGS). The table gives the flicker E_warp (Lai et al. 2018, flow and mask from the
# input frames) of the input itself (the floor), of each painting and their ratios, and of the
# temporal run's paintings carried unchanged along the flow to the next frame (what a painting
# that followed the flow exactly would score: the bound its texture sets); the first
# frame's seconds and the mean of the later ones (flow included) and that ratio; the flow's
# mean seconds a frame; and the process's peak resident memory after the second frame and
# after the last (flat over the clip: no growth with the number of frames).
#   NST_BENCH_CLIPS="samples/vtest.avi" NST_BENCH_FRAMES=8 NST_BENCH_SIZE=256 scripts/bench_video.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
python=$(find_python_with json)

build_dir=${NST_BUILD_DIR:-build}
frames=${NST_BENCH_FRAMES:-8}
size=${NST_BENCH_SIZE:-256}
extra=${NST_BENCH_ARGS:-}
nst="$build_dir/nst"
require_built "$build_dir" nst
bash scripts/fetch_samples.sh samples
clips=${NST_BENCH_CLIPS:-samples/vtest.avi samples/tree.avi samples/Megamind.avi}
model=${NST_BENCH_MODEL:-$(sample_model)}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//');" \
  "model $model; $frames frames at $size px; args: ${extra:-defaults}"
for clip in $clips; do
  name=$(basename "${clip%.*}")
  for mode in alone temporal; do
    args=$extra
    [ "$mode" = alone ] && args="$extra --temporal-weight 0"
    echo "-- $name $mode" >&2
    # shellcheck disable=SC2086  # the extra arguments are words
    "$nst" -c "$clip" -s samples/starry_night.jpg -o "$work/${name}_$mode.mkv" --size "$size" \
      --frames "1:$frames" --model "$model" --progress none --report "$work/${name}_$mode.json" \
      $args
  done
done
"$python" - "$work" $clips <<'EOF'
import json, os, sys

work, clips = sys.argv[1], sys.argv[2:]
print("| clip | size | E_warp input | one by one | temporal | temporal / one by one "
      "| temporal / input | carried | carried / input | first frame s | later frame s "
      "| later / first | flow s | peak RSS frame 2 / last (MB) |")
print("| --- " * 14 + "|")
for clip in clips:
    name = os.path.splitext(os.path.basename(clip))[0]
    alone = json.load(open(os.path.join(work, name + "_alone.json")))
    temporal = json.load(open(os.path.join(work, name + "_temporal.json")))
    a, t = alone["clip"], temporal["clip"]
    floor = t["warping_error"]["input"]
    later = [f for f in t["frames"] if not f["chain_start"]]
    flow = sum(f["flow_seconds"] for f in later) / max(1, len(later))
    peaks = [j["peak_memory_bytes"] / 1e6 for j in temporal["jobs"]]
    first_s, later_s = t["first_frame_seconds"], t["later_frame_seconds"] or 0
    size = "%dx%d" % (t["painted_size"]["width"], t["painted_size"]["height"])
    carried = t["warping_error"]["carried"]
    print("| %s | %s | %.5f | %.5f | %.5f | %.2f | %.2f | %.5f | %.2f | %.1f | %.1f | %.2f | %.3f "
          "| %.0f / %.0f |"
          % (name, size, floor, a["warping_error"]["output"], t["warping_error"]["output"],
             t["warping_error"]["output"] / a["warping_error"]["output"],
             t["warping_error"]["output"] / floor, carried, carried / floor, first_s, later_s,
             later_s / first_s, flow, peaks[min(1, len(peaks) - 1)], peaks[-1]))
EOF
