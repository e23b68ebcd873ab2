#include <gtest/gtest.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/script.h>
#include <torch/types.h>

#include <algorithm>
#include <string>
#include <vector>

#include "nst/engine/error.h"
#include "nst/engine/vgg.h"
#include "test_tensors.h"

namespace nst {
namespace {

const std::string kModel = NST_TEST_MODEL;

std::string bad_model(const std::string& name) {
  return std::string(NST_TEST_BAD_MODELS_DIR) + "/" + name;
}

const FeatureExtractor& model() {
  static const FeatureExtractor extractor = test::load_model_file(kModel);
  return extractor;
}

// A deterministic RGB 0..255 image.
torch::Tensor image(int64_t height, int64_t width) {
  torch::manual_seed(42);
  return torch::rand({1, 3, height, width}) * 255;
}

TEST(LayerNames, AreTheThirtySevenVgg19LayersInOrder) {
  const auto& names = FeatureExtractor::layer_names();
  ASSERT_EQ(names.size(), 37u);
  const std::vector<std::string> first = {"conv1_1", "relu1_1", "conv1_2", "relu1_2",
                                          "pool1",   "conv2_1", "relu2_1"};
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 7), first);
  EXPECT_EQ(names[18], "pool3");
  EXPECT_EQ(names[34], "conv5_4");
  EXPECT_EQ(names[35], "relu5_4");
  EXPECT_EQ(names[36], "pool5");
  const auto count = [&](char kind) {
    return std::count_if(names.begin(), names.end(),
                         [&](const std::string& n) { return n[0] == kind; });
  };
  EXPECT_EQ(count('c'), 16);
  EXPECT_EQ(count('r'), 16);
  EXPECT_EQ(count('p'), 5);
  auto sorted = names;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end()) << "duplicate names";
}

TEST(LayerIndex, FindsEveryNameAndRejectsOthers) {
  const auto& names = FeatureExtractor::layer_names();
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(FeatureExtractor::layer_index(names[i]), static_cast<int>(i)) << names[i];
  }
  EXPECT_EQ(FeatureExtractor::layer_index("relu4_2"), 22);
  EXPECT_EQ(FeatureExtractor::layer_index("relu5_2"), 31);
  for (const char* bad : {"", "relu6_1", "conv1_3", "Relu1_1", "pool6", "relu1_1 "}) {
    EXPECT_EQ(FeatureExtractor::layer_index(bad), -1) << "'" << bad << "'";
  }
}

TEST(DeepestLayer, IsTheIndexOfTheDeepestName) {
  EXPECT_EQ(FeatureExtractor::deepest_layer({"relu1_1", "pool3", "conv2_1"}), 18);
  EXPECT_EQ(FeatureExtractor::deepest_layer({"pool5"}), 36);
  EXPECT_EQ(FeatureExtractor::deepest_layer({}), -1);
  EXPECT_EQ(FeatureExtractor::deepest_layer({"bogus"}), -1);
}

TEST(MinInputSide, DoublesWithEachPoolUpToTheDeepestLayer) {
  EXPECT_EQ(FeatureExtractor::min_input_side({"relu1_1"}), 1);
  EXPECT_EQ(FeatureExtractor::min_input_side({"pool1"}), 2);
  EXPECT_EQ(FeatureExtractor::min_input_side({"relu1_1", "relu4_2"}), 8);
  EXPECT_EQ(FeatureExtractor::min_input_side({"relu5_1"}), 16);
  EXPECT_EQ(FeatureExtractor::min_input_side({"pool5"}), 32);
}

TEST(Extract, WorksAtTheMinimumInputSide) {
  const auto out = model().extract(torch::rand({1, 3, 16, 16}) * 255, {"relu5_1"});
  EXPECT_EQ(out.at("relu5_1").sizes(), (std::vector<int64_t>{1, 512, 1, 1}));
}

TEST(Load, ReadsTheModelAndItsInputConvention) {
  const auto& extractor = model();
  EXPECT_EQ(extractor.path(), kModel);
  EXPECT_EQ(extractor.device(), torch::Device(torch::kCPU));
  const auto& convention = extractor.input_convention();
  EXPECT_FALSE(convention.bgr);
  EXPECT_DOUBLE_EQ(convention.scale, 1.0 / 255.0);
  ASSERT_EQ(convention.mean.size(), 3u);
  ASSERT_EQ(convention.std.size(), 3u);
  EXPECT_NEAR(convention.mean[0], 0.485, 1e-12);
  EXPECT_NEAR(convention.mean[1], 0.456, 1e-12);
  EXPECT_NEAR(convention.mean[2], 0.406, 1e-12);
  // The export divides torchvision's std by one common factor.
  EXPECT_NEAR(convention.std[1] / convention.std[0], 0.224 / 0.229, 1e-9);
  EXPECT_NEAR(convention.std[2] / convention.std[0], 0.225 / 0.229, 1e-9);
}

