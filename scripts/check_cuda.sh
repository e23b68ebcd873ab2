#!/usr/bin/env bash
# The CUDA check, in one command, for a machine with an NVIDIA GPU, CMake, a C++17 compiler and
# PyTorch with CUDA, and nothing else (no OpenCV, no network):
#   1. builds the engine alone (NST_ENGINE_ONLY) against PyTorch's own LibTorch, with its tests;
#   2. runs the engine's tests, the CUDA ones and the PyTorch reference comparison on the GPU
#      among them (on a machine without a GPU those skip, and the list of skipped tests says so);
#   3. times a step of the tutorial and default presets at two sizes in fp32 and bf16,
#      against a bare VGG forward+backward, and prints one table.
# It also runs on a CPU-only machine (Debian's LibTorch, or any PyTorch), smaller by default.
#
#   bash scripts/check_cuda.sh
#   NST_PYTHON=/path/to/python3  NST_CHECK_BUILD_DIR=build-check  NST_CHECK_SIZES=512,1024
#   NST_CHECK_ITERATIONS=10   NST_GTEST_SOURCE_DIR=/path/to/googletest   (no installed GoogleTest)
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/common.sh
# NST_CHECK_PYTHON, its older name, still chooses the interpreter.
NST_PYTHON=${NST_CHECK_PYTHON:-${NST_PYTHON:-}}
python=$(find_torch_python)
build_dir=${NST_CHECK_BUILD_DIR:-build-check}
start=$(date +%s)

echo "== machine"
"$python" - <<'PYTHON'
import os, platform, torch
print(f"{platform.node()}: {os.cpu_count()} CPUs; PyTorch {torch.__version__}, "
      f"CUDA {torch.version.cuda or 'none'}")
if torch.cuda.is_available():
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        print(f"GPU {i}: {p.name}, compute capability {p.major}.{p.minor}, "
              f"{p.total_memory / 2**30:.0f} GiB")
else:
    print("no GPU: the CUDA tests skip and the timings are the CPU's")
PYTHON
gpu=$("$python" -c 'import torch; print(int(torch.cuda.is_available()))')

# PyTorch's LibTorch where its package has one (pip's wheels do); else the system's (Debian's
# python3-torch ships none, its libtorch-dev is found by CMake without help).
prefix=$("$python" -c 'import torch, os; p = torch.utils.cmake_prefix_path; print(p if os.path.isdir(os.path.join(p, "Torch")) else "")')
# Each test case a CTest test of its own, so that CTest lists the ones that skip.
cmake_args=(-DCMAKE_BUILD_TYPE=Release -DNST_ENGINE_ONLY=ON -DNST_TCMALLOC=OFF
  -DNST_TESTS_PER_PROGRAM=OFF -DNST_PYTHON="$python")
if [ -n "$prefix" ]; then
  echo "== LibTorch: PyTorch's own, $prefix"
  cmake_args+=(-DCMAKE_PREFIX_PATH="$prefix")
else
  echo "== LibTorch: the system's (this PyTorch ships no CMake package)"
fi
if [ -n "${NST_GTEST_SOURCE_DIR:-}" ]; then
  cmake_args+=(-DNST_GTEST_SOURCE_DIR="$NST_GTEST_SOURCE_DIR")
fi

echo "== build (engine only) in $build_dir"
mkdir -p "$build_dir"
cmake -S . -B "$build_dir" "${cmake_args[@]}" >"$build_dir/configure.log" 2>&1 ||
  { cat "$build_dir/configure.log"; exit 1; }
cmake --build "$build_dir" -j"$(nproc)" 2>&1 | grep -E "warning:|error:" || true
test -x "$build_dir/nst_bench" || { echo "check_cuda: the build failed" >&2; exit 1; }

echo "== engine tests"
ctest --test-dir "$build_dir" -j"$(nproc)" --output-on-failure 2>&1 | tee "$build_dir/ctest.log" |
  grep -E "tests passed|tests failed|\*\*\*Failed|Timeout" || true
echo "skipped (need a GPU):"
grep -E "^\s+[0-9]+ - .*\(Skipped\)" "$build_dir/ctest.log" | sed 's/^\s*/  /' || echo "  none"
tests_ok=0
grep -q "100% tests passed" "$build_dir/ctest.log" && tests_ok=1

if [ "$gpu" = 1 ]; then
  sizes=${NST_CHECK_SIZES:-512,1024}
  iterations=${NST_CHECK_ITERATIONS:-10}
  device=cuda:0
else
  sizes=${NST_CHECK_SIZES:-128,256}
  iterations=${NST_CHECK_ITERATIONS:-3}
  device=cpu
fi
echo "== seconds per step on $device ($iterations steps, the first a warm-up; synthetic images)"
"$build_dir/nst_bench" --model "$build_dir/tests/vgg19_random.pt" --device "$device" \
  --preset tutorial,default --sizes "$sizes" --iterations "$iterations" --precisions fp32,bf16

echo "== done in $(($(date +%s) - start)) s: tests $([ "$tests_ok" = 1 ] && echo passed || echo FAILED)," \
  "$([ "$gpu" = 1 ] && echo "on the GPU" || echo "without a GPU (CUDA tests skipped)")"
[ "$tests_ok" = 1 ]
