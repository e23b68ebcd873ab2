# Shared helpers for nst's scripts; source it, don't run it.

# Prints the path of a Python interpreter that can import torch, or fails with a message. The
# first python3 on PATH is not always the one Debian's python3-torch is for.
find_torch_python() {
  local candidate
  for candidate in "${NST_PYTHON:-}" /usr/bin/python3 "$(command -v python3 || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] &&
      "$candidate" -c "import torch" >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  echo "error: no Python interpreter here can import torch;" \
    "install python3-torch (scripts/setup.sh does)" >&2
  return 1
}

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Prints the model to use for samples and benchmarks: models/vgg19.pt (ImageNet weights) when
# it exists, else models/vgg19_random.pt, exported first if missing (fixed random weights).
sample_model() {
  if [ -f models/vgg19.pt ]; then
    echo models/vgg19.pt
    return 0
  fi
  if [ ! -f models/vgg19_random.pt ]; then
    "$(find_torch_python)" scripts/export_vgg19.py -o models/vgg19_random.pt \
      --weights random --seed 0 >&2
  fi
  echo models/vgg19_random.pt
}

# Fails unless each named program exists in the build folder $1.
require_built() {
  local build_dir=$1 binary
  shift
  for binary in "$@"; do
    if [ ! -x "$build_dir/$binary" ]; then
      echo "error: $build_dir/$binary is missing; run scripts/setup.sh" >&2
      return 1
    fi
  done
}
