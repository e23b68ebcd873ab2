#!/usr/bin/env bash
# Builds nst and its tests with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-sanitize/ and runs the whole test suite there (the CLI tests run the instrumented nst).
# With clang the same build is instrumented for coverage and holds the libFuzzer targets, so
# scripts/fuzz.sh fuzzes it without building anything again; without clang it is a GCC build
# without fuzzers. Findings in our code fail the run; the suppressions in scripts/sanitizer/
# cover only LibTorch and OpenCV internals.
#
# Each test program (or shard of a long one) is one CTest test, running its cases in one process
# (the sanitized LibTorch starts slowly); GoogleTest's GTEST_FILTER leaves cases out, CTest's -E
# whole tests:
#
#   scripts/test_sanitizers.sh [CTEST ARGUMENTS...]
#   GTEST_FILTER=-Cli.SameSeedGivesTheSameBytes scripts/test_sanitizers.sh -E 'scripts\.'
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
build_dir=${NST_SANITIZE_BUILD_DIR:-build-sanitize}
configure_sanitizer_build "$build_dir"
cmake --build "$build_dir" -j"$(nproc)"
supp=$PWD/scripts/sanitizer
export ASAN_OPTIONS=detect_odr_violation=0:detect_leaks=1:abort_on_error=0:halt_on_error=1
export LSAN_OPTIONS=suppressions=$supp/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=suppressions=$supp/ubsan.supp:print_stacktrace=1:halt_on_error=1
# Waiting OpenMP threads sleep rather than spin: the tests run side by side (see scripts/test.sh).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" "$@"
