#pragma once

#include <torch/types.h>

#include "nst/engine/options.h"

namespace nst {

/// Whether this CPU has native bfloat16 arithmetic (AVX512-BF16 or AMX-BF16).
bool cpu_has_native_bf16();

/// Whether bfloat16 VGG layers run faster than float32 ones on this CPU: where it has AMX-BF16,
/// or is an AMD CPU with AVX512-BF16. A bf16 step of the loop at 512 px took 0.36× an fp32 step
/// on one 2-core Xeon (AMX inferred from that speed), 0.61× on a 2-core EPYC, and 1.4× on a
/// 2-core Xeon of model 207 whose virtual CPU shows AVX512-BF16 but no AMX: there oneDNN's bf16
/// convolutions ran no faster than fp32's and their backward pass slower.
bool cpu_bf16_is_faster();

/// Whether CUDA device `index` has bfloat16 tensor cores (compute capability 8.0 and later:
/// A100, RTX 30xx, H100 and newer). Older GPUs emulate bfloat16, slower than float32.
bool cuda_has_native_bf16(int index);

/// The type the VGG layers compute in for `precision` on `device`, `kAuto` resolved: bfloat16
/// on CPUs where it is faster (`cpu_bf16_is_faster`) and on GPUs that have it natively
/// (`cuda_has_native_bf16`), else float32. Half precision only when asked for: its range is
/// too narrow for this loss's gradients without loss scaling (see `StyleTransfer`).
torch::ScalarType compute_type(Precision precision, const torch::Device& device);

/// "fp32", "bf16" or "fp16" for float32, bfloat16 and half.
const char* type_name(torch::ScalarType type);

}  // namespace nst
