#include <gtest/gtest.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "nst/engine/colour.h"
#include "nst/engine/error.h"
#include "nst/engine/image_size.h"
#include "nst/engine/losses.h"
#include "nst/engine/transfer.h"
#include "test_tensors.h"

namespace nst {
namespace {

const FeatureExtractor& model() {
  static const FeatureExtractor extractor = test::load_model_file(NST_TEST_MODEL);
  return extractor;
}

torch::Tensor content_image() {
  return test::to_tensor(test::gradient_pixels(64, 48));
}
torch::Tensor style_image() {
  return test::to_tensor(test::stripes_pixels(64, 64));
}

// The default preset in float32, whose losses the checks here recompute exactly.
StyleTransferOptions options(int64_t iterations) {
  return StyleTransferOptions::preset("default")
      .iterations(iterations)
      .precision(Precision::kFloat32);
}

struct Recorded {
  TransferResult result;
  std::vector<ProgressEvent> events;
};

// Runs the transfer, recording every event; `stop_after` > 0 cancels after that iteration.
Recorded transfer(const StyleTransferOptions& o, const torch::Tensor& content,
                  int64_t stop_after = 0) {
  const StyleTransfer engine(model(), o);
  Recorded out;
  out.result =
      engine.run(content, engine.style_targets(style_image()), [&](const ProgressEvent& event) {
        out.events.push_back(event);
        return stop_after <= 0 || event.iteration < stop_after;
      });
  return out;
}

// Total loss of `image`, computed here from the public loss functions.
double total_loss(const StyleTransferOptions& o, const torch::Tensor& image,
                  const torch::Tensor& content, const torch::Tensor& style) {
  torch::NoGradGuard no_grad;
  const auto targets = model().extract(content, o.content_layers());
  const auto style_features = model().extract(style, o.style_layers());
  auto all = o.content_layers();
  all.insert(all.end(), o.style_layers().begin(), o.style_layers().end());
  const auto features = model().extract(image, all);
  double content_total = 0;
  for (const auto& name : o.content_layers()) {
    content_total += content_loss(features.at(name), targets.at(name)).item<double>();
  }
  content_total /= static_cast<double>(o.content_layers().size());
  double style_total = 0;
  const auto weights = o.effective_style_layer_weights();
  for (size_t i = 0; i < weights.size(); ++i) {
    const auto& name = o.style_layers()[i];
    style_total += weights[i] *
                   style_loss(gram_matrix(features.at(name)), gram_matrix(style_features.at(name)))
                       .item<double>();
  }
  return o.content_weight() * content_total + o.style_weight() * style_total;
}

TEST(StyleTransfer, LossDecreases) {
  const Recorded r = transfer(options(20), content_image());
  ASSERT_EQ(r.events.size(), 20u);
  EXPECT_LT(r.events.back().loss(), r.events.front().loss());
  EXPECT_LT(r.result.loss, 0.9 * r.events.front().loss()) << "the loss barely moved";
}

// A frame of a clip: the temporal loss joins the total (whole or in tiles alike) and pulls the
// painting toward the warped frame where the flow holds, and not elsewhere.
TEST(StyleTransfer, TemporalLossJoinsTheTotalAndPullsOnlyWhereTheFlowHolds) {
  // The fourth block at most, so that cores of 48 px (two tiles) hold its halo.
  const auto o = options(12)
                     .min_scale(0)
                     .content_layers({"relu4_2"})
                     .style_layers({"relu1_1", "relu2_1", "relu3_1", "relu4_1"});
  const auto content = content_image();  // 64 × 48
  TemporalTarget temporal;
  temporal.warped = torch::full({1, 3, 48, 64}, 128.0f);
  temporal.consistency = torch::zeros({1, 1, 48, 64});
  temporal.consistency.index_put_({0, 0, torch::indexing::Slice(), torch::indexing::Slice(0, 32)},
                                  1.0);
  // About the style's share of the first total (its losses are large at these weights).
  temporal.weight = 1e5;
  const StyleTransfer engine(model(), o);
  const auto targets = engine.style_targets(style_image());
  std::vector<double> free_losses, temporal_losses;
  const auto free = engine.run(content, targets, [&](const ProgressEvent& event) {
    free_losses.push_back(event.loss());
    return true;
  });
  const auto held = engine.run(
      content, targets,
      [&](const ProgressEvent& event) {
        temporal_losses.push_back(event.loss());
        return true;
      },
      {}, {}, temporal);
  // The first step measures the content itself: the totals differ by the weighted term.
  const double term = temporal.weight *
                      temporal_loss(content, temporal.warped, temporal.consistency).item<double>();
  EXPECT_NEAR(temporal_losses.front() - free_losses.front(), term, 1e-6 * temporal_losses.front());

  using torch::indexing::Slice;
  const auto distance = [&](const torch::Tensor& image, int64_t from, int64_t to) {
    return (image.index({Slice(), Slice(), Slice(), Slice(from, to)}) - 128.0)
        .abs()
        .mean()
        .item<double>();
  };
  // Trusted half: far closer to the warped frame than a free run ends; untrusted half: about as
  // far as the free run.
  EXPECT_LT(distance(held.image, 0, 32), 0.5 * distance(free.image, 0, 32));
  EXPECT_GT(distance(held.image, 32, 64), 0.7 * distance(free.image, 32, 64));

  // In tiles the same term joins the same total, and the run paints the same picture.
  const StyleTransfer tiled(model(), StyleTransferOptions(o).tile(48));
  std::vector<double> tiled_losses;
  const auto in_tiles = tiled.run(
      content, tiled.style_targets(style_image()),
      [&](const ProgressEvent& event) {
        tiled_losses.push_back(event.loss());
        return true;
      },
      {}, {}, temporal);
  EXPECT_NEAR(tiled_losses.front(), temporal_losses.front(), 1e-4 * temporal_losses.front());
  EXPECT_LT((in_tiles.image - held.image).abs().mean().item<double>(), 1.0);
}

TEST(StyleTransfer, EventsAreNumberedAndConsistent) {
  const auto o = options(8);
  const Recorded r = transfer(o, content_image());
  ASSERT_EQ(r.events.size(), 8u);
  // The first loss is measured on the content image itself.
  EXPECT_NEAR(r.events[0].content_loss(), 0.0, 1e-6);
  EXPECT_GT(r.events[0].style_loss(), 0.0);
  double best = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < r.events.size(); ++i) {
    const auto& e = r.events[i];
    EXPECT_EQ(e.iteration, static_cast<int64_t>(i + 1));
    EXPECT_EQ(e.iterations, 8);
    EXPECT_NEAR(e.loss(), o.content_weight() * e.content_loss() + o.style_weight() * e.style_loss(),
                1e-5 * e.loss());
    best = std::min(best, e.loss());
    EXPECT_EQ(e.best_loss(), best) << "iteration " << e.iteration;
    EXPECT_GE(e.elapsed_seconds, 0.0);
  }
}

TEST(StyleTransfer, ResultIsAnRgbImageThatDiffersFromTheContent) {
  const auto content = content_image();
  const Recorded r = transfer(options(20), content);
  const auto& image = r.result.image;
  ASSERT_EQ(image.sizes(), torch::IntArrayRef({1, 3, 48, 64}));
  EXPECT_EQ(image.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(image.device().is_cpu());
  EXPECT_GE(image.min().item<double>(), 0.0);
  EXPECT_LE(image.max().item<double>(), 255.0);
  EXPECT_GT((image - content).abs().mean().item<double>(), 1.0);
  EXPECT_EQ(r.result.iterations, 20);
  EXPECT_FALSE(r.result.cancelled);
  EXPECT_GE(r.result.seconds, 0.0);
}

TEST(StyleTransfer, ResultIsTheLowestLossImage) {
  const auto o = options(20);
  const auto content = content_image();
  const Recorded r = transfer(o, content);
  const auto best =
      std::min_element(r.events.begin(), r.events.end(),
                       [](const auto& a, const auto& b) { return a.loss() < b.loss(); });
  EXPECT_EQ(r.result.loss, best->loss());
  EXPECT_EQ(r.result.content_loss, best->content_loss());
  EXPECT_EQ(r.result.style_loss, best->style_loss());
  // The image returned is the one that had that loss.
  const double recomputed = total_loss(o, r.result.image, content, style_image());
  EXPECT_NEAR(recomputed, r.result.loss, 1e-4 * r.result.loss);
}

TEST(StyleTransfer, KeepsTheStartingImageWhenEveryStepMakesItWorse) {
  // Adam's first step moves every pixel by about the learning rate: at 1000 the image turns into
  // saturated noise, and with a weak style weight its content loss dwarfs the content image's
  // small style loss.
  const auto content = content_image();
  const Recorded r = transfer(options(4).learning_rate(1000).style_weight(1e-5), content);
  ASSERT_EQ(r.events.size(), 4u);
  for (size_t i = 1; i < r.events.size(); ++i) {
    ASSERT_GT(r.events[i].loss(), r.events[0].loss()) << "precondition: iteration " << i + 1;
  }
  EXPECT_EQ(r.result.loss, r.events[0].loss());
  EXPECT_TRUE(torch::equal(r.result.image, content));
}

TEST(StyleTransfer, CallbackCancels) {
  const Recorded r = transfer(options(20), content_image(), 3);
  EXPECT_EQ(r.result.iterations, 3);
  EXPECT_TRUE(r.result.cancelled);
  ASSERT_EQ(r.events.size(), 3u);
  double best = std::numeric_limits<double>::infinity();
  for (const auto& e : r.events) best = std::min(best, e.loss());
  EXPECT_EQ(r.result.loss, best);
}

TEST(StyleTransfer, StoppingOnTheLastIterationIsNotACancellation) {
  const Recorded r = transfer(options(4), content_image(), 4);
  EXPECT_EQ(r.result.iterations, 4);
  EXPECT_FALSE(r.result.cancelled);
}

TEST(StyleTransfer, RunsWithoutACallback) {
  const StyleTransfer engine(model(), options(3));
  const auto result = engine.run(content_image(), engine.style_targets(style_image()));
  EXPECT_EQ(result.iterations, 3);
  EXPECT_FALSE(result.cancelled);
}

TEST(StyleTransfer, HandsTheCallbackLossesNotYetReadBack) {
  // The engine itself reads no loss of a step back from the device: on a GPU it would wait for
  // every step. The callback reads them when it needs them.
  const StyleTransfer engine(model(), options(3));
  std::vector<bool> read_before;
  double loss = 0;
  engine.run(content_image(), engine.style_targets(style_image()), [&](const ProgressEvent& e) {
    read_before.push_back(e.losses_read());
    loss = e.loss();
    EXPECT_TRUE(e.losses_read());
    return true;
  });
  EXPECT_EQ(read_before, std::vector<bool>(3, false));
  EXPECT_GT(loss, 0.0);
}

TEST(StyleTransfer, IsRepeatable) {
  const auto o = options(10);
  const Recorded first = transfer(o, content_image());
  const Recorded second = transfer(o, content_image());
  EXPECT_TRUE(torch::equal(first.result.image, second.result.image));
  EXPECT_EQ(first.result.loss, second.result.loss);
  ASSERT_EQ(first.events.size(), second.events.size());
  for (size_t i = 0; i < first.events.size(); ++i) {
    EXPECT_EQ(first.events[i].loss(), second.events[i].loss()) << "iteration " << i + 1;
  }
}

TEST(StyleTransfer, AcceptsALayerUsedForBothLosses) {
  const auto o = options(5).content_layers({"relu3_1"}).style_layers({"relu2_1", "relu3_1"});
  const Recorded r = transfer(o, content_image());
  EXPECT_EQ(r.result.iterations, 5);
  EXPECT_LT(r.result.loss, r.events.front().loss());
  EXPECT_NEAR(r.result.loss, total_loss(o, r.result.image, content_image(), style_image()),
              1e-4 * r.result.loss);
}

TEST(StyleTransfer, StyleTargetsAreTheGramsOfTheStyleLayers) {
  const auto o = options(1);
  const StyleTransfer engine(model(), o);
  const auto style = style_image();
  const auto targets = engine.style_targets(style);
  ASSERT_EQ(targets.scales.size(), 1u);
  const auto& grams = targets.scales.back();
  ASSERT_EQ(grams.size(), o.style_layers().size());
  const auto features = model().extract(style, o.style_layers());
  for (const auto& name : o.style_layers()) {
    const auto& gram = grams.at(name);
    const int64_t channels = features.at(name).size(1);
    EXPECT_EQ(gram.sizes(), torch::IntArrayRef({channels, channels})) << name;
    EXPECT_TRUE(torch::allclose(gram, gram_matrix(features.at(name)))) << name;
    EXPECT_FALSE(gram.requires_grad()) << name;
  }
  EXPECT_EQ(grams.at("relu5_1").size(0), 512);
}

TEST(StyleTransfer, ConstructorValidatesOptions) {
  try {
    const StyleTransfer engine(model(), options(10).learning_rate(0));
    FAIL() << "invalid options accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kInvalidOptions);
  }
  EXPECT_THROW(StyleTransfer(model(), options(10).content_layers({"nope"})), Error);
}

TEST(StyleTransfer, NonFiniteLossThrowsNumerical) {
  auto content = content_image();
  content[0][0][10][10] = std::numeric_limits<float>::quiet_NaN();
  try {
    transfer(options(3), content);
    FAIL() << "a NaN loss was not reported";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kNumerical) << error.what();
  }
}

}  // namespace
}  // namespace nst

