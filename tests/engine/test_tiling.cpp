// Tiled losses and gradients against the whole image's: exact in float64 with the halo and
// alignment TilePlan::halo_for and stride_for give, and measurably wrong without them.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <array>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "nst/engine/error.h"
#include "nst/engine/losses.h"
#include "nst/engine/memory_plan.h"
#include "nst/engine/objective.h"
#include "nst/engine/tiling.h"
#include "nst/engine/transfer.h"
#include "test_tensors.h"

namespace nst {
namespace {

using Strings = std::vector<std::string>;

const FeatureExtractor& model() {
  static const FeatureExtractor extractor = test::load_model_file(NST_TEST_MODEL);
  return extractor;
}

torch::Tensor image_of(const test::Pixels& pixels, torch::ScalarType type) {
  return test::to_tensor(pixels).to(type);
}

// Options with these layers, every term switched on.
StyleTransferOptions options_with(const Strings& content, const Strings& style,
                                  StyleLoss loss = StyleLoss::kGram) {
  return StyleTransferOptions::preset("default")
      .content_layers(content)
      .style_layers(style)
      .style_loss(loss)
      .content_weight(3.0)
      .style_weight(1e3)
      .tv_weight(0.5);
}

double relative(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).norm().item<double>() / b.norm().item<double>();
}

struct Comparison {
  double loss = 0;      // relative difference of the total losses
  double gradient = 0;  // relative difference (2-norm) of the gradients
  torch::Tensor whole_gradient;
  torch::Tensor tiled_gradient;
};

// The whole image's loss and gradient against the tiled ones over `plan`, with targets from
// `content` and `style` computed untiled, in `type`.
Comparison compare(const FeatureExtractor& extractor, const StyleTransferOptions& options,
                   const TilePlan& plan, torch::ScalarType type = torch::kFloat64,
                   const Objective::LayerMaps* given_style_targets = nullptr) {
  const Objective objective(options);
  const auto content = image_of(test::gradient_pixels(plan.width(), plan.height()), type);
  const auto style = image_of(test::stripes_pixels(40, 48), type);
  const auto wide = FeatureExtractor::Output::kLayerType;
  Objective::LayerMaps content_targets;
  Objective::LayerMaps style_targets;
  {
    torch::NoGradGuard no_grad;
    content_targets = extractor.extract(content, options.content_layers(), type, wide);
    for (const auto& [name, map] : extractor.extract(style, options.style_layers(), type, wide)) {
      style_targets.emplace(name, options.style_loss() == StyleLoss::kW2 ? gaussian_statistics(map)
                                                                         : gram_matrix(map));
    }
  }
  if (given_style_targets) style_targets = *given_style_targets;
  // The image being painted: the content with a deterministic disturbance.
  const auto image =
      (content * 0.7 + image_of(test::stripes_pixels(plan.width(), plan.height()), type) * 0.3)
          .detach()
          .requires_grad_(true);
  const auto features = extractor.extract(image, objective.layers(), type, wide);
  const auto whole = objective.losses(image, features, content_targets, style_targets);
  whole.total.backward();
  const auto tiled =
      objective.evaluate_tiled(extractor, type, image, plan, content_targets, style_targets);
  // Wrong plans (the negative controls) may count the content's cells differently.
  if (plan.exact(objective.layers()) && type == torch::kFloat64) {
    const auto value_only =
        objective.tiled_losses(extractor, type, image, plan, content_targets, style_targets);
    EXPECT_NEAR(value_only.total.item<double>(), tiled.losses.total.item<double>(),
                1e-12 * std::abs(tiled.losses.total.item<double>()));
  }
  return {std::abs(tiled.losses.total.item<double>() - whole.total.item<double>()) /
              std::abs(whole.total.item<double>()),
          relative(tiled.gradient.to(torch::kFloat64), image.grad().to(torch::kFloat64)),
          image.grad().to(torch::kFloat64), tiled.gradient.to(torch::kFloat64)};
}

const Strings kShallowStyle{"relu1_1", "relu2_1", "relu3_1"};

TEST(TilePlan, HalosCoverTheReceptiveFieldRoundedToTheStride) {
  const std::vector<std::pair<std::string, int64_t>> expected{
      {"relu1_1", 1},  {"relu2_1", 4},  {"relu3_1", 12}, {"relu4_1", 32},
      {"relu4_2", 40}, {"relu5_1", 80}, {"relu5_2", 96}};
  for (const auto& [layer, halo] : expected) {
    EXPECT_EQ(TilePlan::halo_for({layer}), halo) << layer;
    EXPECT_EQ(halo % TilePlan::stride_for({layer}), 0) << layer;
  }
  EXPECT_EQ(TilePlan::stride_for({"relu5_2"}), 16);
  EXPECT_EQ(TilePlan::halo_for({"relu1_1", "relu5_1", "relu3_1"}), 80);
}

TEST(TilePlan, CoresCoverTheImageOnceAndCropsStayInside) {
  const TilePlan plan(100, 70, 32, 16);
  auto covered = torch::zeros({100, 70}, torch::kInt32);
  for (const auto& tile : plan.tiles()) {
    covered.narrow(0, tile.core.top, tile.core.height())
        .narrow(1, tile.core.left, tile.core.width())
        .add_(1);
    EXPECT_GE(tile.crop.top, 0);
    EXPECT_GE(tile.crop.left, 0);
    EXPECT_LE(tile.crop.bottom, 100);
    EXPECT_LE(tile.crop.right, 70);
    EXPECT_EQ(tile.crop.top, std::max<int64_t>(0, tile.core.top - 16));
    EXPECT_EQ(tile.crop.right, std::min<int64_t>(70, tile.core.right + 16));
  }
  EXPECT_EQ(plan.tiles().size(), 4u * 3u);
  EXPECT_TRUE(covered.eq(1).all().item<bool>());
  EXPECT_TRUE(plan.exact({"relu3_1"}));
  EXPECT_FALSE(plan.exact({"relu4_1"}));                       // halo 16 < 32
  EXPECT_FALSE(TilePlan(100, 70, 20, 32).exact({"relu4_1"}));  // 20 is not a multiple of 8
}

TEST(TiledLoss, GramContentAndTotalVariationAreExactInFloat64) {
  const auto c =
      compare(model(), options_with({"relu2_2"}, kShallowStyle), TilePlan(52, 44, 16, 12));
  EXPECT_LT(c.loss, 1e-12);
  EXPECT_LT(c.gradient, 1e-10);
}

TEST(TiledLoss, WassersteinStyleIsExactInFloat64) {
  const TilePlan plan(52, 44, 16, 12);
  const auto c = compare(model(), options_with({"relu3_1"}, kShallowStyle, StyleLoss::kW2), plan);
  EXPECT_LT(c.loss, 1e-12);
  EXPECT_LT(c.gradient, 1e-10);
}

TEST(TiledLoss, AveragePoolingIsExactInFloat64) {
  const TilePlan plan(52, 44, 16, 12);
  const auto c = compare(model().with_pooling(Pooling::kAverage),
                         options_with({"relu2_2"}, kShallowStyle), plan);
  EXPECT_LT(c.loss, 1e-12);
  EXPECT_LT(c.gradient, 1e-10);
}

TEST(TiledLoss, BlendedTargetsAreExactInFloat64) {
  // Two styles' W2 targets blended, as a batch with --style a.png:0.3,b.png:0.7 gets them.
  const auto options = options_with({"relu2_2"}, kShallowStyle, StyleLoss::kW2);
  const StyleTransfer transfer(model(),
                               StyleTransferOptions(options).precision(Precision::kFloat32));
  const auto a = transfer.style_targets(test::to_tensor(test::stripes_pixels(40, 48)));
  const auto b = transfer.style_targets(test::to_tensor(test::gradient_pixels(36, 30)));
  auto blended = transfer.blend_targets({a, b}, {0.3, 0.7}).scales.back();
  for (auto& [name, target] : blended) target = target.to(torch::kFloat64);
  const auto c = compare(model(), options, TilePlan(52, 44, 16, 12), torch::kFloat64, &blended);
  EXPECT_LT(c.loss, 1e-12);
  EXPECT_LT(c.gradient, 1e-10);
}

// The deepest layer a preset reads: a tall, narrow image, so that the halo of 96 px matters.
TEST(TiledLoss, FifthBlockIsExactInFloat64WithItsHaloAndFailsWithoutIt) {
  const auto options = options_with({"relu5_2"}, {"relu1_1", "relu3_1", "relu5_1"});
  ASSERT_EQ(TilePlan::halo_for(Objective(options).layers()), 96);
  const auto exact = compare(model(), options, TilePlan(320, 16, 64, 96));
  EXPECT_LT(exact.loss, 1e-12);
  EXPECT_LT(exact.gradient, 1e-10);
  // Negative controls: a halo short of the receptive field, and a core that is not a multiple
  // of the stride. Halo 80 misses only the outermost 6 px of relu5_2's field, which these
  // random weights hardly use (the error is about 4e-12, ten thousand times the exact plan's);
  // halo 64 and a core of 56 px are wrong in the fourth and third digit.
  const std::vector<std::tuple<int64_t, int64_t, double>> controls{
      {64, 80, 1e3 * exact.gradient}, {64, 64, 1e-5}, {56, 96, 1e-4}};
  for (const auto& [core, halo, at_least] : controls) {
    const auto wrong = compare(model(), options, TilePlan(320, 16, core, halo));
    EXPECT_GT(wrong.gradient, at_least) << "core " << core << ", halo " << halo;
  }
}

TEST(TiledLoss, Float32GradientIsAsCloseToFloat64AsTheWholeImages) {
  const auto options = options_with({"relu4_2"}, {"relu1_1", "relu2_1", "relu3_1", "relu4_1"});
  const TilePlan plan(96, 80, 32, 40);
  const auto truth = compare(model(), options, plan, torch::kFloat64).whole_gradient;
  const auto fp32 = compare(model(), options, plan, torch::kFloat32);
  const double whole_error = relative(fp32.whole_gradient, truth);
  const double tiled_error = relative(fp32.tiled_gradient, truth);
  EXPECT_LT(fp32.loss, 1e-6);
  EXPECT_LT(whole_error, 1e-3);
  EXPECT_LT(tiled_error, 2 * whole_error) << "whole image's error " << whole_error;
}

// The print case in small: the default layers (relu5_2 deepest, halo 96) at 512x480 in cores
// of 128, in float32, tiled against whole. (A float64 reference at this size takes minutes; the
// smaller case above holds both float32 errors against float64.)
TEST(TiledLoss, Float32At512InCoresOf128IsTheWholeImagesWithinRounding) {
  const auto options = StyleTransferOptions::preset("default");
  const TilePlan plan(480, 512, 128, 96);
  ASSERT_TRUE(plan.exact(Objective(options).layers()));
  const auto fp32 = compare(model(), options, plan, torch::kFloat32);
  std::printf("float32, tiled against whole: loss %.3g, gradient %.3g\n", fp32.loss, fp32.gradient);
  EXPECT_LT(fp32.loss, 1e-5);
  EXPECT_LT(fp32.gradient, 1e-5);
}

TEST(TiledTargets, ContentAndStyleTargetsEqualTheWholeImages) {
  const auto content = image_of(test::stripes_pixels(60, 44), torch::kFloat64);
  const TilePlan plan(44, 60, 16, 12);
  const auto wide = FeatureExtractor::Output::kLayerType;
  const Strings layers{"relu1_2", "relu3_1"};
  const auto whole = model().extract(content, layers, torch::kFloat64, wide);
  const auto tiled = Objective::tiled_features(model(), torch::kFloat64, content, plan, layers);
  for (const auto& name : layers) {
    ASSERT_EQ(tiled.at(name).sizes(), whole.at(name).sizes()) << name;
    EXPECT_LT(relative(tiled.at(name), whole.at(name)), 1e-13) << name;
  }
  for (const auto loss : {StyleLoss::kGram, StyleLoss::kW2}) {
    const Objective objective(options_with({"relu2_2"}, kShallowStyle, loss));
    const auto targets = objective.tiled_style_targets(model(), torch::kFloat64, content, plan);
    for (const auto& [name, map] : model().extract(content, kShallowStyle, torch::kFloat64, wide)) {
      if (loss == StyleLoss::kGram) {
        EXPECT_LT(relative(targets.at(name), gram_matrix(map)), 1e-12) << name;
        continue;
      }
      // W2's targets: the mean, and the covariance's root, compared squared (the root of an
      // eigenvalue near zero turns rounding into differences of 1e-8).
      const auto expected = gaussian_statistics(map);
      const int64_t channels = map.size(1);
      const auto root = targets.at(name).narrow(0, 1, channels);
      const auto expected_root = expected.narrow(0, 1, channels);
      EXPECT_LT(relative(targets.at(name)[0], expected[0]), 1e-12) << name;
      EXPECT_LT(relative(root.mm(root), expected_root.mm(expected_root)), 1e-12) << name;
    }
  }
}

// The run's loop on tiles. Twenty steps of Adam carry rounding differences far: a pixel whose
// gradient is near zero steps a whole learning rate one way or the other on its sign. So the
// tiled run is held to what a whole-image run differs by when its content is nudged by 1e-4 of
// a level (rounding's scale), and its losses to the whole run's.
TEST(TiledTransfer, TwentyTiledStepsPaintTheUntiledImageWithinRounding) {
  const auto options = StyleTransferOptions::preset("default")
                           .iterations(20)
                           .min_scale(0)
                           .precision(Precision::kFloat32)
                           .content_layers({"relu4_2"})
                           .style_layers({"relu1_1", "relu2_1", "relu3_1", "relu4_1"});
  const auto content = test::to_tensor(test::gradient_pixels(96, 80));
  const auto nudged = content + 1e-4 * test::to_tensor(test::stripes_pixels(96, 80)) / 255;
  const auto style = test::to_tensor(test::stripes_pixels(64, 64));
  const StyleTransfer whole(model(), options);
  const StyleTransfer tiled(model(), StyleTransferOptions(options).tile(48));
  const auto targets = whole.style_targets(style);
  const auto expected = whole.run(content, targets);
  const auto rounding = (whole.run(nudged, targets).image - expected.image).abs().mean();
  const auto result = tiled.run(content, tiled.style_targets(style));
  ASSERT_EQ(result.image.sizes(), expected.image.sizes());
  const auto difference = (result.image - expected.image).abs().mean();
  EXPECT_LT(difference.item<double>(), 2 * rounding.item<double>() + 0.01);
  EXPECT_NEAR(result.loss, expected.loss, 1e-3 * expected.loss);
  EXPECT_GT((expected.image - content).abs().mean().item<double>(), 1.0) << "nothing was painted";
}

TEST(TiledTransfer, TilesShrinkTheMemoryEstimateToOneCropsActivations) {
  const auto options =
      StyleTransferOptions::preset("default").precision(Precision::kFloat32).tile(kTileOff);
  const StyleTransfer whole(model(), options);
  const StyleTransfer tiled(model(), StyleTransferOptions(options).tile(512));
  EXPECT_GT(whole.estimate_memory_bytes(3072, 4096), 25e9);
  EXPECT_LT(tiled.estimate_memory_bytes(3072, 4096), 6e9);
  // An image no larger than one core is computed whole, and estimated so.
  EXPECT_EQ(tiled.estimate_memory_bytes(480, 512), whole.estimate_memory_bytes(480, 512));
}

// --- the memory model and --tile auto ----------------------------------------------------------

MemoryBudget budget_of(double bytes) {
  MemoryBudget budget;
  budget.bytes = static_cast<int64_t>(bytes);
  budget.source = MemoryBudget::Source::kLimit;
  return budget;
}

MemoryModel fp32_model(StyleTransferOptions options = StyleTransferOptions()) {
  return MemoryModel(options.precision(Precision::kFloat32), torch::kFloat32, false);
}

TEST(MemoryModel, TilesCountTheCropsTheyReadAndOneCropsActivations) {
  const MemoryModel model = fp32_model();
  EXPECT_EQ(model.halo(), 96);
  EXPECT_EQ(model.stride(), 16);
  const MemoryPlan whole = model.whole(768, 1024);
  EXPECT_FALSE(whole.tiled());
  EXPECT_EQ(whole.work, 1.0);
  const MemoryPlan tiled = model.tiled(768, 1024, 500);  // rounded up to 512
  EXPECT_EQ(tiled.core, 512);
  EXPECT_EQ(tiled.halo, 96);
  EXPECT_EQ(tiled.tiles, 4);
  // Rows read 0..608 and 416..768, columns 0..608 and 416..1024.
  EXPECT_NEAR(tiled.work, (608.0 + 352) * (608 + 608) / (768.0 * 1024), 1e-12);
  EXPECT_LT(tiled.peak_bytes, whole.peak_bytes);
  EXPECT_GT(tiled.whole_image_bytes, whole.whole_image_bytes);  // the full-size images
  // Counted without listing the tiles, they are still the tiles a run computes.
  for (const auto& [height, width, core] :
       std::vector<std::array<int64_t, 3>>{{3072, 4096, 928}, {543, 724, 128}, {97, 1000, 144}}) {
    const MemoryPlan plan = model.tiled(height, width, core);
    const TilePlan tiles(height, width, core, 96);
    double read = 0;
    for (const auto& tile : tiles.tiles()) {
      read += static_cast<double>(tile.crop.height() * tile.crop.width());
    }
    EXPECT_EQ(plan.tiles, static_cast<int64_t>(tiles.tiles().size())) << width << "x" << height;
    EXPECT_NEAR(plan.work, read / static_cast<double>(height * width), 1e-12);
  }
  // A core that covers the image is the whole image.
  EXPECT_FALSE(model.tiled(768, 1024, 1024).tiled());
  EXPECT_EQ(model.tiled(768, 1024, 1024).peak_bytes, whole.peak_bytes);
}

TEST(MemoryModel, AutoIsWholeWhenItFitsElseTheLeastWorkThatFits) {
  const MemoryModel model = fp32_model();
  const MemoryPlan whole = model.whole(3072, 4096);
  EXPECT_GT(whole.peak_bytes, 25e9);                             // more than these machines have
  EXPECT_FALSE(model.plan(3072, 4096, MemoryBudget()).tiled());  // no budget known: as asked
  EXPECT_FALSE(model.plan(3072, 4096, budget_of(whole.peak_bytes)).tiled());
  const MemoryPlan six = model.plan(3072, 4096, budget_of(6e9));
  ASSERT_TRUE(six.tiled());
  EXPECT_LE(six.peak_bytes, 6e9);
  EXPECT_EQ(six.core % 16, 0);
  // No core that fits reads fewer pixels.
  for (int64_t core = 128; core < 4096; core += 16) {
    const MemoryPlan other = model.tiled(3072, 4096, core);
    if (other.peak_bytes <= 6e9) {
      EXPECT_GE(other.work, six.work - 1e-12) << core;
    }
  }
  // A larger budget never reads more.
  EXPECT_LE(model.plan(3072, 4096, budget_of(12e9)).work, six.work);
  // Too small a budget for the smallest core: that core, over the budget (check_memory refuses).
  const MemoryPlan tight = model.plan(3072, 4096, budget_of(2e9));
  EXPECT_EQ(tight.core, MemoryModel::kSmallestAutoCore);
  EXPECT_GT(tight.peak_bytes, 2e9);
  // 8K fits 24 GB.
  const MemoryPlan eight_k = model.plan(4320, 7680, budget_of(24e9));
  EXPECT_TRUE(eight_k.tiled());
  EXPECT_LE(eight_k.peak_bytes, 24e9);
}

TEST(MemoryModel, OffAndAnExplicitCoreIgnoreTheBudget) {
  const MemoryModel off = fp32_model(StyleTransferOptions().tile(kTileOff));
  EXPECT_FALSE(off.plan(3072, 4096, budget_of(1e9)).tiled());
  const MemoryModel fixed = fp32_model(StyleTransferOptions().tile(200));
  EXPECT_EQ(fixed.plan(3072, 4096, budget_of(100e9)).core, 208);
  EXPECT_EQ(fixed.smallest_core(), 96);
  // Shallower layers need a smaller halo, on a finer stride.
  const MemoryModel shallow = fp32_model(
      StyleTransferOptions().content_layers({"relu4_2"}).style_layers({"relu1_1", "relu4_1"}));
  EXPECT_EQ(shallow.halo(), 40);
  EXPECT_EQ(shallow.smallest_core(), 40);
}

TEST(MemoryModel, LbfgsHistoryIsShortWhenTiled) {
  const auto lbfgs = StyleTransferOptions().optimizer(Optimizer::kLbfgs);
  const MemoryModel model = fp32_model(lbfgs);
  const MemoryModel adam = fp32_model();
  const double image = 3.0 * 3072 * 4096 * 4;
  EXPECT_NEAR(model.whole(3072, 4096).whole_image_bytes - adam.whole(3072, 4096).whole_image_bytes,
              2 * 100 * image, 1e3);
  EXPECT_NEAR(model.tiled(3072, 4096, 512).whole_image_bytes -
                  adam.tiled(3072, 4096, 512).whole_image_bytes,
              2 * 10 * image, 1e3);
}

TEST(MemoryModel, MemorySizesReadAsKubernetesWritesThem) {
  EXPECT_EQ(parse_memory_size("6G"), 6000000000);
  EXPECT_EQ(parse_memory_size("6GB"), 6000000000);
  EXPECT_EQ(parse_memory_size("6Gi"), int64_t{6} << 30);
  EXPECT_EQ(parse_memory_size("512Mi"), int64_t{512} << 20);
  EXPECT_EQ(parse_memory_size("1.5G"), 1500000000);
  EXPECT_EQ(parse_memory_size("2T"), 2000000000000);
  EXPECT_EQ(parse_memory_size("800k"), 800000);
  EXPECT_EQ(parse_memory_size("123456"), 123456);
  for (const char* bad : {"", "G", "6X", "-1G", "6Gx", "0", "1e30G", "six"}) {
    try {
      parse_memory_size(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("'" + std::string(bad) + "'"), std::string::npos)
          << error.what();
    }
  }
}

TEST(MemoryCheck, NamesTheLimitsNumbersAndRefusesWhatNoTilingFits) {
  const auto options = StyleTransferOptions::preset("default").precision(Precision::kFloat32);
  // A tile below the halo reads more than nine times its pixels.
  try {
    const StyleTransfer engine(model(), StyleTransferOptions(options).tile(64));
    ADD_FAILURE() << "--tile 64 was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kInvalidOptions);
    EXPECT_NE(std::string(error.what()).find("--tile 64 is smaller than the 96 px halo relu5_2"),
              std::string::npos)
        << error.what();
  }
  // The process alone is more than 0.2 GB: no tiling helps.
  const StyleTransfer tiny(model(), options, 200'000'000);
  EXPECT_EQ(tiny.memory_budget().bytes, 200'000'000);
  try {
    tiny.check_memory(48, 64, "small.png");
    ADD_FAILURE() << "a 0.2 GB limit was not refused";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kOutOfMemory);
    const std::string message = error.what();
    EXPECT_NE(message.find("'small.png'"), std::string::npos) << message;
    EXPECT_NE(message.find("full-size buffers alone"), std::string::npos) << message;
    EXPECT_NE(message.find("--memory-limit allows 0.2 GB"), std::string::npos) << message;
  }
  // At 6 GB a print is tiled to fit; at 0.9 GB a 2048x1536 picture's full-size buffers fit
  // (about 0.75 GB) but even the smallest tiles' do not.
  const StyleTransfer six(model(), options, 6'000'000'000);
  EXPECT_TRUE(six.memory_plan(3072, 4096).tiled());
  EXPECT_LE(six.estimate_memory_bytes(3072, 4096), 6'000'000'000);
  const StyleTransfer small(model(), options, 900'000'000);
  try {
    small.check_memory(1536, 2048, "print.jpg");
    ADD_FAILURE() << "a 2048x1536 picture fitted 0.9 GB";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("even in tiles of 128 px"), std::string::npos) << message;
    EXPECT_NE(message.find("--memory-limit allows 0.9 GB"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace nst
