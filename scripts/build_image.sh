#!/usr/bin/env bash
# Builds the container image nst:<version> (the version from CMakeLists.txt) from Debian 12's
# package archive alone, with no base image and no registry, and writes it as one OCI archive,
# DIR/nst-<version>.oci.tar, which `podman load`, `docker load` and `ctr images import` accept:
#
#   sudo scripts/build_image.sh [--output DIR] [--build-dir BUILD] [--with-model FILE]
#                               [--with-ffmpeg] [--libtorch DIR] [--load]
#
#   --output DIR        where the archive goes (default: the build folder)
#   --build-dir BUILD   the configured build folder whose nst is packaged (default: build)
#   --with-model FILE   a VGG19 TorchScript file baked into the image as its default model
#                       (/usr/share/nst/models/vgg19.pt); by default the image holds no weights
#   --with-ffmpeg       adds the ffmpeg program, which copies a painted clip's sound back
#   --libtorch DIR      an official LibTorch distribution (CPU or CUDA) that BUILD was configured
#                       against (-DCMAKE_PREFIX_PATH=DIR): its libraries go into /opt/libtorch
#                       instead of Debian's libtorch (see doc/container.md)
#   --load              also loads the archive into podman or docker, where one works here
#
# The image's layers, in order: the runtime root (Debian's essential packages and the libraries
# nst links to, made by mmdebstrap, without compilers, -dev packages or documentation), the
# official LibTorch's libraries if given, nst itself (the .deb this build makes, installed by
# dpkg), and the model if given; so a new nst reuses the large layers below it. It runs as the
# unprivileged user nst (uid and gid 1000) in /data, with nst as its entrypoint; the model is
# looked up as the package looks it up: $NST_MODEL, or a folder mounted at
# /usr/share/nst/models holding vgg19.pt. Needs root (dpkg and chroot), mmdebstrap, umoci,
# cpack and python3, and the network to reach the Debian archive in the machine's apt sources.
set -euo pipefail
export LC_ALL=C  # one byte order for sort and comm, which compare the file listings
source_dir=$(cd "$(dirname "$0")/.." && pwd)
source "$source_dir/scripts/common.sh"

output=
build_dir=build
model=
with_ffmpeg=0
libtorch=
load=0
usage() { sed -n '6,7p' "$0" | sed 's/^# *//' >&2; }
while [ $# -gt 0 ]; do
  case $1 in
    --output) output=${2:?--output needs a folder}; shift 2 ;;
    --build-dir) build_dir=${2:?--build-dir needs a folder}; shift 2 ;;
    --with-model) model=${2:?--with-model needs a file}; shift 2 ;;
    --with-ffmpeg) with_ffmpeg=1; shift ;;
    --libtorch) libtorch=${2:?--libtorch needs a folder}; shift 2 ;;
    --load) load=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build_image: unknown argument '$1'" >&2; usage; exit 2 ;;
  esac
done

