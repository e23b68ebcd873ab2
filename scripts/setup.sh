#!/usr/bin/env bash
# Sets nst up on Debian 12: installs the packages it needs (only those missing), builds it in
# Release under build/, and exports VGG19 with the ImageNet weights to models/vgg19.pt where
# the network allows, else says so. Safe to run again: it only does what is left.
#
#   scripts/setup.sh            # everything
#   scripts/setup.sh --list-packages   # the Debian packages it needs, on one line
#   NST_BUILD_DIR=out scripts/setup.sh
#   NST_UNITY_BUILD=OFF scripts/setup.sh   # one source a translation unit (quicker rebuilds)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

build_dir=${NST_BUILD_DIR:-build}
packages=(
  cmake g++ make pkg-config
  libtorch-dev libopencv-dev libcli11-dev libspdlog-dev libgtest-dev
  nlohmann-json3-dev libssl-dev zlib1g-dev
  # Without OpenBLAS, Debian's LibTorch falls back to the reference BLAS and the Gram
  # matrices run about 25 times slower.
  libopenblas0-openmp
  # tcmalloc reuses the large feature maps each step frees; glibc page-faults them in anew.
  libgoogle-perftools-dev
  python3-torch python3-torchvision
  # The tests make CMYK JPEGs and palette PNGs with Pillow.
  python3-pil
  # The manual page is made from --help at build time.
  help2man
  # OpenCV writes videos without sound; nst copies a clip's sound back with the ffmpeg program.
  ffmpeg
)
# --list-packages: print them and stop (CI installs them with its own tools in one go).
if [ "${1:-}" = "--list-packages" ]; then
  echo "${packages[*]}"
  exit 0
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages already installed"
fi

python=$(find_torch_python)
# A unity build (CMake compiles a library's sources a few at a time as one) builds from
# scratch a fifth quicker; NST_UNITY_BUILD=OFF suits editing one file and rebuilding.
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DNST_PYTHON="$python" \
  -DCMAKE_UNITY_BUILD="${NST_UNITY_BUILD:-ON}"
cmake --build "$build_dir" -j"$(nproc)"

if [ -f models/vgg19.pt ]; then
  echo "setup: models/vgg19.pt already exists"
else
  status=0
  "$python" scripts/export_vgg19.py -o models/vgg19.pt || status=$?
  if [ "$status" -eq 3 ]; then
    echo "setup: NOTE: the ImageNet VGG19 weights could not be downloaded (no network access)."
    echo "setup: nst is built, but real style transfer needs them: see models/README.md."
  elif [ "$status" -ne 0 ]; then
    exit "$status"
  fi
fi
echo "setup: done; the nst binary is $build_dir/nst"
