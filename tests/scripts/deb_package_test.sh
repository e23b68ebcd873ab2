#!/usr/bin/env bash
# Makes the Debian package from a build folder and checks what a user of it gets: its
# dependencies and files, apt installing it, the manual page, the bash completion, a run of
# /usr/bin/nst that finds its model in /usr/share/nst/models, and nothing left after removal.
# Installs and removes a package, so it needs root and is not a CTest test; CI runs it after
# the test suite:
#
#   bash tests/scripts/deb_package_test.sh BUILD_DIR [TEST_MODEL]
#
# TEST_MODEL (default BUILD_DIR/tests/vgg19_random.pt) is copied to
# /usr/share/nst/models/vgg19.pt for the run and removed afterwards. Exit status 77: skipped.
set -euo pipefail
build_dir=${1:?usage: deb_package_test.sh BUILD_DIR [TEST_MODEL]}
model=${2:-$build_dir/tests/vgg19_random.pt}
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
installed_model=/usr/share/nst/models/vgg19.pt
export DEBIAN_FRONTEND=noninteractive

say() { echo "deb_package_test: $*"; }
fail() {
  say "FAIL: $*" >&2
  exit 1
}

if [ "$(id -u)" -ne 0 ]; then
  say "skipped: installing a package needs root"
  exit 77
fi
for tool in apt-get dpkg dpkg-deb cpack; do
  command -v "$tool" >/dev/null || fail "$tool is missing"
done
[ -f "$build_dir/CMakeCache.txt" ] || fail "$build_dir is not a configured build folder"
[ -f "$model" ] || fail "no test model at $model"
model=$(realpath "$model")  # the run below is in another folder
# Never touch a user's own installation or model.
if dpkg-query -W -f='${Status}' nst 2>/dev/null | grep -q "installed"; then
  fail "a package named nst is installed already; remove it first"
fi
[ ! -e "$installed_model" ] || fail "$installed_model exists already; move it away first"

