#include <gtest/gtest.h>
#include <torch/autograd.h>
#include <torch/types.h>

#include <cmath>
#include <functional>
#include <vector>

#include "nst/engine/losses.h"

namespace nst {
namespace {

torch::Tensor doubles(std::vector<double> values, torch::IntArrayRef shape) {
  return torch::tensor(values, torch::kFloat64).reshape(shape);
}

TEST(GramMatrix, MatchesHandComputedValues) {
  // Channel 0 = [[1, 2], [3, 4]], channel 1 = [[0, 1], [0, -1]]; H·W = 4.
  const auto features = doubles({1, 2, 3, 4, 0, 1, 0, -1}, {1, 2, 2, 2});
  const auto expected = doubles({30.0 / 4, -2.0 / 4, -2.0 / 4, 2.0 / 4}, {2, 2});
  const auto gram = gram_matrix(features);
  ASSERT_EQ(gram.sizes(), torch::IntArrayRef({2, 2}));
  EXPECT_TRUE(torch::allclose(gram, expected)) << gram;
}

TEST(GramMatrix, DividesByTheNumberOfPositionsNotChannels) {
  // Two channels over a 2×3 map: 1..6 and all ones; H·W = 6.
  const auto features = doubles({1, 2, 3, 4, 5, 6, 1, 1, 1, 1, 1, 1}, {1, 2, 2, 3});
  const auto expected = doubles({91.0 / 6, 21.0 / 6, 21.0 / 6, 1.0}, {2, 2});
  EXPECT_TRUE(torch::allclose(gram_matrix(features), expected)) << gram_matrix(features);
}

TEST(GramMatrix, AcceptsAMapWithoutBatchDimension) {
  torch::manual_seed(1);
  const auto features = torch::randn({4, 5, 3}, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(gram_matrix(features), gram_matrix(features.unsqueeze(0))));
}

TEST(ContentLoss, IsZeroForIdenticalInputs) {
  torch::manual_seed(2);
  const auto features = torch::randn({1, 3, 4, 5});
  EXPECT_EQ(content_loss(features, features.clone()).item<double>(), 0.0);
}

TEST(ContentLoss, IsTheMeanSquaredDifference) {
  const auto features = doubles({1, 2, 3, 4, 5, 6}, {1, 2, 1, 3});
  const auto target = doubles({1, 0, 3, 0, 5, 9}, {1, 2, 1, 3});
  // Squared differences 0, 4, 0, 16, 0, 9 over 6 elements.
  EXPECT_DOUBLE_EQ(content_loss(features, target).item<double>(), 29.0 / 6);
}

TEST(StyleLoss, IsZeroForIdenticalGrams) {
  torch::manual_seed(3);
  const auto gram = gram_matrix(torch::randn({1, 6, 4, 4}));
  EXPECT_EQ(style_loss(gram, gram.clone()).item<double>(), 0.0);
}

TEST(StyleLoss, IsTheMeanSquaredDifferenceOfGrams) {
  const auto gram = doubles({1, 2, 3, 4}, {2, 2});
  const auto target = doubles({1, 0, 0, 0}, {2, 2});
  EXPECT_DOUBLE_EQ(style_loss(gram, target).item<double>(), (0 + 4 + 9 + 16) / 4.0);
}

// gram_style_loss(F, A) and style_loss(gram_matrix(F), A), value and ∂/∂F, with the loss scaled
// by `upstream` so that the custom backward's use of its incoming gradient is exercised too.
void expect_same_as_composition(const torch::Tensor& base, const torch::Tensor& target,
                                double upstream, double rtol, double atol,
                                const std::function<torch::Tensor(const torch::Tensor&)>& view) {
  const auto fused_input = base.detach().clone().set_requires_grad(true);
  const auto fused = gram_style_loss(view(fused_input), target);
  (fused * upstream).backward();

  const auto plain_input = base.detach().clone().set_requires_grad(true);
  const auto plain = style_loss(gram_matrix(view(plain_input)), target);
  (plain * upstream).backward();

  EXPECT_TRUE(torch::allclose(fused, plain, rtol, atol))
      << fused.item<double>() << " vs " << plain.item<double>();
  ASSERT_TRUE(fused_input.grad().defined());
  EXPECT_TRUE(torch::allclose(fused_input.grad(), plain_input.grad(), rtol, atol))
      << "max difference " << (fused_input.grad() - plain_input.grad()).abs().max().item<double>();
  EXPECT_GT(fused_input.grad().abs().max().item<double>(), 0.0);
}

// Ruder et al.'s temporal loss: the consistency-weighted squares over C·H·W, and a gradient
// (2·c·(x − ω) / (C·H·W)) that pulls each pixel toward the warped frame as far as it is trusted.
TEST(TemporalLoss, IsTheWeightedMeanSquareAndPullsWhereTheFlowHolds) {
  torch::manual_seed(9);
  const auto image = (torch::rand({1, 3, 4, 5}, torch::kFloat64) * 255).requires_grad_(true);
  const auto warped = torch::rand({1, 3, 4, 5}, torch::kFloat64) * 255;
  auto consistency = torch::rand({1, 1, 4, 5}, torch::kFloat64);
  consistency.index_put_({0, 0, 0}, 0.0);  // the first row is not trusted
  const auto loss = temporal_loss(image, warped, consistency);
  const auto difference = image.detach() - warped;
  EXPECT_NEAR(loss.item<double>(), (consistency * difference.square()).sum().item<double>() / 60.0,
              1e-9);
  loss.backward();
  const auto expected = 2.0 * consistency * difference / 60.0;
  EXPECT_TRUE(torch::allclose(image.grad(), expected, 1e-12, 1e-12));
  EXPECT_GT(image.grad().abs().max().item<double>(), 0.0) << "the gradient must not vanish";
  EXPECT_EQ(image.grad().index({0, torch::indexing::Slice(), 0}).abs().max().item<double>(), 0.0)
      << "untrusted pixels must be free";
  // Float32 images are compared in float32; the loss is a scalar.
  EXPECT_EQ(temporal_loss(image.detach().to(torch::kFloat32), warped.to(torch::kFloat32),
                          consistency.to(torch::kFloat32))
                .dim(),
            0);
}

const auto identity = [](const torch::Tensor& t) { return t; };

TEST(GramStyleLoss, SameValueAndGradientAsComposition) {
  torch::manual_seed(4);
  const auto features = torch::randn({1, 8, 5, 7}, torch::kFloat64);
  const auto target = gram_matrix(torch::randn({1, 8, 6, 6}, torch::kFloat64));
  expect_same_as_composition(features, target, 1.0, 1e-10, 1e-12, identity);
}

TEST(GramStyleLoss, ScalesItsGradientByTheIncomingGradient) {
  torch::manual_seed(5);
  const auto features = torch::randn({1, 6, 4, 9}, torch::kFloat64);
  const auto target = gram_matrix(torch::randn({1, 6, 3, 3}, torch::kFloat64));
  expect_same_as_composition(features, target, 2.5, 1e-10, 1e-12, identity);
}

TEST(GramStyleLoss, MatchesInSinglePrecision) {
  torch::manual_seed(6);
  const auto features = torch::rand({1, 16, 8, 8}) * 10;
  const auto target = gram_matrix(torch::rand({1, 16, 8, 8}) * 10);
  expect_same_as_composition(features, target, 1.0, 1e-4, 1e-6, identity);
}

TEST(GramStyleLoss, MatchesForMapsWithoutBatchDimension) {
  torch::manual_seed(7);
  const auto features = torch::randn({5, 4, 6}, torch::kFloat64);
  const auto target = gram_matrix(torch::randn({5, 2, 2}, torch::kFloat64));
  expect_same_as_composition(features, target, 1.0, 1e-10, 1e-12, identity);
}

TEST(GramStyleLoss, MatchesForNonContiguousFeatures) {
  torch::manual_seed(8);
  const auto features = torch::randn({1, 5, 6, 4}, torch::kFloat64);
  const auto target = gram_matrix(torch::randn({1, 5, 4, 4}, torch::kFloat64));
  expect_same_as_composition(features, target, 1.0, 1e-10, 1e-12,
                             [](const torch::Tensor& t) { return t.transpose(2, 3); });
}

TEST(GramStyleLoss, Bfloat16FeaturesGiveAFloat32LossAndABfloat16GradientCloseToFloat32s) {
  torch::manual_seed(10);
  // Non-negative like ReLU outputs, and large enough that the products round in bfloat16.
  const auto features = torch::rand({1, 16, 24, 20}) * 30;
  const auto target = gram_matrix(torch::rand({1, 16, 20, 20}) * 25);

  const auto wide = features.clone().set_requires_grad(true);
  const auto wide_loss = gram_style_loss(wide, target);
  wide_loss.backward();

  const auto narrow = features.to(torch::kBFloat16).set_requires_grad(true);
  const auto narrow_loss = gram_style_loss(narrow, target);
  narrow_loss.backward();

  EXPECT_EQ(narrow_loss.scalar_type(), torch::kFloat32);
  EXPECT_EQ(narrow.grad().scalar_type(), torch::kBFloat16);
  EXPECT_NEAR(narrow_loss.item<double>(), wide_loss.item<double>(),
              0.01 * wide_loss.item<double>());
  const auto difference = (narrow.grad().to(torch::kFloat32) - wide.grad()).norm();
  EXPECT_LT(difference.item<double>(), 0.02 * wide.grad().norm().item<double>());
}

TEST(GramMatrix, OfBfloat16FeaturesIsFloat32) {
  const auto features = torch::ones({1, 2, 3, 3}, torch::kBFloat16);
  const auto gram = gram_matrix(features);
  EXPECT_EQ(gram.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::allclose(gram, torch::ones({2, 2})));
  EXPECT_EQ(content_loss(features, torch::zeros({1, 2, 3, 3})).scalar_type(), torch::kFloat32);
}

TEST(GramStyleLoss, IsZeroWithZeroGradientAtTheTarget) {
  torch::manual_seed(9);
  const auto features = torch::randn({1, 4, 3, 3}, torch::kFloat64).set_requires_grad(true);
  const auto loss = gram_style_loss(features, gram_matrix(features).detach());
  loss.backward();
  EXPECT_NEAR(loss.item<double>(), 0.0, 1e-24);
  EXPECT_NEAR(features.grad().abs().max().item<double>(), 0.0, 1e-12);
}

}  // namespace
}  // namespace nst

