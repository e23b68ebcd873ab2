#include "nst/engine/precision.h"

#include <fstream>
#include <string>

#include "nst/engine/cuda_driver.h"

namespace nst {
namespace {

// The "flags" and "vendor_id" lines of /proc/cpuinfo's first processor, or "" without them.
std::string cpuinfo_line(const std::string& key) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind(key, 0) == 0) return line + " ";
  }
  return "";
}

bool has_flag(const std::string& flags, const char* flag) {
  return flags.find(std::string(" ") + flag + " ") != std::string::npos;
}

}  // namespace

bool cpu_has_native_bf16() {
  static const bool has = [] {
    const std::string flags = cpuinfo_line("flags");
    return has_flag(flags, "avx512_bf16") || has_flag(flags, "amx_bf16");
  }();
  return has;
}

bool cpu_bf16_is_faster() {
  // Decided from the CPU's description, not by timing: a timed choice flipped between runs of
  // the same machine under load, and with it the output bytes of a seeded run.
  static const bool faster = [] {
    const std::string flags = cpuinfo_line("flags");
    if (has_flag(flags, "amx_bf16")) return true;
    return has_flag(flags, "avx512_bf16") &&
           cpuinfo_line("vendor_id").find("AuthenticAMD") != std::string::npos;
  }();
  return faster;
}

bool cuda_has_native_bf16(int index) {
  const auto info = cuda_device_info(index);
  return info && info->major >= 8;
}

torch::ScalarType compute_type(Precision precision, const torch::Device& device) {
  switch (precision) {
    case Precision::kBFloat16:
      return torch::kBFloat16;
    case Precision::kFloat16:
      return torch::kHalf;
    case Precision::kAuto:
      if (device.is_cuda()) {
        return cuda_has_native_bf16(device.has_index() ? device.index() : 0) ? torch::kBFloat16
                                                                             : torch::kFloat32;
      }
      return cpu_bf16_is_faster() ? torch::kBFloat16 : torch::kFloat32;
    case Precision::kFloat32:
      break;
  }
  return torch::kFloat32;
}

const char* type_name(torch::ScalarType type) {
  return type == torch::kBFloat16 ? "bf16" : type == torch::kHalf ? "fp16" : "fp32";
}

}  // namespace nst
