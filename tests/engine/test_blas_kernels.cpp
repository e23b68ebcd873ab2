// The choice of OpenBLAS kernels: only fallbacks to pre-AVX2 kernels are replaced, and only by
// kernels this CPU can run.
#include <gtest/gtest.h>

#include "nst/engine/blas_kernels.h"

namespace nst {
namespace {

TEST(BlasKernels, KeepsCoresOpenBlasChoseKnowingly) {
  for (const char* core : {"SkylakeX", "Cooperlake", "SapphireRapids", "Haswell", "Zen", ""}) {
    EXPECT_EQ(better_openblas_core(core), "") << core;
  }
}

TEST(BlasKernels, ReplacesPreAvx2FallbacksWithWhatThisCpuRuns) {
  const std::string upgrade = better_openblas_core("Prescott");
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512bw")) {
    EXPECT_EQ(upgrade, "SkylakeX");
  } else if (!__builtin_cpu_supports("avx2")) {
    EXPECT_EQ(upgrade, "");  // nothing better to ask for
  } else {
    EXPECT_TRUE(upgrade == "Haswell" || upgrade.empty()) << upgrade;
  }
  for (const char* core : {"PRESCOTT", "Core2", "Nehalem", "Sandybridge"}) {
    EXPECT_EQ(better_openblas_core(core), upgrade) << core;
  }
}

TEST(BlasKernels, TheTestProcessNamesItsCore) {
  // The tests link Debian's OpenBLAS through LibTorch; another BLAS answers "".
  const std::string core = openblas_core();
  if (core.empty()) GTEST_SKIP() << "the BLAS in use is not OpenBLAS";
  EXPECT_NE(core, "Unknown");
}

}  // namespace
}  // namespace nst