say() { echo "build_image: $*"; }
die() {
  echo "build_image: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root: dpkg installs into the image's root and chroot runs there"
for tool in mmdebstrap umoci cpack dpkg-deb tar gzip; do
  command -v "$tool" >/dev/null ||
    die "$tool is missing (Debian: apt-get install mmdebstrap umoci cmake dpkg)"
done
python=$(find_python_with json)
[ -f "$build_dir/CMakeCache.txt" ] || die "'$build_dir' is not a configured build folder"
build_dir=$(realpath "$build_dir")
output=${output:-$build_dir}
mkdir -p "$output"
output=$(realpath "$output")
if [ -n "$model" ]; then
  [ -f "$model" ] || die "model '$model' does not exist or is not a file"
  model=$(realpath "$model")
fi
if [ -n "$libtorch" ]; then
  [ -d "$libtorch/lib" ] || die "'$libtorch' is not a LibTorch distribution (no lib folder)"
  libtorch=$(realpath "$libtorch")
fi

version=$(sed -n 's/^project(nst VERSION \([0-9][0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
[ -n "$version" ] || die "no version in $source_dir/CMakeLists.txt"
name=nst:$version
archive=$output/nst-$version.oci.tar
# One date for every timestamp the image records: the last commit's, else now.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$source_dir" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)

work=$(mktemp -d "$output/.nst-image.XXXXXX")
cleanup() {
  # The root may hold mount points of a failed chroot; never follow them out.
  mountpoint -q "$work/root/proc" 2>/dev/null && umount "$work/root/proc"
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
started=$SECONDS
step() { say "$* ($((SECONDS - started)) s)"; }

step "packaging nst from $build_dir"
cmake --build "$build_dir" --target nst -j"$(nproc)" >"$work/build.log" 2>&1 || {
  cat "$work/build.log" >&2
  die "building nst failed"
}
(cd "$build_dir" && cpack -G DEB -B "$work/deb") >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log" >&2
  die "cpack failed"
}
debs=("$work"/deb/nst_*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then die "expected one nst_*.deb from cpack"; fi
deb=${debs[0]}

# The package's dependencies, without versions (the archive's are the ones it was built
# against) and taking the first of alternatives; an official LibTorch replaces Debian's.
dependencies=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' |
  grep -v '^$' | { if [ -n "$libtorch" ]; then grep -v '^libtorch'; else cat; fi } | paste -sd, -)
[ "$with_ffmpeg" = 0 ] || dependencies+=,ffmpeg

# The machine's apt sources (bookworm, its updates and security), so the image gets the library
# versions nst was built against; Debian's mirror where the machine has none.
sources=()
for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -s "$file" ] && sources+=("$file")
done
[ ${#sources[@]} -gt 0 ] || sources=(http://deb.debian.org/debian)

step "making the runtime root with mmdebstrap: $dependencies"
mkdir "$work/root"
# The machine's own downloaded packages are linked in (on the same file system) so that apt
# fetches only what it lacks, and dpkg skips its fsyncs (an interrupted build starts again; it
# is never resumed). No documentation but the copyright files and nst's own README (installed
# later), no manual pages (the image has no man), no translations: an image runs programs, it
# is not read. The hooks' $1 is the root mmdebstrap makes.
# shellcheck disable=SC2016
mmdebstrap --variant=essential --mode=root --include="$dependencies" \
  --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
  --setup-hook='cp -l /var/cache/apt/archives/*.deb "$1/var/cache/apt/archives/" 2>/dev/null || true' \
  --dpkgopt=force-unsafe-io \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-include=/usr/share/doc/nst/*' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --customize-hook='echo "nst:x:1000:1000:nst:/data:/usr/sbin/nologin" >>"$1/etc/passwd"' \
  --customize-hook='echo "nst:x:1000:" >>"$1/etc/group"' \
  --customize-hook='echo "nst:!:19000::::::" >>"$1/etc/shadow"' \
  --customize-hook='install -d -o 1000 -g 1000 -m 0755 "$1/data"' \
  --customize-hook='rm -rf "$1"/var/cache/* "$1"/var/log/* "$1"/var/lib/apt/lists/*' \
  --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname" "$1/etc/machine-id"' \
  bookworm "$work/root" "${sources[@]}" >"$work/mmdebstrap.log" 2>&1 || {
  tail -n 40 "$work/mmdebstrap.log" >&2
  die "mmdebstrap failed (log above)"
}

# A layer: the files under $work/root that are new or changed since the listing $1 (all of them
# without one), as a reproducible tar ($2).
listing() { (cd "$work/root" && find . -printf '%p\t%y\t%s\t%T@\t%m\t%U\t%G\n' | sort); }
layer_tar() {
  local since=$1 tar=$2
  if [ -z "$since" ]; then
    # Not the device nodes mmdebstrap made for its chroot: a container's runtime makes /dev.
    (cd "$work/root" && find . -mindepth 1 -not -path './dev/*' | sort) >"$work/paths"
  else
    listing >"$work/now"
    # A file removed since would need a whiteout; nothing here removes one.
    if comm -23 <(cut -f1 "$since") <(cut -f1 "$work/now") | grep -q .; then
      die "a layer removed files: $(comm -23 <(cut -f1 "$since") <(cut -f1 "$work/now") | head -3)"
    fi
    comm -13 "$since" "$work/now" | cut -f1 >"$work/paths"
  fi
  tar -C "$work/root" --create --file "$tar" --no-recursion --null --files-from \
    <(tr '\n' '\0' <"$work/paths") --sort=none --numeric-owner --xattrs \
    --mtime="@$SOURCE_DATE_EPOCH" --clamp-mtime --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime
}

step "writing the layers"
umoci init --layout "$work/oci"
umoci new --image "$work/oci:$version"
add_layer() {
  local tar=$1 what=$2
  umoci raw add-layer --image "$work/oci:$version" --history.created "$created" \
    --history.created_by "scripts/build_image.sh: $what" "$tar"
  rm -f "$tar"
}
layer_tar "" "$work/layer.tar"
add_layer "$work/layer.tar" "runtime root (mmdebstrap, bookworm: $dependencies)"
listing >"$work/before"

if [ -n "$libtorch" ]; then
  install -d "$work/root/opt/libtorch"
  cp -a "$libtorch/lib" "$work/root/opt/libtorch/lib"
  layer_tar "$work/before" "$work/layer.tar"
  add_layer "$work/layer.tar" "LibTorch from $(basename "$libtorch")"
  listing >"$work/before"
fi

cp "$deb" "$work/root/nst.deb"
if [ -n "$libtorch" ]; then
  # Debian's libtorch is not in the image: the official one in /opt/libtorch stands for it.
  chroot "$work/root" dpkg --install --force-depends /nst.deb >"$work/dpkg.log" 2>&1
else
  chroot "$work/root" dpkg --install /nst.deb >"$work/dpkg.log" 2>&1
fi || {
  cat "$work/dpkg.log" >&2
  die "installing $(basename "$deb") into the image failed"
}
rm -f "$work/root/nst.deb" "$work/root/var/log/dpkg.log"
layer_tar "$work/before" "$work/layer.tar"
add_layer "$work/layer.tar" "nst $version ($(basename "$deb"))"

if [ -n "$model" ]; then
  listing >"$work/before"
  install -m 0644 "$model" "$work/root/usr/share/nst/models/vgg19.pt"
  layer_tar "$work/before" "$work/layer.tar"
  add_layer "$work/layer.tar" "model $(basename "$model")"
fi

environment=(--config.env "PATH=/usr/local/bin:/usr/bin:/bin")
[ -z "$libtorch" ] || environment+=(--config.env "LD_LIBRARY_PATH=/opt/libtorch/lib")
umoci config --image "$work/oci:$version" --created "$created" --history.created "$created" \
  --history.created_by "scripts/build_image.sh: configuration" \
  --os linux --architecture "$(dpkg --print-architecture)" \
  --config.user 1000:1000 --config.workingdir /data --config.entrypoint /usr/bin/nst \
  --config.cmd=--help "${environment[@]}" \
  --config.label "org.opencontainers.image.title=nst" \
  --config.label "org.opencontainers.image.version=$version" \
  --config.label "org.opencontainers.image.description=neural style transfer (nst) on Debian 12"
umoci gc --layout "$work/oci"

step "writing $archive"
# The index names the image for containerd and docker (io.containerd.image.name) and for
# podman (the tag); manifest.json makes the same archive a docker-archive for older docker.
"$python" - "$work/oci" "$name" "$version" <<'EOF'
import json, os, sys

layout, name, version = sys.argv[1:4]
index_path = os.path.join(layout, "index.json")
index = json.load(open(index_path))
(descriptor,) = index["manifests"]
descriptor["annotations"] = {
    "io.containerd.image.name": "docker.io/library/" + name,
    "org.opencontainers.image.ref.name": version,
}
json.dump(index, open(index_path, "w"))

def blob(digest):
    return "blobs/" + digest.replace(":", "/")

manifest = json.load(open(os.path.join(layout, blob(descriptor["digest"]))))
json.dump([{"Config": blob(manifest["config"]["digest"]), "RepoTags": [name],
            "Layers": [blob(layer["digest"]) for layer in manifest["layers"]]}],
          open(os.path.join(layout, "manifest.json"), "w"))
EOF
tar -C "$work/oci" --create --file "$work/image.tar" --sort=name --numeric-owner \
  --owner=0 --group=0 --mtime="@$SOURCE_DATE_EPOCH" --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  oci-layout index.json manifest.json blobs
mv "$work/image.tar" "$archive"

"$python" - "$work/oci" <<'EOF'
import json, os, sys

layout = sys.argv[1]
def blob(digest):
    return os.path.join(layout, "blobs", *digest.split(":"))
index = json.load(open(os.path.join(layout, "index.json")))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
config = json.load(open(blob(manifest["config"]["digest"])))
built = [h for h in config["history"] if not h.get("empty_layer")]
total = 0
for layer, history in zip(manifest["layers"], built):
    total += layer["size"]
    print("build_image:   layer %7.1f MB  %s" % (layer["size"] / 1e6,
                                                history.get("created_by", "")[:90]))
print("build_image:   compressed %.1f MB in %d layers" % (total / 1e6, len(manifest["layers"])))
EOF
step "wrote $archive ($(du -m "$archive" | cut -f1) MB): load it with 'podman load -i', 'docker load -i' or 'ctr images import'"

if [ "$load" = 1 ]; then
  if command -v podman >/dev/null && podman load -i "$archive"; then
    say "loaded into podman"
  elif command -v docker >/dev/null && docker load -i "$archive"; then
    say "loaded into docker"
  else
    say "no container engine here took the image (podman or docker); the archive is written"
  fi
fi