namespace nst {
namespace {

StyleTransferOptions multi_scale(int64_t iterations) {
  // 64 px in three scales: 32, 45 and 64 px on the long side.
  return options(iterations).size(64).min_scale(32);
}

TEST(MemoryCheck, RefusesAContentTooLargeForThisMachineByName) {
  const StyleTransfer engine(model(), options(1));
  try {
    engine.check_memory(200000, 200000, "huge.png");
    ADD_FAILURE() << "a 200000x200000 content was not refused";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kOutOfMemory);
    const std::string message = error.what();
    EXPECT_NE(message.find("'huge.png' at --size 512 (200000x200000)"), std::string::npos)
        << message;
    EXPECT_NE(message.find("of memory"), std::string::npos) << message;
  }
  EXPECT_NO_THROW(engine.check_memory(48, 64, "small.png"));
  EXPECT_EQ(engine.device_memory_in_use_bytes(), -1);  // on the CPU
}

TEST(MemoryEstimate, GrowsWithPixelsAndShrinksWithBfloat16) {
  const StyleTransfer fp32(model(), options(1).precision(Precision::kFloat32));
  const StyleTransfer bf16(model(), options(1).precision(Precision::kBFloat16));
  const StyleTransfer lbfgs(model(), options(1).optimizer(Optimizer::kLbfgs));
  const double small = static_cast<double>(fp32.estimate_memory_bytes(240, 256));
  const double large = static_cast<double>(fp32.estimate_memory_bytes(480, 512));
  // Measured peaks of whole runs on the CPU: 485 MB and 914 MB.
  EXPECT_GT(small, 485e6);
  EXPECT_LT(small, 485e6 * 1.3);
  EXPECT_GT(large, 914e6);
  EXPECT_LT(large, 914e6 * 1.3);
  EXPECT_LT(bf16.estimate_memory_bytes(480, 512), fp32.estimate_memory_bytes(480, 512));
  // L-BFGS remembers 100 pairs of image-sized vectors: 590 MB more at 512×480.
  EXPECT_NEAR(static_cast<double>(lbfgs.estimate_memory_bytes(480, 512)) - large, 590e6, 1e6);
}

TEST(FitLongSide, ScalesTheLongerSideAndKeepsTheAspect) {
  EXPECT_EQ(fit_long_side(200, 100, 64), (ImageSize{64, 32}));
  EXPECT_EQ(fit_long_side(100, 200, 64), (ImageSize{32, 64}));
  EXPECT_EQ(fit_long_side(64, 48, 64), (ImageSize{64, 48}));
  EXPECT_EQ(fit_long_side(30, 20, 90), (ImageSize{90, 60}));
  EXPECT_EQ(fit_long_side(640, 479, 64), (ImageSize{64, 48}));  // 47.9 rounds to 48
  EXPECT_EQ(fit_long_side(1000, 3, 100), (ImageSize{100, 1}));  // never 0 pixels
}

TEST(Scales, GrowByTheSquareRootOfTwoUpToTheSize) {
  const auto o = StyleTransferOptions().size(512).min_scale(128);
  EXPECT_EQ(o.scale_sides(), (std::vector<int64_t>{128, 181, 256, 362, 512}));
  EXPECT_EQ(StyleTransferOptions().size(512).min_scale(0).scale_sides(), std::vector<int64_t>{512});
  EXPECT_EQ(StyleTransferOptions().size(256).min_scale(256).scale_sides(),
            std::vector<int64_t>{256});
  EXPECT_EQ(StyleTransferOptions().size(200).min_scale(150).scale_sides(),
            (std::vector<int64_t>{150, 200}));
}

TEST(Scales, NoScaleWithinHalfAStepOfTheSize) {
  // 361 · √2 = 511: a whole scale for one pixel less than the picture.
  EXPECT_EQ(StyleTransferOptions().size(512).min_scale(361).scale_sides(),
            (std::vector<int64_t>{361, 512}));
  EXPECT_EQ(StyleTransferOptions().size(512).min_scale(440).scale_sides(),
            (std::vector<int64_t>{512}));
  EXPECT_EQ(StyleTransferOptions().size(512).min_scale(430).scale_sides(),
            (std::vector<int64_t>{430, 512}));
}

TEST(Scales, FirstScaleMayTakeMoreIterations) {
  const auto o = StyleTransferOptions().size(512).min_scale(256).iterations(50);
  EXPECT_EQ(o.total_iterations(), 150);
  const auto more = StyleTransferOptions(o).initial_iterations(200);
  // 256, 362 and 512 px: the middle scale halfway, geometrically, from 200 to 50.
  EXPECT_EQ(more.iterations_at(0), 200);
  EXPECT_EQ(more.iterations_at(1), 100);
  EXPECT_EQ(more.iterations_at(2), 50);
  EXPECT_EQ(more.total_iterations(), 350);
  // With one scale, the initial count does not apply.
  EXPECT_EQ(StyleTransferOptions().iterations(50).initial_iterations(200).total_iterations(), 50);
}

TEST(Scales, StepsBetweenTheFirstAndLastScaleFallGeometrically) {
  // 128, 181, 256, 362, 512: from 160 steps to 10, halving at each doubling of the side.
  const auto o =
      StyleTransferOptions().size(512).min_scale(128).initial_iterations(160).iterations(10);
  std::vector<int64_t> steps;
  for (size_t i = 0; i < o.scale_sides().size(); ++i) steps.push_back(o.iterations_at(i));
  EXPECT_EQ(steps, (std::vector<int64_t>{160, 80, 40, 20, 10}));
  EXPECT_EQ(o.total_iterations(), 310);
  // Rising works the same way, and never below one step.
  const auto rising = StyleTransferOptions(o).initial_iterations(10).iterations(160);
  EXPECT_EQ(rising.iterations_at(2), 40);
  EXPECT_EQ(StyleTransferOptions(o).initial_iterations(1).iterations(1).iterations_at(3), 1);
}

TEST(Scales, RunVisitsEachScaleCoarseToFine) {
  const auto o = multi_scale(3).initial_iterations(4);
  const Recorded r = transfer(o, content_image());  // 64×48
  ASSERT_EQ(r.result.scales.size(), 3u);
  const std::vector<std::pair<int64_t, int64_t>> sizes = {{32, 24}, {45, 34}, {64, 48}};
  const std::vector<int64_t> steps = {4, 3, 3};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.result.scales[i].width, sizes[i].first) << i;
    EXPECT_EQ(r.result.scales[i].height, sizes[i].second) << i;
    EXPECT_EQ(r.result.scales[i].iterations, steps[i]) << i;
  }
  ASSERT_EQ(r.events.size(), 10u);
  std::vector<size_t> scale_of_event;
  for (const auto& e : r.events) {
    scale_of_event.push_back(e.scale);
    EXPECT_EQ(e.iterations, 10);
    EXPECT_EQ(e.scales, 3u);
    EXPECT_EQ(e.image.size(3), sizes[e.scale].first);
  }
  EXPECT_EQ(scale_of_event, (std::vector<size_t>{0, 0, 0, 0, 1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(r.result.image.sizes(), torch::IntArrayRef({1, 3, 48, 64}));
  EXPECT_EQ(r.result.iterations, 10);
}

TEST(Scales, StyleTargetsShrinkWithTheScale) {
  const auto o = multi_scale(1);
  const StyleTransfer engine(model(), o);
  const auto targets = engine.style_targets(style_image());  // 64×64
  ASSERT_EQ(targets.scales.size(), 3u);
  // At the finest scale the style is used as given.
  const auto full = model().extract(style_image(), {"relu1_1"});
  EXPECT_TRUE(torch::allclose(targets.scales[2].at("relu1_1"), gram_matrix(full.at("relu1_1"))));
  // Coarser scales see a smaller style, so their targets differ.
  EXPECT_FALSE(torch::allclose(targets.scales[0].at("relu1_1"), targets.scales[2].at("relu1_1")));
}

TEST(Scales, LaterScalesStartFromTheEarlierResult) {
  // One step at the coarse scale moves the image; the next scale's first loss must be that
  // of the upsampled coarse result, not of the content (whose content loss is zero).
  const Recorded r = transfer(multi_scale(2), content_image());
  ASSERT_EQ(r.events.size(), 6u);
  EXPECT_EQ(r.events[0].content_loss(), 0.0);
  EXPECT_GT(r.events[2].content_loss(), 0.0);
}

TEST(Scales, ResidualUpsamplingStartsFromTheContentsFullDetail) {
  // Steps too small to move the coarse result: the finer scale then starts from the content
  // itself with residual upsampling, and from a blurred content with plain upsampling.
  const auto content = test::to_tensor(test::stripes_pixels(64, 48));
  const auto start_of_last_scale = [&](Upsample upsample) {
    const auto o = multi_scale(1).learning_rate(1e-6).upsample(upsample);
    const Recorded r = transfer(o, content);
    return r.events.back().image;
  };
  const double residual =
      (start_of_last_scale(Upsample::kResidual) - content).abs().max().item<double>();
  const double image = (start_of_last_scale(Upsample::kImage) - content).abs().max().item<double>();
  EXPECT_LT(residual, 0.5);
  EXPECT_GT(image, 20.0);
}

TEST(Scales, ResidualUpsamplingKeepsDarkeningChanges) {
  // A coarse scale that darkened its content by 64 and one that brightened it by 32: the finer
  // content takes both changes (clamping the change itself to 0..255 lost every darkening).
  const auto coarse_content = torch::full({1, 3, 24, 32}, 128.0);
  const auto fine_content = torch::full({1, 3, 48, 64}, 200.0);
  const auto darker = add_upsampled_change(fine_content, coarse_content - 64.0, coarse_content);
  EXPECT_EQ(darker.sizes(), fine_content.sizes());
  EXPECT_NEAR(darker.min().item<double>(), 136.0, 1e-3);
  EXPECT_NEAR(darker.max().item<double>(), 136.0, 1e-3);
  const auto brighter = add_upsampled_change(fine_content, coarse_content + 32.0, coarse_content);
  EXPECT_NEAR(brighter.min().item<double>(), 232.0, 1e-3);
  // The sum stays a picture: 200 + 64 is clamped to 255.
  const auto clamped = add_upsampled_change(fine_content, coarse_content + 64.0, coarse_content);
  EXPECT_NEAR(clamped.max().item<double>(), 255.0, 1e-3);
}

TEST(Scales, ShapesShrinkInProportionAndEndAtTheImage) {
  const auto o = StyleTransferOptions().size(64).min_scale(32);  // sides 32, 45, 64
  const std::vector<std::pair<int64_t, int64_t>> content = {{24, 32}, {34, 45}, {48, 64}};
  EXPECT_EQ(scale_shapes(o, 48, 64), content);
  // An image of another size than --size (a style at its own size) keeps the same fractions.
  const std::vector<std::pair<int64_t, int64_t>> style = {{64, 50}, {90, 70}, {128, 100}};
  EXPECT_EQ(scale_shapes(o, 128, 100), style);
}

TEST(Scales, CancellingAtACoarseScaleStillGivesTheFullSize) {
  const Recorded r = transfer(multi_scale(5), content_image(), 2);
  EXPECT_TRUE(r.result.cancelled);
  EXPECT_EQ(r.result.scales.size(), 1u);
  EXPECT_EQ(r.result.image.sizes(), torch::IntArrayRef({1, 3, 48, 64}));
}

TEST(Averaging, ResultIsTheAverageAndItsLossIsMeasured) {
  const auto o = options(15).size(64).average_decay(0.9);
  const Recorded averaged = transfer(o, content_image());
  const Recorded lowest = transfer(options(15).size(64), content_image());
  EXPECT_FALSE(torch::allclose(averaged.result.image, lowest.result.image));
  // The reported loss is that of the image returned, measured after the run.
  EXPECT_NEAR(averaged.result.loss,
              total_loss(o, averaged.result.image, content_image(), style_image()),
              1e-3 * averaged.result.loss);
  // Averaging smooths the path: the average lies between the content and the last iterate.
  const auto last = averaged.events.back().image;
  const auto to_content = (averaged.result.image - content_image()).abs().mean().item<double>();
  const auto last_to_content = (last - content_image()).abs().mean().item<double>();
  EXPECT_LT(to_content, last_to_content);
}

TEST(Averaging, OptionsRejectADecayOfOneOrMore) {
  EXPECT_THROW(StyleTransferOptions().average_decay(1.0).validate(), Error);
  EXPECT_THROW(StyleTransferOptions().average_decay(-0.1).validate(), Error);
  EXPECT_THROW(StyleTransferOptions().min_scale(8).validate(), Error);
  EXPECT_NO_THROW(StyleTransferOptions().average_decay(0.99).min_scale(128).validate());
}

}  // namespace
}  // namespace nst