TEST(Extract, ReturnsExactlyTheRequestedLayersWithVgg19Shapes) {
  const std::vector<std::string> layers = {"relu1_1", "relu2_1", "relu3_1",
                                           "relu4_1", "relu5_1", "pool5"};
  const auto features = model().extract(image(64, 64), layers);
  ASSERT_EQ(features.size(), layers.size());
  EXPECT_EQ(features.at("relu1_1").sizes(), torch::IntArrayRef({1, 64, 64, 64}));
  EXPECT_EQ(features.at("relu2_1").sizes(), torch::IntArrayRef({1, 128, 32, 32}));
  EXPECT_EQ(features.at("relu3_1").sizes(), torch::IntArrayRef({1, 256, 16, 16}));
  EXPECT_EQ(features.at("relu4_1").sizes(), torch::IntArrayRef({1, 512, 8, 8}));
  EXPECT_EQ(features.at("relu5_1").sizes(), torch::IntArrayRef({1, 512, 4, 4}));
  EXPECT_EQ(features.at("pool5").sizes(), torch::IntArrayRef({1, 512, 2, 2}));
  EXPECT_GE(features.at("relu3_1").min().item<double>(), 0.0);
  EXPECT_GT(features.at("relu3_1").max().item<double>(), 0.0);
}

TEST(Extract, KeepsTheAspectOfNonSquareInputs) {
  const auto features = model().extract(image(48, 64), {"conv1_2", "relu3_1", "pool4"});
  ASSERT_EQ(features.size(), 3u);
  EXPECT_EQ(features.at("conv1_2").sizes(), torch::IntArrayRef({1, 64, 48, 64}));
  EXPECT_EQ(features.at("relu3_1").sizes(), torch::IntArrayRef({1, 256, 12, 16}));
  EXPECT_EQ(features.at("pool4").sizes(), torch::IntArrayRef({1, 512, 3, 4}));
  // A conv output before its ReLU has negative values.
  EXPECT_LT(features.at("conv1_2").min().item<double>(), 0.0);
}

TEST(Extract, MatchesTheModulesOwnForward) {
  // The export's forward normalises by its attributes and runs all layers, ending at pool5.
  auto module = torch::jit::load(kModel, torch::kCPU);
  const auto input = image(32, 48);
  torch::NoGradGuard no_grad;
  const auto expected = module.forward({input}).toTensor();
  const auto actual = model().extract(input, {"pool5"}).at("pool5");
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_TRUE(torch::allclose(actual, expected, 1e-4, 1e-3 * expected.abs().max().item<double>()))
      << "max difference " << (actual - expected).abs().max().item<double>();
}

TEST(Extract, ShallowExtractionEqualsTheSameLayerOfADeeperOne) {
  const auto input = image(40, 32);
  const auto shallow = model().extract(input, {"relu1_1"});
  const auto deep = model().extract(input, {"relu5_1", "relu1_1", "relu3_1"});
  ASSERT_EQ(shallow.size(), 1u);
  EXPECT_TRUE(torch::allclose(shallow.at("relu1_1"), deep.at("relu1_1")));
  EXPECT_TRUE(
      torch::allclose(model().extract(input, {"relu3_1"}).at("relu3_1"), deep.at("relu3_1")));
}

TEST(Extract, StopsAtTheDeepestRequestedLayer) {
  // On a 4×4 input pool3 has nothing left to pool, so only a run that stops early succeeds.
  const auto tiny = image(4, 4);
  const auto features = model().extract(tiny, {"relu1_1", "relu2_2"});
  EXPECT_EQ(features.at("relu2_2").sizes(), torch::IntArrayRef({1, 128, 2, 2}));
  EXPECT_ANY_THROW(model().extract(tiny, {"pool5"}));
}