namespace nst {
namespace {

torch::Tensor random_spd(int64_t n, double ridge) {
  const auto a = torch::randn({n, n}, torch::kFloat64);
  return a.mm(a.t()) + ridge * torch::eye(n, torch::kFloat64);
}

TEST(SqrtmNewtonSchulz, SquaresBackToTheMatrix) {
  torch::manual_seed(1);
  const auto m = random_spd(6, 1.0);
  const auto root = sqrtm_newton_schulz(m, 30);
  EXPECT_TRUE(torch::allclose(root.mm(root), m, 1e-6, 1e-6));
}

TEST(W2StyleLoss, IsNearZeroForTheSameFeatures) {
  torch::manual_seed(2);
  // Positive like ReLU outputs, with more positions than channels (a full-rank covariance).
  const auto features = torch::rand({1, 8, 6, 6}, torch::kFloat64);
  const double loss = w2_style_loss(features, gaussian_statistics(features)).item<double>();
  EXPECT_NEAR(loss, 0.0, 1e-6);
  const auto other = torch::rand({1, 8, 6, 6}, torch::kFloat64) * 2.0;
  EXPECT_GT(w2_style_loss(other, gaussian_statistics(features)).item<double>(), 1e-3);
}

TEST(W2StyleLoss, KnowsTheDistanceBetweenShiftedCopies) {
  // Shifting every channel by 1 moves the mean by 1 per channel and leaves the covariance:
  // W2² = C, divided by C = 1.
  torch::manual_seed(3);
  const auto features = torch::rand({1, 5, 7, 7}, torch::kFloat64);
  const double loss = w2_style_loss(features + 1.0, gaussian_statistics(features)).item<double>();
  EXPECT_NEAR(loss, 1.0, 1e-5);
}

TEST(W2StyleLoss, GradientMatchesFiniteDifferences) {
  torch::manual_seed(4);
  const auto target = gaussian_statistics(torch::rand({1, 4, 5, 5}, torch::kFloat64));
  auto features = torch::rand({1, 4, 5, 5}, torch::kFloat64).requires_grad_(true);
  const auto gradient = torch::autograd::grad({w2_style_loss(features, target)}, {features})[0];
  const double h = 1e-6;
  torch::NoGradGuard no_grad;
  const auto flat = features.detach().flatten();
  for (const int64_t i : {0, 7, 33, 61, 99}) {
    auto plus = flat.clone();
    auto minus = flat.clone();
    plus[i] += h;
    minus[i] -= h;
    const double numeric = (w2_style_loss(plus.view(features.sizes()), target).item<double>() -
                            w2_style_loss(minus.view(features.sizes()), target).item<double>()) /
                           (2 * h);
    EXPECT_NEAR(gradient.flatten()[i].item<double>(), numeric, 1e-5 + 1e-3 * std::abs(numeric))
        << "element " << i;
  }
}

}  // namespace
}  // namespace nst
