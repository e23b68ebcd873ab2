#!/usr/bin/env bash
# Puts sample photos, paintings and clips (vtest.avi, tree.avi, Megamind.avi) from Debian's opencv-doc package into samples/ (or $1).
# They are not part of nst's sources and are not committed.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-samples}
images=(starry_night.jpg fruits.jpg building.jpg baboon.jpg butterfly.jpg home.jpg orange.jpg
  apple.jpg messi5.jpg vtest.avi tree.avi Megamind.avi)
if [ -f "$target/starry_night.jpg" ] && [ -f "$target/Megamind.avi" ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source scripts/common.sh
if ! (cd "$work" && apt-get download opencv-doc >/dev/null 2>&1); then
  as_root apt-get update >/dev/null  # a fresh machine may have no package lists yet
  (cd "$work" && apt-get download opencv-doc >/dev/null)
fi
dpkg-deb -x "$work"/opencv-doc_*.deb "$work/x"
mkdir -p "$target"
for image in "${images[@]}"; do
  source="$work/x/usr/share/doc/opencv-doc/examples/data/$image"
  [ -f "$source" ] && cp "$source" "$target/"
done
echo "samples: $(ls "$target" | wc -l) images and clips in $target/"
