#include "nst/engine/loss_scaler.h"

#include <torch/autograd.h>

#include <algorithm>

namespace nst {
namespace {

// Float32's range bounds the scale: 2^24 leaves the scaled loss far from overflowing there.
constexpr double kLargestScale = 16777216.0;

}  // namespace

LossScaler::LossScaler(bool enabled, double initial_scale, int64_t growth_interval)
    : enabled_(enabled), scale_(enabled ? initial_scale : 1.0), growth_interval_(growth_interval) {}

torch::Tensor LossScaler::gradient(const torch::Tensor& loss, const torch::Tensor& input) {
  if (!enabled_) return torch::autograd::grad({loss}, {input})[0];
  for (;;) {
    const auto scaled = torch::autograd::grad({loss * scale_}, {input}, {},
                                              /*retain_graph=*/true)[0];
    if (torch::isfinite(scaled).all().item<bool>()) {
      if (++steps_without_overflow_ >= growth_interval_) {
        scale_ = std::min(kLargestScale, scale_ * 2.0);
        steps_without_overflow_ = 0;
      }
      return scaled / scale_;
    }
    steps_without_overflow_ = 0;
    if (scale_ <= 1.0) return scaled;  // not an overflow of the scaling: the loss itself
    scale_ = std::max(1.0, scale_ / 2.0);
  }
}

}  // namespace nst
