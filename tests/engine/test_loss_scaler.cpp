#include <gtest/gtest.h>
#include <torch/types.h>

#include <limits>

#include "nst/engine/loss_scaler.h"

namespace nst {
namespace {

// A loss whose gradient passes through half precision on its way back, as through the VGG
// layers at --precision fp16: d/dx of factor·sum(half(x)·gain).
torch::Tensor loss_through_half(const torch::Tensor& x, double gain, double factor) {
  return (x.to(torch::kHalf) * gain).to(torch::kFloat32).sum() * factor;
}

TEST(LossScaler, KeepsAGradientThatHalfPrecisionWouldLose) {
  const auto x = torch::ones({4}, torch::requires_grad());
  // 1e-5 × 1e-3 = 1e-8 per element: below half's smallest subnormal (6e-8).
  const auto loss = loss_through_half(x, 1e-3, 1e-5);
  LossScaler off(false);
  EXPECT_EQ(off.gradient(loss, x).abs().max().item<double>(), 0.0);  // underflowed
  LossScaler scaler(true);
  const auto gradient = scaler.gradient(loss, x);
  EXPECT_NEAR(gradient[0].item<double>(), 1e-8, 1e-10);
  EXPECT_EQ(gradient.scalar_type(), torch::kFloat32);
}

TEST(LossScaler, HalvesTheScaleWhenTheScaledGradientOverflows) {
  const auto x = torch::ones({4}, torch::requires_grad());
  // 65536 × 1000 overflows half (largest 65504); 64 × 1000 does not.
  LossScaler scaler(true, 65536.0);
  const auto gradient = scaler.gradient(loss_through_half(x, 1000.0, 1.0), x);
  EXPECT_EQ(scaler.scale(), 64.0);
  EXPECT_TRUE(torch::allclose(gradient, torch::full({4}, 1000.0)));
}

TEST(LossScaler, GrowsAgainAfterStepsWithoutOverflow) {
  const auto x = torch::ones({4}, torch::requires_grad());
  LossScaler scaler(true, 8.0, /*growth_interval=*/3);
  for (int step = 0; step < 3; ++step) {
    scaler.gradient(loss_through_half(x, 1.0, 1.0), x);
  }
  EXPECT_EQ(scaler.scale(), 16.0);
}

TEST(LossScaler, DisabledItIsThePlainGradient) {
  const auto x = torch::arange(4, torch::dtype(torch::kFloat32).requires_grad(true));
  LossScaler off(false);
  EXPECT_EQ(off.scale(), 1.0);
  EXPECT_TRUE(torch::equal(off.gradient((x * x).sum(), x), 2 * x.detach()));
}

TEST(LossScaler, ANonFiniteLossComesBackNonFinite) {
  const auto x = torch::ones({2}, torch::requires_grad());
  LossScaler scaler(true, 4.0);
  const auto loss = (x * std::numeric_limits<float>::infinity()).sum();
  EXPECT_FALSE(torch::isfinite(scaler.gradient(loss, x)).all().item<bool>());
  EXPECT_EQ(scaler.scale(), 1.0);
}

}  // namespace
}  // namespace nst
