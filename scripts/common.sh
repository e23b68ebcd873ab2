# Shared helpers for nst's scripts; source it, don't run it.

# Prints the path of the first Python interpreter that can import every module named, or fails
# with one message that lists what it tried. Candidates, in order: $NST_PYTHON (set it to choose
# one), the system's /usr/bin/python3 (the one Debian's python3-* packages are for; another
# system's may be named with $NST_SYSTEM_PYTHON), then the first python3 on PATH, which is
# often another build (pyenv, a virtual environment) without Debian's packages.
find_python_with() {
  local candidate tried=()
  for candidate in "${NST_PYTHON:-}" "${NST_SYSTEM_PYTHON:-/usr/bin/python3}" \
    "$(command -v python3 || true)"; do
    [ -n "$candidate" ] || continue
    tried+=("$candidate")
    if [ -x "$candidate" ] &&
      "$candidate" -c "import $(IFS=,; echo "$*")" >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  echo "error: no Python interpreter here can import $*" \
    "(tried: ${tried[*]:-none}); install Debian's python3-$1 or set NST_PYTHON" >&2
  return 1
}

# The interpreter for everything that needs torch: the model export, the PyTorch reference,
# the benchmarks' scripts. scripts/setup.sh installs Debian's python3-torch.
find_torch_python() {
  find_python_with torch
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

# Configures the sanitizer build in folder $1 unless it is configured already: AddressSanitizer
# and UndefinedBehaviorSanitizer at -O1 with line tables (readable reports, and the quickest
# build that still runs the tests at a usable speed). With clang it is also the fuzzing build
# (NST_FUZZ: coverage instrumentation and the libFuzzer targets), so that one build serves both
# scripts/test_sanitizers.sh and scripts/fuzz.sh. As in the release build, each test program
# (or shard of a long one) runs its cases in one process; the test programs' own code is built at -O0 and the libraries as unity builds (CMake compiles a
# few sources as one, parsing LibTorch's headers once for them), which saves a third of the
# build. The release build's random test model is reused when there is one.
configure_sanitizer_build() {
  local build_dir=$1
  local args=(-DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" -DNST_BUILD_BENCHMARKS=OFF
    -DNST_TEST_COMPILE_OPTIONS=-O0 -DCMAKE_UNITY_BUILD=ON)
  if [ -f "$build_dir/CMakeCache.txt" ]; then
    return 0
  fi
  if [ -f build/tests/vgg19_random.pt ]; then
    args+=(-DNST_SHARED_TEST_MODEL="$PWD/build/tests/vgg19_random.pt")
  fi
  if command -v clang++ >/dev/null; then
    CC=clang CXX=clang++ cmake -S . -B "$build_dir" "${args[@]}" -DNST_FUZZ=ON
  else
    echo "note: clang is missing: a GCC sanitizer build, without the fuzz targets" >&2
    cmake -S . -B "$build_dir" "${args[@]}" -DNST_SANITIZE=address,undefined
  fi
}

# Prints the path of the random-weight model of seed $1 (models/vgg19_random_seed$1.pt),
# exporting it first if missing: benchmarks judge defaults on models of two seeds.
random_model_of_seed() {
  local path=models/vgg19_random_seed$1.pt
  if [ ! -f "$path" ]; then
    "$(find_torch_python)" scripts/export_vgg19.py -o "$path" --weights random --seed "$1" >&2
  fi
  echo "$path"
}

# One measured run for the quality benchmarks: nst from build folder $1 on $2 threads, working
# in folder $3, with model $4 on samples/$5.jpg in the style of samples/$6.jpg at size $7, with
# the flags after those. Prints "seconds peak_MB objective", the objective being the tutorial
# preset's (content relu5_2 x1e3 + Gram MSE over relu1_1..relu5_1 x1e-2) of the written
# output at its size, as nst_bench --evaluate measures it.
measure_run() {
  local build_dir=$1 threads=$2 work=$3 model=$4 content=samples/$5.jpg style=samples/$6.jpg
  local size=$7
  shift 7
  local out=$work/out.png report=$work/report.json start end objective
  rm -f "$out" "$report"
  start=$(date +%s.%N)
  "$build_dir/nst" -q --threads "$threads" --model "$model" -c "$content" -s "$style" -o "$out" \
    --size "$size" --report "$report" "$@"
  end=$(date +%s.%N)
  objective=$("$build_dir/nst_bench" --threads "$threads" --model "$model" --content "$content" \
    --style "$style" --sizes "$size" --preset tutorial --evaluate "$out")
  "$(find_python_with json)" - "$report" "$start" "$end" "$objective" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
seconds = float(sys.argv[3]) - float(sys.argv[2])
peak = report["jobs"][0]["peak_memory_bytes"] / 1e6
print(f"{seconds:.1f} {peak:.0f} {float(sys.argv[4]):.6g}")
PY
}
