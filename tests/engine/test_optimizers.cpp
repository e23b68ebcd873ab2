#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <vector>

#include "nst/engine/optimizers.h"

namespace nst {
namespace {

// Gradients this large put Adam in its normalised regime (ε 0.1 is negligible), where each
// pixel's first step is the learning rate, whatever the gradient's size.
constexpr double kGradient = 1e3;

torch::Tensor mid_grey(int64_t height, int64_t width) {
  return torch::full({1, 3, height, width}, 128.0);
}

// Takes `steps` steps with the constant gradient `gradient` (a descent moves pixels down) and
// returns how far the first pixel moved at each.
std::vector<double> moves(PixelOptimizer& optimizer, torch::Tensor& image, int64_t steps,
                          double gradient = kGradient) {
  std::vector<double> out;
  for (int64_t i = 0; i < steps; ++i) {
    const double before = image[0][0][0][0].item<double>();
    optimizer.step(image, [&] { return torch::full_like(image, gradient); });
    out.push_back(before - image[0][0][0][0].item<double>());
  }
  return out;
}

StyleTransferOptions adam(double learning_rate) {
  return StyleTransferOptions()
      .learning_rate(learning_rate)
      .lr_schedule(LrSchedule::kConstant)
      .beta1(0.9)
      .beta2(0.999);
}

TEST(Adam, FirstStepMovesEachPixelByTheLearningRate) {
  const auto o = adam(3.0);
  auto optimizer = make_optimizer(o);
  auto image = mid_grey(4, 5);
  optimizer->begin_scale(image, 0, 0, 10);
  const auto moved = moves(*optimizer, image, 1);
  EXPECT_NEAR(moved[0], 3.0, 1e-3);
  EXPECT_TRUE(torch::allclose(image, torch::full_like(image, 125.0), 1e-4, 1e-3));
}

TEST(Adam, KeepsPixelsInRange) {
  auto optimizer = make_optimizer(adam(50.0));
  auto image = torch::full({1, 3, 2, 2}, 10.0);
  optimizer->begin_scale(image, 0, 0, 3);
  moves(*optimizer, image, 3);
  EXPECT_EQ(image.min().item<double>(), 0.0);
  EXPECT_TRUE(optimizer->keeps_pixels_in_range());
}

TEST(Adam, CosineScheduleGoesFromTheRateToTheFinalRateOverEachScale) {
  const auto o = adam(8.0).lr_schedule(LrSchedule::kCosine).final_learning_rate(1.0);
  auto optimizer = make_optimizer(o);
  auto image = mid_grey(2, 2);
  for (const int64_t side : {2, 3}) {
    image = mid_grey(side, side);
    optimizer->begin_scale(image, static_cast<size_t>(side - 2), 4, 5);
    const auto moved = moves(*optimizer, image, 5);
    // With a constant gradient m̂/√v̂ is 1, so each move is that step's rate: 8, then down
    // half a cosine, 1 at the scale's last step.
    const std::vector<double> expected = {8.0, 1.0 + 3.5 * (1 + std::cos(M_PI / 4)), 4.5,
                                          1.0 + 3.5 * (1 + std::cos(3 * M_PI / 4)), 1.0};
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_NEAR(moved[i], expected[i], 1e-2) << "scale " << side << ", step " << i;
    }
  }
}

TEST(Adam, LaterScalesStartFromTheScaleRate) {
  const auto o =
      adam(8.0).lr_schedule(LrSchedule::kCosine).final_learning_rate(1.0).scale_learning_rate(3.0);
  auto optimizer = make_optimizer(o);
  auto image = mid_grey(2, 2);
  optimizer->begin_scale(image, 0, 0, 3);
  EXPECT_NEAR(moves(*optimizer, image, 1)[0], 8.0, 1e-2);
  // The second scale, and a run resumed at the third (no scale before it in this run): both
  // start at the scale rate and still end at the final rate.
  for (const auto& [index, previous_pixels] : {std::pair<size_t, int64_t>{1, 4}, {2, 0}}) {
    optimizer = make_optimizer(o);
    image = mid_grey(3, 3);
    optimizer->begin_scale(image, index, previous_pixels, 3);
    const auto moved = moves(*optimizer, image, 3);
    EXPECT_NEAR(moved[0], 3.0, 1e-2) << "scale " << index;
    EXPECT_NEAR(moved[1], 2.0, 1e-2) << "scale " << index;
    EXPECT_NEAR(moved[2], 1.0, 1e-2) << "scale " << index;
  }
}

TEST(Adam, ConstantScheduleKeepsTheRate) {
  auto optimizer = make_optimizer(adam(2.0));
  auto image = mid_grey(2, 2);
  optimizer->begin_scale(image, 0, 0, 4);
  for (const double moved : moves(*optimizer, image, 4)) EXPECT_NEAR(moved, 2.0, 1e-3);
}

// At a new scale the gradients of mean losses shrink with the pixel count. Returns the 30th
// move at the second scale, whose gradient is `ratio` times the first scale's: by then the
// first moment has forgotten the first scale, and the second moment (β2 0.999) has not.
double move_after_a_scale(ScaleMoments moments, double ratio) {
  const auto o = adam(2.0).scale_moments(moments);
  auto optimizer = make_optimizer(o);
  auto image = mid_grey(2, 2);
  optimizer->begin_scale(image, 0, 0, 20);
  moves(*optimizer, image, 20);
  auto larger = mid_grey(4, 4);
  optimizer->begin_scale(larger, 1, 4, 20);
  return moves(*optimizer, larger, 30, kGradient * ratio).back();
}

TEST(Adam, ResetMomentsStartAfreshAtEachScale) {
  // A fresh Adam's steps are the learning rate whatever the gradient's size.
  EXPECT_NEAR(move_after_a_scale(ScaleMoments::kReset, 0.25), 2.0, 1e-3);
}

TEST(Adam, RescaledMomentsMatchTheSmallerGradients) {
  // The moments scaled by the pixel ratio (4 → 16 pixels: 1/4) match gradients 1/4 as large,
  // so the steps keep their size.
  EXPECT_NEAR(move_after_a_scale(ScaleMoments::kRescale, 0.25), 2.0, 1e-2);
}

TEST(Adam, CarriedMomentsShrinkTheStepWhenTheGradientsShrink) {
  // The second moment remembers gradients 4 times larger: the steps are much smaller.
  EXPECT_LT(move_after_a_scale(ScaleMoments::kCarry, 0.25), 1.0);
}

TEST(Lbfgs, EvaluatesTheClosureOncePerStepAndDescends) {
  const auto o = StyleTransferOptions().optimizer(Optimizer::kLbfgs).learning_rate(1.0);
  auto optimizer = make_optimizer(o);
  EXPECT_FALSE(optimizer->keeps_pixels_in_range());
  // A quadratic bowl around 100: L = ½|x − 100|², gradient x − 100.
  auto image = mid_grey(3, 3);
  optimizer->begin_scale(image, 0, 0, 10);
  int evaluations = 0;
  for (int i = 0; i < 10; ++i) {
    optimizer->step(image, [&] {
      ++evaluations;
      return image.detach() - 100.0;
    });
  }
  EXPECT_EQ(evaluations, 10);
  EXPECT_TRUE(torch::allclose(image, torch::full_like(image, 100.0), 0, 1e-3));
}

}  // namespace
}  // namespace nst
