#!/usr/bin/env bash
# Builds nst with its tests (if not built yet) and runs the whole test suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${NST_BUILD_DIR:-build}
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  echo "test: $build_dir is not configured; run scripts/setup.sh first" >&2
  exit 1
fi
cmake --build "$build_dir" -j"$(nproc)"
# The tests run as many at a time as there are CPUs, each with LibTorch's OpenMP threads: threads
# that spin while they wait for work (OpenMP's default) take the CPU from the other tests.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" "$@"
