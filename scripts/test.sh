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
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" "$@"