TEST(Extract, LetsGradientsFlowToTheInput) {
  const auto input = image(32, 32).set_requires_grad(true);
  const auto features = model().extract(input, {"relu2_1", "relu3_1"});
  (features.at("relu2_1").square().mean() + features.at("relu3_1").mean()).backward();
  ASSERT_TRUE(input.grad().defined());
  EXPECT_GT(input.grad().abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(torch::isfinite(input.grad()).all().item<bool>());
}

TEST(Extract, TreatsWeightsAsConstants) {
  // Had any weight required a gradient, its output would too.
  const auto features = model().extract(image(16, 16), {"relu1_1", "pool2"});
  EXPECT_FALSE(features.at("relu1_1").requires_grad());
  EXPECT_FALSE(features.at("pool2").requires_grad());
}

TEST(Extract, RejectsAnEmptyLayerList) {
  EXPECT_ANY_THROW(model().extract(image(16, 16), {}));
}

TEST(Extract, RejectsAnUnknownLayerName) {
  EXPECT_ANY_THROW(model().extract(image(16, 16), {"relu1_1", "bogus"}));
}

// Loads `path`, expecting nst::Error(kModelInvalid) with the path and each of `phrases` in it.
void expect_invalid_model(const std::string& path, const std::vector<std::string>& phrases) {
  try {
    test::load_model_file(path);
    ADD_FAILURE() << "loading " << path << " did not throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kModelInvalid);
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    for (const auto& phrase : phrases) {
      EXPECT_NE(message.find(phrase), std::string::npos) << "'" << phrase << "' in: " << message;
    }
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line expected: " << message;
  }
}

TEST(Pooling, MaxIsTheDefaultAndAverageAlsoNamedLayersAndShapes) {
  EXPECT_EQ(model().pooling(), Pooling::kMax);
  EXPECT_EQ(model().pool_gains(), std::vector<double>(5, 1.0));
  const auto average = model().with_pooling(Pooling::kAverage);
  EXPECT_EQ(average.pooling(), Pooling::kAverage);
  const auto input = image(64, 48);
  const auto max_features = model().extract(input, {"relu3_1", "pool5"});
  const auto average_features = average.extract(input, {"relu3_1", "pool5"});
  for (const auto* name : {"relu3_1", "pool5"}) {
    EXPECT_EQ(average_features.at(name).sizes(), max_features.at(name).sizes()) << name;
    EXPECT_FALSE(torch::allclose(average_features.at(name), max_features.at(name))) << name;
  }
}

TEST(Pooling, AverageGainsMakeUpForTheSmallerMeansOfAveraging) {
  const auto gains = model().with_pooling(Pooling::kAverage).pool_gains();
  ASSERT_EQ(gains.size(), 5u);
  for (const double gain : gains) {
    EXPECT_GT(gain, 1.0);  // a window's maximum is at least its mean
    EXPECT_LT(gain, 10.0);
  }
  // Back to max pooling drops the gains again.
  EXPECT_EQ(model().with_pooling(Pooling::kAverage).with_pooling(Pooling::kMax).pool_gains(),
            std::vector<double>(5, 1.0));
}

TEST(Pooling, AverageKeepsDeepActivationsAtMaxPoolingsMagnitude) {
  // A smooth image, like a photograph rather than per-pixel noise.
  const auto input = torch::nn::functional::interpolate(
      image(8, 8), torch::nn::functional::InterpolateFuncOptions()
                       .size(std::vector<int64_t>{128, 128})
                       .mode(torch::kBilinear)
                       .align_corners(false));
  const auto average = model().with_pooling(Pooling::kAverage);
  for (const auto* name : {"relu3_1", "relu4_1", "relu5_1"}) {
    const double max_mean = model().extract(input, {name}).at(name).mean().item<double>();
    const double average_mean = average.extract(input, {name}).at(name).mean().item<double>();
    EXPECT_GT(average_mean / max_mean, 0.5) << name;
    EXPECT_LT(average_mean / max_mean, 2.0) << name;
  }
}

TEST(LoadErrors, Vgg16IsNotVgg19Shaped) {
  expect_invalid_model(bad_model("vgg16.pt"), {"not VGG19-shaped", "13 convolutions"});
}

TEST(LoadErrors, MissingMetadataIsReported) {
  expect_invalid_model(bad_model("no_metadata.pt"), {"input convention"});
}

TEST(LoadErrors, NanWeightsAreReported) {
  expect_invalid_model(bad_model("nan_weights.pt"), {"NaN", "conv1_1"});
}

TEST(LoadErrors, RandomBytesAreNotAModel) {
  expect_invalid_model(bad_model("random_bytes.pt"), {});
}

TEST(LoadErrors, AnEmptyFileIsNotAModel) {
  expect_invalid_model(bad_model("empty.pt"), {});
}

TEST(LoadErrors, ATruncatedModelIsReported) {
  expect_invalid_model(bad_model("truncated.pt"), {});
}

}  // namespace
}  // namespace nst
