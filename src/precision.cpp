#include "nst/precision.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <limits>
#include <string>

namespace nst {
namespace {

// Best of a few timed runs of a 3×3, 64-channel convolution on a 96×96 map, forward and
// backward to its input as each optimisation step runs VGG's layers, in `type`.
double convolution_seconds(torch::ScalarType type) {
  torch::NoGradGuard outer;  // nothing here belongs to a caller's graph
  const auto options = torch::TensorOptions().dtype(type);
  const auto weight = torch::randn({64, 64, 3, 3}, options) * 0.05;
  const auto bias = torch::zeros({64}, options);
  const auto input = torch::randn({1, 64, 96, 96}, options);
  double best = std::numeric_limits<double>::infinity();
  for (int run = 0; run < 4; ++run) {  // the first includes oneDNN's kernel generation
    const auto start = std::chrono::steady_clock::now();
    {
      torch::AutoGradMode enable(true);
      const auto x = input.detach().requires_grad_(true);
      const auto y = torch::conv2d(x, weight, bias, 1, 1).relu();
      const auto gradient = torch::autograd::grad({y}, {x}, {torch::ones_like(y)})[0];
      (void)gradient.sum().item<float>();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (run > 0) best = std::min(best, seconds);
  }
  return best;
}

}  // namespace

bool cpu_has_native_bf16() {
  static const bool has = [] {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
      if (line.rfind("flags", 0) == 0) {
        return line.find(" avx512_bf16") != std::string::npos ||
               line.find(" amx_bf16") != std::string::npos;
      }
    }
    return false;
  }();
  return has;
}

bool cpu_bf16_is_faster() {
  // A fifth faster at least: a tie is not worth bf16's rounding, and the CPUs measured are far
  // from the line (0.38 and 0.61 of fp32's time, or 1.4), so that timing noise does not make
  // one run of a machine choose otherwise than the next.
  static const bool faster =
      cpu_has_native_bf16() &&
      convolution_seconds(torch::kBFloat16) < 0.8 * convolution_seconds(torch::kFloat32);
  return faster;
}

torch::ScalarType compute_type(Precision precision, const torch::Device& device) {
  switch (precision) {
    case Precision::kBFloat16:
      return torch::kBFloat16;
    case Precision::kFloat16:
      return torch::kHalf;
    case Precision::kAuto:
      if (device.is_cuda()) return torch::kHalf;
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
