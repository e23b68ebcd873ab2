#!/usr/bin/env bash
# The container image as its users get it: scripts/build_image.sh builds nst:<version> from a
# build folder; the archive is checked as podman, docker and containerd read it (the OCI index
# and docker's manifest.json naming the same layers); its layers are unpacked in order into a
# root file system and, inside it, as the image's user (uid 1000) with the model from a mounted
# folder and the output written to another: `nst --version`, `nst --help` and a --preset fast
# picture of a sample photo. With `podman run` where podman works here, else chroot into the
# unpacked root with the folders bind-mounted. Then: the image's configuration (user, entrypoint,
# working folder), that it holds no compiler and no -dev package, and that the Kubernetes
# manifest names this image and mounts the folders the image reads and writes.
#
#   container_test.sh BUILD_DIR [TEST_MODEL]
#
# Needs root, mmdebstrap, umoci and the Debian archive; skipped (exit 77) without them.
set -euo pipefail
build_dir=${1:?usage: container_test.sh BUILD_DIR [TEST_MODEL]}
model=${2:-$build_dir/tests/vgg19_random.pt}
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
manifest=$source_dir/scripts/cluster/k8s_indexed_job.yaml

say() { echo "container_test: $*"; }
skip() {
  say "SKIP: $*"
  exit 77
}
fail() {
  say "FAIL: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || skip "building an image needs root (dpkg and chroot into its root)"
for tool in mmdebstrap umoci; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (Debian: apt-get install mmdebstrap umoci)"
done
[ -f "$model" ] || fail "no test model at $model"
build_dir=$(realpath "$build_dir")
model=$(realpath "$model")

work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
  for point in "$work"/root/usr/share/nst/models "$work"/root/data/in "$work"/root/data/out \
    "$work"/root/proc "$work"/root/dev; do
    mountpoint -q "$point" 2>/dev/null && umount -l "$point"
  done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

say "building the image"
bash "$source_dir/scripts/build_image.sh" --build-dir "$build_dir" --output "$work" |
  tee "$work/build.log"
version=$(sed -n 's/^project(nst VERSION \([0-9][0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
archive=$work/nst-$version.oci.tar
[ -f "$archive" ] || fail "no $archive"

# The archive as the engines read it.
mkdir "$work/oci"
tar -C "$work/oci" -xf "$archive"
python3 - "$work/oci" "$version" "$work/layers" <<'EOF' || fail "the archive's index or manifests"
import hashlib, json, os, sys

layout, version, layers_out = sys.argv[1:4]
def blob(digest):
    return os.path.join(layout, "blobs", *digest.split(":"))
def check(condition, what):
    if not condition:
        print("container_test: FAIL: " + what, file=sys.stderr)
        sys.exit(1)
check(json.load(open(os.path.join(layout, "oci-layout")))["imageLayoutVersion"] == "1.0.0",
      "oci-layout")
index = json.load(open(os.path.join(layout, "index.json")))
check(len(index["manifests"]) == 1, "one image in the index")
descriptor = index["manifests"][0]
annotations = descriptor.get("annotations", {})
check(annotations.get("org.opencontainers.image.ref.name") == version, "the tag is " + version)
check(annotations.get("io.containerd.image.name") == "docker.io/library/nst:" + version,
      "containerd's and docker's name is nst:" + version)
manifest = json.load(open(blob(descriptor["digest"])))
docker = json.load(open(os.path.join(layout, "manifest.json")))
check(docker[0]["RepoTags"] == ["nst:" + version], "docker's tag")
check([os.path.join(layout, l) for l in docker[0]["Layers"]] ==
      [blob(l["digest"]) for l in manifest["layers"]], "docker's layers are the OCI ones")
for layer in manifest["layers"]:
    data = open(blob(layer["digest"]), "rb").read()
    check("sha256:" + hashlib.sha256(data).hexdigest() == layer["digest"], "layer digest")
    check(len(data) == layer["size"], "layer size")
config = json.load(open(blob(manifest["config"]["digest"])))
c = config["config"]
check(c.get("User") == "1000:1000", "runs as uid 1000, not root: %r" % c.get("User"))
check(c.get("Entrypoint") == ["/usr/bin/nst"], "nst is the entrypoint: %r" % c.get("Entrypoint"))
check(c.get("WorkingDir") == "/data", "works in /data: %r" % c.get("WorkingDir"))
check(not any(e.startswith("NST_MODEL=") for e in c.get("Env", [])), "no NST_MODEL baked in")
with open(layers_out, "w") as out:
    for layer in manifest["layers"]:
        out.write(blob(layer["digest"]) + "\n")
        print("container_test: layer %.1f MB" % (layer["size"] / 1e6))
EOF

say "unpacking the layers"
mkdir "$work/root"
while read -r layer; do
  tar -C "$work/root" --numeric-owner -xzf "$layer"
done <"$work/layers"
[ -x "$work/root/usr/bin/nst" ] || fail "no /usr/bin/nst in the image"
[ ! -e "$work/root/usr/share/nst/models/vgg19.pt" ] || fail "the image holds weights it was not asked for"

# Nothing to build with: no compiler and no -dev package.
for compiler in cc gcc g++ c++ clang clang++ cpp ld as; do
  [ ! -e "$work/root/usr/bin/$compiler" ] || fail "the image holds /usr/bin/$compiler"
done
packages=$(dpkg-query --admindir="$work/root/var/lib/dpkg" -W -f '${Package}\n')
# (gcc-12-base is libgcc's: documentation only, no compiler.)
if grep -E -e '-dev$|^gcc(-[0-9]+)?$|^g\+\+|^cpp|^clang|^llvm|^binutils|^make$' <<<"$packages"; then
  fail "the image holds build packages (above)"
fi
grep -qx nst <<<"$packages" || fail "dpkg in the image does not know nst"

# The folders a user mounts: the model, the inputs, and an output the image's user can write.
mkdir -p "$work/models" "$work/in" "$work/out"
cp "$model" "$work/models/vgg19.pt"
python3 - "$work/in" "$source_dir/tests/scripts" <<'EOF'
import sys

sys.path.insert(0, sys.argv[2])
from write_png import write_png

write_png(sys.argv[1] + "/photo.png", 64, 48, lambda x, y: (4 * x, 5 * y, 128))
write_png(sys.argv[1] + "/style.png", 48, 48,
          lambda x, y: (255, 200, 0) if (x // 6 + y // 6) % 2 else (20, 60, 200))
EOF
chown 1000:1000 "$work/out"

painting=(--content /data/in/photo.png --style /data/in/style.png -o /data/out/painted.png
  --preset fast --size 64 --iterations 4)
# podman as it comes, else as it runs inside a container without cgroup controllers or the
# right to raise resource limits (runc, cgroupfs, limits below the machine's); else chroot.
engine=chroot
podman_global=()  # podman's own options
podman_run=()     # and those of podman run
if command -v podman >/dev/null && podman load -i "$archive" >"$work/podman.log" 2>&1; then
  say "podman load: $(grep 'Loaded image' "$work/podman.log")"
  grep -q "Loaded image: docker.io/library/nst:$version" "$work/podman.log" ||
    fail "podman loaded the archive under another name"
  for setting in plain restricted; do
    if [ "$setting" = restricted ]; then
      podman_global=(--cgroup-manager=cgroupfs)
      ! command -v runc >/dev/null || podman_global+=(--runtime=runc)
      podman_run=(--ulimit=nofile=1024:1024 --ulimit=nproc=1024:1024)
    fi
    if podman "${podman_global[@]}" run --rm "${podman_run[@]}" "nst:$version" --version \
      >>"$work/podman.log" 2>&1; then
      engine=podman
      break
    fi
  done
  [ "$engine" = podman ] || { say "podman cannot run containers here:"; tail -n 3 "$work/podman.log"; }
fi
say "running the image with $engine ${podman_global[*]} ${podman_run[*]}"
inside() {
  if [ "$engine" = podman ]; then
    podman "${podman_global[@]}" run --rm "${podman_run[@]}" --network=none \
      -v "$work/models:/usr/share/nst/models:ro" -v "$work/in:/data/in:ro" \
      -v "$work/out:/data/out" "nst:$version" "$@"
  else
    # What a runtime gives a container: its own mounts, /proc, /dev, the user and the folder.
    # shellcheck disable=SC2016  # the inner shell expands them
    unshare --mount --fork sh -c '
      root=$1; shift
      mount --make-rprivate /
      for pair in models:/usr/share/nst/models in:/data/in out:/data/out; do
        mkdir -p "$root${pair#*:}"
        mount --bind "$(dirname "$root")/${pair%%:*}" "$root${pair#*:}"
      done
      mount -t proc proc "$root/proc"
      mount --rbind /dev "$root/dev"
      exec chroot --userspec=1000:1000 "$root" /bin/sh -c "cd /data && exec /usr/bin/nst \"\$@\"" nst "$@"
    ' sh "$work/root" "$@"
  fi
}
version_line=$(inside --version)
say "nst --version: $version_line"
grep -q "$version" <<<"$version_line" || fail "nst --version does not say $version"
inside --help >"$work/help.txt" || fail "nst --help failed"
grep -q -- "--content" "$work/help.txt" || fail "nst --help does not list --content"
inside "${painting[@]}" || fail "painting inside the image failed"
[ -s "$work/out/painted.png" ] || fail "no painted.png in the mounted output folder"
[ "$(stat -c %u "$work/out/painted.png")" = 1000 ] || fail "the painting is not owned by uid 1000"
say "painted $(stat -c %s "$work/out/painted.png") bytes as uid 1000"
if command -v podman >/dev/null; then podman rmi -f "nst:$version" >/dev/null 2>&1 || true; fi

# The Kubernetes manifest runs this image with the folders it reads and writes.
grep -Eq "^ +image: nst:$version$" "$manifest" || fail "the manifest does not run image nst:$version"
grep -Eq "^ +mountPath: /usr/share/nst/models$" "$manifest" ||
  fail "the manifest mounts no model folder at /usr/share/nst/models"
grep -Eq "^ +mountPath: /data$" "$manifest" || fail "the manifest mounts no volume at /data"
grep -Eq "^ +runAsUser: 1000$" "$manifest" || fail "the manifest does not run as the image's uid 1000"
say "PASS"
