#!/usr/bin/env bash
# The measurements behind the clip defaults: for each model, size and clip, the first
# NST_SWEEP_FRAMES frames painted one by one (--temporal-weight 0, the baseline) and then with
# each candidate setting of the temporal method. One row per run: the flicker E_warp (Lai et al.
# 2018) of the input (the floor) and of the painting, its ratio to the one-by-one painting and
# to the floor; the style loss of the later frames against the same frames painted one by one
# (the mean ratio: how well they are painted, not only how steadily); the first frame's seconds
# and the later frames' mean (flow included), the scene cuts and the peak resident memory. Rows are printed as the runs end; a run takes a minute or
# two at 256 px on 2 cores.
#
#   NST_SWEEP_MODELS="models/vgg19_random.pt models/vgg19_random_seed1.pt" \
#   NST_SWEEP_SIZES="256 384" NST_SWEEP_FRAMES=5 \
#   NST_SWEEP_CONFIGS="defaults=;weight 5e4=--temporal-weight 5e4" scripts/sweep_video.sh
#
# NST_SWEEP_ARGS go to every run, the baseline included (e.g. "--iterations 100" for a cheaper
# first frame when only the later frames' settings are compared). NST_SWEEP_KEEP=DIR keeps the
# reports there, and a later sweep with the same folder paints only the runs not finished there.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
python=$(find_python_with json)

build_dir=${NST_BUILD_DIR:-build}
nst="$build_dir/nst"
require_built "$build_dir" nst
bash scripts/fetch_samples.sh samples >&2
models=${NST_SWEEP_MODELS:-$(sample_model)}
sizes=${NST_SWEEP_SIZES:-256}
frames=${NST_SWEEP_FRAMES:-5}
clips=${NST_SWEEP_CLIPS:-samples/vtest.avi samples/tree.avi samples/Megamind.avi}
common=${NST_SWEEP_ARGS:-}
configs=${NST_SWEEP_CONFIGS:-defaults=}

if [ -n "${NST_SWEEP_KEEP:-}" ]; then
  work=$NST_SWEEP_KEEP
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

# Whether the run whose report is $1 was painted to its end (a stopped run's report says so).
finished() {
  [ -f "$1" ] && "$python" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["clip"]["stopped"])' "$1"
}

# Prints one table row from the baseline's report ($1) and a run's ($2).
row() {
  "$python" - "$@" <<'EOF'
import json, sys

alone_path, run_path, model, label = sys.argv[1:5]
alone = json.load(open(alone_path))["clip"]
run = json.load(open(run_path))
clip = run["clip"]
floor = clip["warping_error"]["input"]
out = clip["warping_error"]["output"]
base = alone["warping_error"]["output"]
first, later = clip["first_frame_seconds"], clip["later_frame_seconds"] or 0
# Frames painted as the second and later of a scene, against the same frames painted alone.
alone_style = {f["frame"]: f["style_loss"] for f in alone["frames"]}
later_style = [f["style_loss"] / alone_style[f["frame"]] for f in clip["frames"]
               if not f["chain_start"]]
style = sum(later_style) / len(later_style) if later_style else float("nan")
peak = max(j["peak_memory_bytes"] for j in run["jobs"]) / 1e6
size = "%dx%d" % (clip["painted_size"]["width"], clip["painted_size"]["height"])
name = clip["input"].rsplit("/", 1)[-1]
print("| %s | %s | %s | %s | %.5f | %.5f | %.5f | %.2f | %.2f | %.2f | %.1f | %.1f | %.2f | %d "
      "| %.0f |" % (model, name, size, label, floor, base, out, out / base, out / floor, style,
                    first, later, later / first, clip["scene_cuts"], peak), flush=True)
EOF
}

echo "== $(nproc) cores; $frames frames; common args: ${common:-none}"
echo "| model | clip | size | setting | E_warp input | one by one | this | / one by one | / input" \
  "| style loss / one by one | first s | later s | later / first | cuts | peak RSS MB |"
echo "|$(printf ' --- |%.0s' {1..15})"
IFS=';' read -r -a config_list <<<"$configs"
for model in $models; do
  model_name=$(basename "${model%.pt}")
  for size in $sizes; do
    for clip in $clips; do
      name=$(basename "${clip%.*}")
      stem="$work/${model_name}_${size}_$name"
      # shellcheck disable=SC2086  # the common arguments are words
      paint() {
        "$nst" -c "$clip" -s samples/starry_night.jpg -o "$1.mkv" --size "$size" \
          --frames "1:$frames" --model "$model" --progress none --report "$1.json" \
          --quiet $common "${@:2}"
      }
      finished "${stem}_alone.json" || paint "${stem}_alone" --temporal-weight 0
      for entry in "${config_list[@]}"; do
        label=${entry%%=*}
        read -r -a args <<<"${entry#*=}"
        tag=$(echo "$label" | tr -c 'a-zA-Z0-9\n' '_')
        finished "${stem}_$tag.json" || paint "${stem}_$tag" "${args[@]}"
        row "${stem}_alone.json" "${stem}_$tag.json" "$model_name" "$label"
      done
    done
  done
done
