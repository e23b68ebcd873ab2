#pragma once

#include <torch/types.h>

#include <cstdint>

namespace nst {

/// Dynamic loss scaling, for VGG layers that compute in half precision. The loss's gradient,
/// scaled by 1/(C²·H·W) in each Gram term, falls below half's smallest number (6e-8) on its way
/// back through 16 layers and becomes zero; computing the gradient of `scale`×loss keeps it in
/// range, and dividing by `scale` afterwards (in float32) gives the true gradient. The scale
/// starts high, halves whenever the scaled gradient overflows (that gradient is then computed
/// again, not used), and doubles after `growth_interval` steps without overflow, as PyTorch's
/// GradScaler does. Checking for overflow reads a number back from the device every step; only
/// half precision pays that.
class LossScaler {
 public:
  /// A scaler that does nothing (`enabled` false: float32 and bfloat16, whose range is float32's).
  explicit LossScaler(bool enabled, double initial_scale = 65536.0, int64_t growth_interval = 100);

  /// The gradient of `loss` with respect to `input`, computed through the scaled loss and
  /// unscaled; the graph of `loss` is kept for the retries. When even a scale of 1 overflows,
  /// the gradient returned is that non-finite one, for the caller to report.
  torch::Tensor gradient(const torch::Tensor& loss, const torch::Tensor& input);

  bool enabled() const { return enabled_; }
  double scale() const { return scale_; }

 private:
  bool enabled_;
  double scale_;
  int64_t growth_interval_;
  int64_t steps_without_overflow_ = 0;
};

}  // namespace nst
