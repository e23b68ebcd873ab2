#!/usr/bin/env bash
# Builds nst and its tests with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-sanitize/ and runs the whole test suite there (the CLI tests run the instrumented nst).
# Findings in our code fail the run; the suppressions in scripts/sanitizer/ cover only LibTorch
# and OpenCV internals.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${NST_SANITIZE_BUILD_DIR:-build-sanitize}
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  # -O1 with line tables only: readable reports, and the quickest build that still runs the
  # tests at a usable speed (the time goes into LibTorch's headers, not into optimising).
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" \
    -DNST_SANITIZE=address,undefined -DNST_BUILD_BENCHMARKS=OFF
fi
cmake --build "$build_dir" -j"$(nproc)"
supp=$PWD/scripts/sanitizer
export ASAN_OPTIONS=detect_odr_violation=0:detect_leaks=1:abort_on_error=0:halt_on_error=1
export LSAN_OPTIONS=suppressions=$supp/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=suppressions=$supp/ubsan.supp:print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" "$@"