work=$(mktemp -d)
chmod 755 "$work"  # apt reads the package as its unprivileged user
we_installed=0
we_placed_model=0
cleanup() {
  [ "$we_placed_model" = 0 ] || rm -f "$installed_model"
  [ "$we_installed" = 0 ] || apt-get purge -y -q nst >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

say "building the package"
cmake --build "$build_dir" -j"$(nproc)"
(cd "$build_dir" && cpack -G DEB -B "$work/package") >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log"
  fail "cpack failed"
}
debs=("$work"/package/nst_*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
  fail "expected one nst_*.deb, found: ${debs[*]}"
fi
deb=${debs[0]}
say "made $(basename "$deb")"

# The control fields: the runtime libraries' packages, never a -dev one.
[ "$(dpkg-deb -f "$deb" Package)" = nst ] || fail "package name"
[ "$(dpkg-deb -f "$deb" Section)" = graphics ] || fail "section"
depends=$(dpkg-deb -f "$deb" Depends)
say "Depends: $depends"
# Debian puts the library's soname version in the package name (libtorch1.13,
# libspdlog1.10-fmt9), which differs between releases.
for wanted in 'libc6' 'libtorch[0-9][^ ,]*' 'libopencv-imgcodecs[0-9][^ ,]*' \
  'libopencv-core[0-9][^ ,]*' 'libspdlog[0-9][^ ,]*' 'libopenblas0-openmp'; do
  grep -Eq "(^|, )$wanted( \(|,|$)" <<<"$depends" || fail "Depends lacks $wanted"
done
if grep -Eq -- '-dev( |,|$)' <<<"$depends"; then fail "Depends names a -dev package"; fi

# The files: the program, its manual and completion, the model's README and export script,
# the licence, and no model.
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$work/contents"
for path in /usr/bin/nst /usr/share/man/man1/nst.1.gz /usr/share/bash-completion/completions/nst \
  /usr/share/nst/models/README /usr/share/nst/export_vgg19.py /usr/share/doc/nst/copyright; do
  grep -qx -- "$path" "$work/contents" || fail "the package lacks $path"
done
if grep -E '\.(pt|pth)$' "$work/contents"; then fail "the package holds a model"; fi

say "installing it with apt"
we_installed=1
apt-get install -y -q "$deb" >"$work/apt.log" 2>&1 || {
  cat "$work/apt.log"
  fail "apt-get install failed"
}
dpkg -L nst >"$work/files"
version=$(/usr/bin/nst --version)
[ "$version" = "nst $(dpkg-deb -f "$deb" Version | sed 's/-[^-]*$//')" ] ||
  fail "/usr/bin/nst --version: $version"

# The manual page, unless this system's dpkg leaves manual pages out (slim container images).
man_page=/usr/share/man/man1/nst.1.gz
if [ -f "$man_page" ]; then
  zcat "$man_page" >"$work/nst.1"
  for section in NAME SYNOPSIS OPTIONS PRESETS '"EXIT STATUS"' ENVIRONMENT FILES EXAMPLES; do
    grep -q "^\.SH $section\$" "$work/nst.1" || fail "the manual page has no $section section"
  done
  if command -v man >/dev/null; then
    # -a: a page under /usr/local from `cmake --install` may come first.
    man -aw nst | grep -qx "$man_page" || fail "man -aw nst does not list $man_page"
    MANPAGER=cat MANWIDTH=100 man -l "$man_page" 2>/dev/null >"$work/man.txt"
    grep -q -- '--preset' "$work/man.txt" || fail "man nst does not show --preset"
    grep -q 'NST_MODEL' "$work/man.txt" || fail "man nst does not show NST_MODEL"
  fi
elif grep -rqs 'path-exclude=*/usr/share/man' /etc/dpkg/dpkg.cfg.d/; then
  say "note: dpkg here leaves manual pages out (/etc/dpkg/dpkg.cfg.d); not checked"
else
  fail "$man_page was not installed"
fi

# The completion: nst --pres<TAB> offers --preset, loaded directly and through
# bash-completion's loader, which finds the file by the command's name.
completion=/usr/share/bash-completion/completions/nst
replies=$(bash -c 'source "$1" && COMP_WORDS=(nst --pres) COMP_CWORD=1 && _nst &&
  printf "%s\n" "${COMPREPLY[@]}"' bash "$completion") || fail "the completion does not load"
grep -qx -- '--preset' <<<"$replies" || fail "nst --pres<TAB> offers: $replies"
library=/usr/share/bash-completion/bash_completion
if [ -f "$library" ]; then
  # The loader returns 124 when it has loaded a completion: bash's signal to try again.
  loaded=$(bash -c 'source "$1" && { _completion_loader nst; complete -p nst; }' bash "$library") ||
    fail "bash-completion does not load the completion of nst"
  grep -q -- '-F _nst nst$' <<<"$loaded" || fail "bash-completion loaded: $loaded"
fi

# A run without --model or NST_MODEL: first without a model (the message names where it
# looked), then with the test model where the package says it goes.
cd "$work"
{ printf 'P6\n24 16\n255\n' && head -c $((24 * 16 * 3)) /dev/urandom; } >content.ppm
{ printf 'P6\n16 16\n255\n' && head -c $((16 * 16 * 3)) /dev/urandom; } >style.ppm
run=(env -u NST_MODEL /usr/bin/nst -c content.ppm -s style.ppm --size 24 --iterations 2
  --progress none --overwrite)
if [ ! -e "$source_dir/models/vgg19.pt" ]; then
  status=0
  "${run[@]}" -o none.png >missing.log 2>&1 || status=$?
  [ "$status" -eq 1 ] || fail "without a model nst exited with $status: $(cat missing.log)"
  grep -q "$installed_model" missing.log || fail "the message does not name $installed_model"
fi
install -D -m 644 "$model" "$installed_model"
we_placed_model=1
"${run[@]}" -o out.png --report report.json >run.log 2>&1 || {
  cat run.log
  fail "/usr/bin/nst failed"
}
grep -q "\"$installed_model\"" report.json || fail "the run did not use $installed_model"
[ "$(head -c 8 out.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
  fail "out.png is not a PNG"
[ "$(od -An -j16 -N8 -tu1 out.png | tr -s ' ' | sed 's/^ //')" = "0 0 0 24 0 0 0 16" ] ||
  fail "out.png is not 24x16"
cd /

say "removing it"
rm -f "$installed_model"
we_placed_model=0
apt-get purge -y -q nst >"$work/purge.log" 2>&1 || {
  cat "$work/purge.log"
  fail "apt-get purge failed"
}
we_installed=0
# Everything the package installed is gone, but for folders other packages still hold.
while IFS= read -r path; do
  [ "$path" != /. ] || continue
  [ -e "$path" ] || [ -L "$path" ] || continue
  if [ -d "$path" ] && dpkg-query -S "$path" >/dev/null 2>&1; then continue; fi
  fail "$path is left after removal"
done <"$work/files"
say "passed"