namespace nst {
namespace {

TEST(Precision, NamesRoundTrip) {
  for (const auto p :
       {Precision::kAuto, Precision::kFloat32, Precision::kBFloat16, Precision::kFloat16}) {
    EXPECT_EQ(parse_precision(to_string(p)), p);
  }
  EXPECT_THROW(parse_precision("fp8"), Error);
}

TEST(Precision, AutoPicksBfloat16OnlyWhereNativeAndMeasuredFaster) {
  if (!cpu_has_native_bf16()) {
    EXPECT_FALSE(cpu_bf16_is_faster());
  }
  EXPECT_EQ(compute_type(Precision::kAuto, torch::kCPU),
            cpu_bf16_is_faster() ? torch::kBFloat16 : torch::kFloat32);
  // On a GPU: bfloat16 where it has bfloat16 tensor cores, else float32; never half, whose
  // range the gradients leave without loss scaling.
  EXPECT_EQ(compute_type(Precision::kAuto, torch::Device(torch::kCUDA, 0)),
            cuda_has_native_bf16(0) ? torch::kBFloat16 : torch::kFloat32);
  EXPECT_EQ(compute_type(Precision::kFloat32, torch::kCPU), torch::kFloat32);
  EXPECT_EQ(compute_type(Precision::kBFloat16, torch::kCPU), torch::kBFloat16);
}

TEST(Precision, Bfloat16FeaturesAreFloat32AndCloseToFloat32Ones) {
  const auto image = content_image();
  const auto full = model().extract(image, {"relu1_1", "relu4_2"});
  const auto low = model().extract(image, {"relu1_1", "relu4_2"}, torch::kBFloat16);
  for (const char* name : {"relu1_1", "relu4_2"}) {
    EXPECT_EQ(low.at(name).scalar_type(), torch::kFloat32) << name;
    const double scale = full.at(name).abs().mean().item<double>();
    const double error = (low.at(name) - full.at(name)).abs().mean().item<double>();
    EXPECT_LT(error, 0.05 * scale) << name;
    EXPECT_GT(error, 0.0) << name;  // it really ran in bfloat16
  }
}

TEST(Precision, Bfloat16RunLandsNearTheFloat32Loss) {
  const auto o = options(10).size(64);
  const Recorded full = transfer(o, content_image());
  const Recorded low =
      transfer(StyleTransferOptions(o).precision(Precision::kBFloat16), content_image());
  EXPECT_NEAR(low.result.loss, full.result.loss, 0.02 * full.result.loss);
  EXPECT_EQ(low.result.image.scalar_type(), torch::kFloat32);
}

TEST(Precision, HalfIsRefusedOnTheCpu) {
  try {
    const StyleTransfer engine(model(), options(1).precision(Precision::kFloat16));
    FAIL() << "fp16 accepted on the CPU";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kInvalidOptions);
    EXPECT_NE(std::string(error.what()).find("CUDA"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace nst

namespace nst {
namespace {

TEST(TotalVariation, IsZeroForAFlatImageAndMatchesAHandComputedValue) {
  EXPECT_EQ(total_variation_loss(torch::full({1, 3, 4, 5}, 7.0)).item<double>(), 0.0);
  // One channel, columns 0 2 4: horizontal differences 2, vertical 0.
  const auto ramp = torch::tensor({0.0, 2.0, 4.0, 0.0, 2.0, 4.0}).view({1, 1, 2, 3});
  EXPECT_DOUBLE_EQ(total_variation_loss(ramp).item<double>(), 4.0);
}

TEST(TotalVariation, WeightSmoothsTheResult) {
  const auto rough = transfer(options(20).size(64).init(Init::kNoise), content_image());
  const auto smooth =
      transfer(options(20).size(64).init(Init::kNoise).tv_weight(1e4), content_image());
  EXPECT_LT(total_variation_loss(smooth.result.image).item<double>(),
            total_variation_loss(rough.result.image).item<double>());
}

TEST(Init, NoiseAndGrayStartWhereTheySay) {
  const auto o = options(1).size(64).init(Init::kGray);
  const auto gray = transfer(o, content_image());
  // The first event's image is one step away from the start: within a learning rate of grey.
  EXPECT_NEAR(gray.events.front().image.mean().item<double>(), 128.0, o.learning_rate());
  const auto noise = transfer(options(1).size(64).init(Init::kNoise), content_image());
  EXPECT_GT(noise.events.front().image.std().item<double>(), 50.0);  // uniform 0..255: ~74
}

TEST(Init, TheSameSeedGivesTheSameResultAndAnotherSeedDoesNot) {
  const auto o = options(3).size(64).init(Init::kNoise);
  const auto first = transfer(StyleTransferOptions(o).seed(7), content_image());
  const auto again = transfer(StyleTransferOptions(o).seed(7), content_image());
  const auto other = transfer(StyleTransferOptions(o).seed(8), content_image());
  EXPECT_TRUE(torch::equal(first.result.image, again.result.image));
  EXPECT_FALSE(torch::equal(first.result.image, other.result.image));
}

TEST(Init, ARunLeavesTheGlobalRandomGeneratorAlone) {
  torch::manual_seed(123);
  const auto expected = torch::rand({8});
  torch::manual_seed(123);
  transfer(options(1).size(64).init(Init::kNoise).seed(7), content_image());
  EXPECT_TRUE(torch::equal(torch::rand({8}), expected));
}

TEST(Threads, TwoRunsAtOnceGiveWhatEachGivesAlone) {
  // Two jobs with different seeds and one engine each, in two threads at once.
  const auto o = options(3).size(64).init(Init::kNoise);
  const auto alone_7 = transfer(StyleTransferOptions(o).seed(7), content_image()).result.image;
  const auto alone_8 = transfer(StyleTransferOptions(o).seed(8), content_image()).result.image;
  torch::Tensor together_7, together_8;
  std::thread first([&] {
    together_7 = transfer(StyleTransferOptions(o).seed(7), content_image()).result.image;
  });
  std::thread second([&] {
    together_8 = transfer(StyleTransferOptions(o).seed(8), content_image()).result.image;
  });
  first.join();
  second.join();
  EXPECT_TRUE(torch::equal(together_7, alone_7));
  EXPECT_TRUE(torch::equal(together_8, alone_8));
}

TEST(Init, AnImageIsResizedToTheContent) {
  const StyleTransfer engine(model(), options(1).size(64).init(Init::kImage));
  const auto targets = engine.style_targets(style_image());
  const auto start = torch::full({1, 3, 10, 20}, 200.0);
  std::vector<ProgressEvent> events;
  const auto result = engine.run(
      content_image(), targets,
      [&](const ProgressEvent& e) {
        events.push_back(e);
        return true;
      },
      start);
  EXPECT_EQ(result.image.sizes(), torch::IntArrayRef({1, 3, 48, 64}));
  EXPECT_NEAR(events.front().image.mean().item<double>(), 200.0, engine.options().learning_rate());
  EXPECT_THROW(engine.run(content_image(), targets), Error);  // no image given
}

TEST(StyleScale, SetsTheStyleSizeRelativeToTheOutput) {
  EXPECT_EQ(StyleTransferOptions().size(512).style_scale(0.5).effective_style_size(), 256);
  EXPECT_EQ(
      StyleTransferOptions().size(512).style_size(300).style_scale(0.5).effective_style_size(),
      300);
  EXPECT_THROW(StyleTransferOptions().size(64).style_scale(0.1).validate(), Error);
}

}  // namespace
}  // namespace nst

namespace nst {
namespace {

TEST(Colours, YcbcrRoundTripsAndGreyHasNeutralChroma) {
  const auto rgb = torch::rand({1, 3, 8, 8}) * 255;
  EXPECT_TRUE(torch::allclose(ycbcr_to_rgb(rgb_to_ycbcr(rgb)), rgb, 1e-3, 1e-2));
  const auto grey = rgb_to_ycbcr(torch::full({1, 3, 2, 2}, 90.0));
  EXPECT_NEAR(grey[0][0].mean().item<double>(), 90.0, 1e-3);
  EXPECT_NEAR(grey[0][1].mean().item<double>(), 128.0, 1e-3);
  EXPECT_NEAR(grey[0][2].mean().item<double>(), 128.0, 1e-3);
}

TEST(Colours, LuminanceTransferKeepsTheContentsChroma) {
  // Steps of 10 keep most pixels off the clamp, which alone can move the chroma.
  const auto o = options(10).size(64).learning_rate(10).lr_schedule(LrSchedule::kConstant);
  const auto plain = transfer(o, content_image());
  const auto kept = transfer(StyleTransferOptions(o).preserve_colours(PreserveColours::kLuminance),
                             content_image());
  using torch::indexing::Slice;
  const auto chroma = [](const torch::Tensor& rgb) {
    return rgb_to_ycbcr(rgb).index({Slice(), Slice(1, 3)});
  };
  const auto content_chroma = chroma(content_image());
  const double kept_error =
      (chroma(kept.result.image) - content_chroma).abs().mean().item<double>();
  const double plain_error =
      (chroma(plain.result.image) - content_chroma).abs().mean().item<double>();
  EXPECT_LT(kept_error, 1.0);  // clamping to 0..255 may move a few pixels slightly
  EXPECT_GT(plain_error, 5 * kept_error + 1.0);
  // The luminance is the painted one.
  const auto luma = [](const torch::Tensor& rgb) {
    return rgb_to_ycbcr(rgb).index({Slice(), Slice(0, 1)});
  };
  EXPECT_LT((luma(kept.result.image) - luma(plain.result.image)).abs().mean().item<double>(), 1.0);
}

TEST(Colours, HistogramMatchingGivesTheStyleTheContentsColourStatistics) {
  const auto style = style_image();
  // A content with a strong colour cast.
  auto content = content_image() * 0.5;
  content.select(1, 0).add_(100.0);
  const auto matched = match_colour_statistics(style, content);
  EXPECT_EQ(matched.sizes(), style.sizes());
  const auto means = [](const torch::Tensor& image) { return image.mean({0, 2, 3}); };
  EXPECT_TRUE(torch::allclose(means(matched), means(content), 0, 2.0))
      << means(matched) << means(content);
  const auto stds = [](const torch::Tensor& image) { return image.std(/*dim=*/{0, 2, 3}); };
  EXPECT_TRUE(torch::allclose(stds(matched), stds(content), 0.1, 2.0))
      << stds(matched) << stds(content);
}

}  // namespace
}  // namespace nst

namespace nst {
namespace {

TEST(W2, RunWithTheWassersteinStyleLossLowersItsLoss) {
  // Shallow layers only: at 512 channels each step's matrix square roots take seconds.
  const auto o =
      options(6).size(64).style_loss(StyleLoss::kW2).style_layers({"relu1_1", "relu2_1"});
  const Recorded r = transfer(o, content_image());
  EXPECT_LT(r.events.back().style_loss(), r.events.front().style_loss());
  const StyleTransfer engine(model(), o);
  const auto targets = engine.style_targets(style_image());
  // Packed mean and covariance root: [C + 1, C].
  EXPECT_EQ(targets.scales[0].at("relu1_1").sizes(), torch::IntArrayRef({65, 64}));
}

}  // namespace
}  // namespace nst

namespace nst {
namespace {

TEST(Lbfgs, CountsFunctionEvaluationsAsIterationsAndLowersTheLoss) {
  const auto o = options(12).size(64).optimizer(Optimizer::kLbfgs).learning_rate(1.0);
  const Recorded r = transfer(o, content_image());
  ASSERT_EQ(r.events.size(), 12u);
  EXPECT_EQ(r.result.iterations, 12);
  EXPECT_LT(r.result.loss, r.events.front().loss());
  EXPECT_GE(r.result.image.min().item<double>(), 0.0);
  EXPECT_LE(r.result.image.max().item<double>(), 255.0);
}

TEST(Lbfgs, StopsWhenTheCallbackSaysSo) {
  const auto o = options(12).size(64).optimizer(Optimizer::kLbfgs).learning_rate(1.0);
  const Recorded r = transfer(o, content_image(), 4);
  EXPECT_EQ(r.events.size(), 4u);
  EXPECT_TRUE(r.result.cancelled);
}

TEST(Lbfgs, WorksAcrossScales) {
  const auto o = multi_scale(4).optimizer(Optimizer::kLbfgs).learning_rate(1.0);
  const Recorded r = transfer(o, content_image());
  ASSERT_EQ(r.result.scales.size(), 3u);
  EXPECT_EQ(r.result.iterations, 12);
}

}  // namespace
}  // namespace nst

namespace nst {
namespace {

TEST(Blend, WeightsOneAndZeroEqualTheFirstStyle) {
  for (const auto loss : {StyleLoss::kGram, StyleLoss::kW2}) {
    const StyleTransfer engine(model(), options(1).size(64).style_loss(loss));
    const auto a = engine.style_targets(style_image());
    const auto b = engine.style_targets(content_image());
    const auto blended = engine.blend_targets({a, b}, {1.0, 0.0});
    for (const auto& [name, target] : a.scales[0]) {
      // The covariance root is recomputed from its square: equal up to float32 rounding.
      const double scale = target.abs().max().item<double>();
      const double error = (blended.scales[0].at(name) - target).abs().max().item<double>();
      EXPECT_LT(error, 1e-3 * scale) << name << " " << to_string(loss);
    }
    const auto half = engine.blend_targets({a, b}, {0.5, 0.5});
    EXPECT_FALSE(torch::allclose(half.scales[0].at("relu1_1"), a.scales[0].at("relu1_1")));
  }
}

TEST(Blend, GramTargetsAverageLinearly) {
  const StyleTransfer engine(model(), options(1).size(64));
  const auto a = engine.style_targets(style_image());
  const auto b = engine.style_targets(content_image());
  const auto blended = engine.blend_targets({a, b}, {0.25, 0.75});
  EXPECT_TRUE(torch::allclose(blended.scales[0].at("relu2_1"),
                              0.25 * a.scales[0].at("relu2_1") + 0.75 * b.scales[0].at("relu2_1")));
}

}  // namespace
}  // namespace nst
