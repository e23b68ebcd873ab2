#pragma once

#include <torch/types.h>

#include <string>

namespace nst {

/// Whether `name` is one `parse_device` understands (available or not): auto, cpu, cuda, cuda:N.
bool is_device_name(const std::string& name);

/// The device `name` asks for: "auto" (the first CUDA device when CUDA is available, else the
/// CPU), "cpu", "cuda" (CUDA device 0) or "cuda:N". Throws `nst::Error(kInvalidOptions)` for
/// any other name, for CUDA where it is not available (no GPU, or a LibTorch built without
/// CUDA) and for a device number beyond those present.
torch::Device parse_device(const std::string& name);

/// `parse_device("auto")`.
torch::Device default_device();

/// Sets LibTorch's arithmetic for a run on `device`. On CUDA: no TF32 in cuBLAS's and cuDNN's
/// float32 work (from Ampere on they would round fp32 products to 10-bit mantissas, so fp32 would
/// not be fp32); with `deterministic`, cuDNN's deterministic algorithms without autotuning,
/// cuBLAS's deterministic workspace (CUBLAS_WORKSPACE_CONFIG, unless already set) and LibTorch's
/// warning for any operation that has no deterministic form, so that a seed gives the same
/// bytes. Nothing changes on the CPU, whose kernels here are deterministic already. These are
/// LibTorch's process-wide settings: each StyleTransfer sets them when it is made.
void configure_arithmetic(const torch::Device& device, bool deterministic);

/// Waits until the work queued on `device` is done (nothing to wait for on the CPU): timings
/// of CUDA work are otherwise those of queueing it.
void synchronize(const torch::Device& device);

}  // namespace nst
