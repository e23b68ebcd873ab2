#include "nst/engine/device.h"

#include <ATen/Context.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "nst/engine/error.h"

namespace nst {

namespace {

// The N of "cuda:N" ("0" for "cuda"), or "" when `name` names no CUDA device.
std::string cuda_index(const std::string& name) {
  if (name == "cuda") return "0";
  if (name.rfind("cuda:", 0) != 0) return "";
  const std::string index = name.substr(5);
  const bool digits =
      !index.empty() && index.size() <= 3 &&
      std::all_of(index.begin(), index.end(), [](unsigned char c) { return std::isdigit(c); });
  return digits ? index : "";
}

}  // namespace

bool is_device_name(const std::string& name) {
  return name == "auto" || name == "cpu" || !cuda_index(name).empty();
}

torch::Device parse_device(const std::string& name) {
  if (!is_device_name(name)) {
    throw Error(ErrorCode::kInvalidOptions,
                "--device '" + name + "' is not auto, cpu, cuda or cuda:N (N a device number)");
  }
  const bool cuda = torch::cuda::is_available();
  if (name == "cpu" || (name == "auto" && !cuda)) return torch::kCPU;
  if (name == "auto") return {torch::kCUDA, 0};
  const std::string index = cuda_index(name);
  if (!cuda) {
    throw Error(ErrorCode::kInvalidOptions,
                "--device " + name +
                    " was asked for, but CUDA is not available (no GPU, or a LibTorch built "
                    "without CUDA)");
  }
  const int number = std::stoi(index);
  const auto count = static_cast<int>(torch::cuda::device_count());
  if (number >= count) {
    throw Error(ErrorCode::kInvalidOptions,
                "--device " + name + " was asked for, but there " +
                    (count == 1 ? std::string("is 1 CUDA device")
                                : std::to_string(count) + " CUDA devices") +
                    " (numbered from 0)");
  }
  return {torch::kCUDA, static_cast<torch::DeviceIndex>(number)};
}

torch::Device default_device() {
  return parse_device("auto");
}

void configure_arithmetic(const torch::Device& device, bool deterministic) {
  if (!device.is_cuda()) return;
  auto& context = at::globalContext();
  context.setFloat32MatmulPrecision(at::Float32MatmulPrecision::HIGHEST);  // cuBLAS: no TF32
  context.setAllowTF32CuDNN(false);
  if (deterministic) {
    // Read when LibTorch makes its first cuBLAS handle; ":4096:8" is what NVIDIA documents.
    setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
    context.setDeterministicCuDNN(true);
    context.setBenchmarkCuDNN(false);
    context.setDeterministicAlgorithms(true, /*warn_only=*/true);
  }
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

}  // namespace nst
