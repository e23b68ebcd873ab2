#pragma once

#include <cstdint>
#include <optional>

namespace nst {

/// What the NVIDIA driver says about one CUDA device.
struct CudaDeviceInfo {
  int major = 0;            ///< compute capability, e.g. 8 for 8.0 (A100), 9 for 9.0 (H100)
  int minor = 0;            ///< compute capability's minor number
  int64_t free_bytes = 0;   ///< device memory free now, all processes counted
  int64_t total_bytes = 0;  ///< device memory in all
};

/// Asks the NVIDIA driver (libcuda.so.1, opened at run time, so that any LibTorch build can
/// ask, one built without CUDA included) about CUDA device `index`, numbered as LibTorch and
/// CUDA_VISIBLE_DEVICES number them. Nothing without a driver or without that device. Uses the
/// device's primary context, the one LibTorch uses, creating it if LibTorch has not yet.
std::optional<CudaDeviceInfo> cuda_device_info(int index);

}  // namespace nst
