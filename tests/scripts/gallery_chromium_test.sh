#!/usr/bin/env bash
# The gallery in a real browser: `nst` paints a 2x2 batch (two photos, one of them with a
# space, '&' and '#' in its name; two styles, one corrupt so that its column fails) with
# --gallery and --contact-sheet, then headless Chromium loads the page and gallery_chromium.py
# checks it: no console error, no broken image, links that reach their files, the grid's rows
# and columns. A screenshot of the page (and a copy of the contact sheet) goes to
# $NST_GALLERY_SCREENSHOT_DIR, by default the test's temporary folder, removed at the end.
# Exits 77 (skipped) without Chromium or python3-websocket.
#
# Usage: gallery_chromium_test.sh NST_BINARY MODEL
set -euo pipefail
nst=$(readlink -f "$1")
model=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null &&
  ! command -v google-chrome >/dev/null; then
  echo "skipped: no chromium installed (Debian: apt-get install chromium)"
  exit 77
fi
# Debian's python3-websocket is for Debian's interpreter, which a python3 earlier on PATH
# (a virtual environment, pyenv) may not be: the scripts' one way to find it.
source "$here/../../scripts/common.sh"
if ! python=$(find_python_with websocket 2>/dev/null); then
  echo "skipped: python3-websocket is not installed"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shots=${NST_GALLERY_SCREENSHOT_DIR:-$work}
mkdir -p "$shots"

# Small PNGs from Python's standard library alone.
"$python" - "$work" "$(dirname "$0")" <<'PY'
import os, sys

sys.path.insert(0, sys.argv[2])
from write_png import write_png as png

root = sys.argv[1]
for folder in ("contents", "styles"):
    os.makedirs(os.path.join(root, folder))
png(os.path.join(root, "contents", "city.png"), 64, 48,
    lambda x, y: (4 * x % 256, 5 * y % 256, 128))
png(os.path.join(root, "contents", "sea & sky #1.png"), 48, 64,
    lambda x, y: (40, 3 * y % 256, 255 - 4 * x % 256))
png(os.path.join(root, "styles", "wave.png"), 48, 48,
    lambda x, y: (255, 200, 0) if (x // 6 + y // 6) % 2 else (20, 60, 200))
with open(os.path.join(root, "styles", "broken.png"), "wb") as out:
    out.write(b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 8)
PY

cd "$work"
status=0
"$nst" -c contents -s styles -o out --size 48 --iterations 4 --model "$model" --progress none \
  --report review/run.json --gallery review/gallery.html --contact-sheet review/sheet.png ||
  status=$?
if [ "$status" -ne 2 ]; then
  echo "FAIL: nst exited $status, expected 2 (the corrupt style's jobs fail)"
  exit 1
fi
for file in review/gallery.html review/sheet.png; do
  [ -s "$file" ] || { echo "FAIL: $file was not written"; exit 1; }
done
if [ "$shots" != "$work" ]; then
  cp review/sheet.png "$shots/contact_sheet.png"
fi

# Styles are taken by name: broken.png is the first column.
"$python" "$here/gallery_chromium.py" review/gallery.html "$shots/gallery.png" \
  --rows 2 --columns 2 --failed-column 0
