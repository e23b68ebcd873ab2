#pragma once

#include <torch/torch.h>

#include "nst/options.h"

namespace nst {

/// Whether this CPU has native bfloat16 arithmetic (AVX512-BF16 or AMX-BF16).
bool cpu_has_native_bf16();

/// Whether a bfloat16 convolution, forward and backward to its input, runs faster than a
/// float32 one on this CPU with the current thread count: measured once per process on a
/// VGG-sized layer (about a tenth of a second), since the instructions alone do not say.
/// A bf16 step of the loop at 512 px took 0.36× an fp32 step on one 2-core Xeon with
/// AVX512-BF16, 0.61× on a 2-core EPYC, and 1.4× on a 2-core Xeon of model 207 whose virtual
/// CPU shows AVX512-BF16 but no AMX.
bool cpu_bf16_is_faster();

/// The type the VGG layers compute in for `precision` on `device`, `kAuto` resolved: bfloat16
/// on CPUs where it is native and measured faster (`cpu_bf16_is_faster`), half on CUDA, else
/// float32.
torch::ScalarType compute_type(Precision precision, const torch::Device& device);

/// "fp32", "bf16" or "fp16" for float32, bfloat16 and half.
const char* type_name(torch::ScalarType type);

}  // namespace nst
