#include "nst/engine/blas_kernels.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <filesystem>

namespace nst {

std::string openblas_core() {
  // Looked up at run time: the BLAS behind LibTorch is chosen by the system (Debian's
  // alternatives), and only OpenBLAS has this function.
  using CoreName = char* (*)();
  const auto core_name = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (core_name == nullptr) return "";
  const char* name = core_name();
  return name == nullptr ? "" : name;
}

std::string better_openblas_core(const std::string& current) {
#if defined(__x86_64__) && defined(__GNUC__)
  static constexpr std::array<const char*, 10> kPreAvx2Cores = {
      "Prescott", "Core2",       "Penryn",  "Dunnington", "Nehalem",
      "Atom",     "Sandybridge", "Opteron", "Barcelona",  "Bobcat"};
  const auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  const bool pre_avx2 =
      std::any_of(kPreAvx2Cores.begin(), kPreAvx2Cores.end(),
                  [&](const char* core) { return lower(core) == lower(current); });
  if (!pre_avx2) return "";
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#else
  (void)current;
#endif
  return "";
}

void reexec_for_openblas_core(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the user's choice, or done already
  const std::string core = better_openblas_core(openblas_core());
  if (core.empty()) return;
  // The program's own path, not /proc/self/exe: the process keeps its name ("nst", not "exe")
  // for ps, top and pkill.
  std::error_code error;
  const auto program = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return;
  setenv("OPENBLAS_CORETYPE", core.c_str(), /*overwrite=*/1);
  execv(program.c_str(), argv);
  // Still here: the program cannot be re-run (no /proc); go on with the slower kernels, and
  // leave the variable unset so that the process's children choose for themselves.
  unsetenv("OPENBLAS_CORETYPE");
}

}  // namespace nst
