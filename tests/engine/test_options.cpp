#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "nst/engine/error.h"
#include "nst/engine/options.h"

namespace nst {
namespace {

using Strings = std::vector<std::string>;
const Strings kStyleLayers = {"relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"};

TEST(Presets, TutorialMatchesTheTensorFlowTutorial) {
  const auto o = StyleTransferOptions::preset("tutorial");
  EXPECT_EQ(o.content_layers(), Strings{"relu5_2"});
  EXPECT_EQ(o.style_layers(), kStyleLayers);
  EXPECT_TRUE(o.style_layer_weights().empty());
  EXPECT_EQ(o.iterations(), 1000);
  EXPECT_EQ(o.size(), 512);
  EXPECT_DOUBLE_EQ(o.learning_rate(), 5.0);
  EXPECT_EQ(o.lr_schedule(), LrSchedule::kConstant);
  EXPECT_DOUBLE_EQ(o.beta1(), 0.99);
  EXPECT_DOUBLE_EQ(o.beta2(), 0.999);
  EXPECT_DOUBLE_EQ(o.epsilon(), 0.1);
  EXPECT_DOUBLE_EQ(o.content_weight(), 1e3);
  EXPECT_DOUBLE_EQ(o.style_weight(), 1e-2);
  EXPECT_NO_THROW(o.validate());
}

TEST(Presets, DefaultIsTheDefaultConstructedOptions) {
  const auto o = StyleTransferOptions::preset("default");
  const StyleTransferOptions d;
  // The tutorial's objective, so that the time-to-quality benchmark compares like with like.
  const auto tutorial = StyleTransferOptions::preset("tutorial");
  EXPECT_EQ(o.content_layers(), tutorial.content_layers());
  EXPECT_EQ(o.style_layers(), tutorial.style_layers());
  EXPECT_DOUBLE_EQ(o.content_weight(), tutorial.content_weight());
  EXPECT_DOUBLE_EQ(o.style_weight(), tutorial.style_weight());
  EXPECT_EQ(o.content_layers(), d.content_layers());
  EXPECT_EQ(o.iterations(), 200);
  EXPECT_EQ(o.iterations(), d.iterations());
  EXPECT_EQ(o.size(), 512);
  EXPECT_EQ(o.style_size(), 0);
  EXPECT_DOUBLE_EQ(o.epsilon(), 0.1);
  EXPECT_DOUBLE_EQ(o.learning_rate(), 20.0);
  EXPECT_EQ(o.lr_schedule(), LrSchedule::kCosine);
  EXPECT_DOUBLE_EQ(o.final_learning_rate(), 0.5);
  // Every scale starts at --lr unless --scale-lr says otherwise.
  EXPECT_DOUBLE_EQ(o.learning_rate_at(3), 20.0);
  EXPECT_DOUBLE_EQ(StyleTransferOptions(o).learning_rate(5).learning_rate_at(3), 5.0);
  EXPECT_EQ(o.scale_moments(), ScaleMoments::kReset);
  EXPECT_DOUBLE_EQ(o.beta1(), 0.9);
  EXPECT_DOUBLE_EQ(o.beta2(), 0.9);
  EXPECT_EQ(o.precision(), Precision::kAuto);
  EXPECT_EQ(o.scale_sides(), std::vector<int64_t>{512});
  EXPECT_EQ(o.average_decay(), 0.0);
  EXPECT_EQ(o.seed(), 0u);
  EXPECT_NO_THROW(o.validate());
}

TEST(Presets, FastIsASmallShortRunWithoutTheFifthBlock) {
  const auto o = StyleTransferOptions::preset("fast");
  EXPECT_EQ(o.size(), 256);
  EXPECT_LE(o.iterations(), 50);
  EXPECT_EQ(o.style_layers(), (Strings{"relu1_1", "relu2_1", "relu3_1", "relu4_1"}));
  EXPECT_EQ(o.content_layers(), Strings{"relu4_2"});
  EXPECT_DOUBLE_EQ(o.learning_rate(), 10.0);
  EXPECT_EQ(o.lr_schedule(), LrSchedule::kConstant);
  EXPECT_NO_THROW(o.validate());
}

TEST(Presets, PrintGoesCoarseToFineTo4096WithStepsHalvingAtEachDoubling) {
  const auto o = StyleTransferOptions::preset("print");
  EXPECT_EQ(o.scale_sides(), (std::vector<int64_t>{512, 724, 1024, 1448, 2048, 2896, 4096}));
  std::vector<int64_t> steps;
  for (size_t i = 0; i < o.scale_sides().size(); ++i) steps.push_back(o.iterations_at(i));
  EXPECT_EQ(steps, (std::vector<int64_t>{200, 141, 100, 71, 50, 35, 25}));
  // Adam goes on where the coarser scale left off, and refines the larger scales at a lower rate.
  EXPECT_EQ(o.scale_moments(), ScaleMoments::kCarry);
  EXPECT_DOUBLE_EQ(o.learning_rate_at(0), 20.0);
  EXPECT_DOUBLE_EQ(o.learning_rate_at(1), 8.0);
  EXPECT_DOUBLE_EQ(o.learning_rate_at(6), 8.0);
  // Tiled wherever a scale does not fit: the memory budget decides, not the preset.
  EXPECT_EQ(o.tile(), kTileAuto);
  EXPECT_NO_THROW(o.validate());
}

TEST(Presets, TutorialComputesInFloat32LikeTheTensorFlowTutorial) {
  EXPECT_EQ(StyleTransferOptions::preset("tutorial").precision(), Precision::kFloat32);
}

TEST(Options, PoolingAndUpsampleHaveNamesForReports) {
  EXPECT_STREQ(to_string(Pooling::kMax), "max");
  EXPECT_STREQ(to_string(Pooling::kAverage), "avg");
  EXPECT_STREQ(to_string(Upsample::kImage), "image");
  EXPECT_STREQ(to_string(Upsample::kResidual), "residual");
  EXPECT_EQ(StyleTransferOptions::preset("tutorial").pooling(), Pooling::kMax);
}

TEST(Options, ScheduleAndScaleMomentsHaveNamesForReports) {
  EXPECT_STREQ(to_string(LrSchedule::kConstant), "constant");
  EXPECT_STREQ(to_string(LrSchedule::kCosine), "cosine");
  EXPECT_STREQ(to_string(ScaleMoments::kReset), "reset");
  EXPECT_STREQ(to_string(ScaleMoments::kRescale), "rescale");
  EXPECT_STREQ(to_string(ScaleMoments::kCarry), "carry");
}

TEST(Presets, UnknownNameThrowsInvalidOptions) {
  try {
    StyleTransferOptions::preset("fancy");
    FAIL() << "no exception";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kInvalidOptions);
    EXPECT_NE(std::string(error.what()).find("fancy"), std::string::npos) << error.what();
  }
  EXPECT_THROW(StyleTransferOptions::preset(""), Error);
  EXPECT_THROW(StyleTransferOptions::preset("Tutorial"), Error);
}

TEST(Presets, EveryListedNameIsAPresetAndIsDescribed) {
  const auto& names = StyleTransferOptions::preset_names();
  EXPECT_EQ(names, (Strings{"default", "tutorial", "fast", "print"}));
  const std::string description = StyleTransferOptions::describe_presets();
  for (const auto& name : names) {
    EXPECT_NO_THROW(StyleTransferOptions::preset(name).validate()) << name;
    EXPECT_NE(description.find(name + ":"), std::string::npos) << name;
  }
}

TEST(Options, SettersChain) {
  const auto o = StyleTransferOptions().iterations(7).style_weight(0.5).content_layers({"conv4_2"});
  EXPECT_EQ(o.iterations(), 7);
  EXPECT_DOUBLE_EQ(o.style_weight(), 0.5);
  EXPECT_EQ(o.content_layers(), Strings{"conv4_2"});
}

TEST(Options, EffectiveStyleLayerWeights) {
  EXPECT_EQ(StyleTransferOptions().effective_style_layer_weights(), std::vector<double>(5, 0.2));
  EXPECT_EQ(
      StyleTransferOptions().style_layers({"relu1_1", "pool2"}).effective_style_layer_weights(),
      std::vector<double>(2, 0.5));
  const auto explicit_weights =
      StyleTransferOptions().style_layers({"relu1_1", "relu2_1"}).style_layer_weights({3, 0});
  EXPECT_EQ(explicit_weights.effective_style_layer_weights(), (std::vector<double>{3, 0}));
}

TEST(Validate, AcceptsBoundaryValues) {
  const auto ok = [](const StyleTransferOptions& o) { EXPECT_NO_THROW(o.validate()); };
  ok(StyleTransferOptions().content_weight(0));
  ok(StyleTransferOptions().style_weight(0));
  ok(StyleTransferOptions().beta1(0).beta2(0));
  ok(StyleTransferOptions().iterations(1));
  ok(StyleTransferOptions().size(16).style_size(16));
  ok(StyleTransferOptions().style_size(0));
  ok(StyleTransferOptions().content_layers({"conv1_1", "pool5"}).style_layers({"pool1"}));
  ok(StyleTransferOptions().style_layers({"relu1_1", "relu2_1"}).style_layer_weights({0, 2}));
}

struct InvalidCase {
  const char* name;
  std::function<StyleTransferOptions()> make;
  const char* mentions;  // a phrase the message must contain, or nullptr
};

// Names the case in ctest's listing instead of dumping the struct's bytes.
void PrintTo(const InvalidCase& c, std::ostream* out) {
  *out << c.name;
}

class ValidateRejects : public testing::TestWithParam<InvalidCase> {};

TEST_P(ValidateRejects, WithInvalidOptions) {
  const auto options = GetParam().make();
  try {
    options.validate();
    FAIL() << "validate() accepted " << GetParam().name;
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kInvalidOptions) << error.what();
    if (GetParam().mentions) {
      EXPECT_NE(std::string(error.what()).find(GetParam().mentions), std::string::npos)
          << error.what();
    }
  }
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();
using O = StyleTransferOptions;

INSTANTIATE_TEST_SUITE_P(
    Options, ValidateRejects,
    testing::Values(
        InvalidCase{"UnknownContentLayer", [] { return O().content_layers({"relu4_9"}); },
                    "relu4_9"},
        InvalidCase{"UnknownStyleLayer",
                    [] {
                      return O().style_layers({"relu1_1", "block1_conv1"});
                    },
                    "block1_conv1"},
        InvalidCase{"NoContentLayers", [] { return O().content_layers({}); }, nullptr},
        InvalidCase{"NegativeFinalLearningRate", [] { return O().final_learning_rate(-1); },
                    "final learning rate"},
        InvalidCase{"NanFinalLearningRate", [] { return O().final_learning_rate(kNaN); },
                    "final learning rate"},
        InvalidCase{"NegativeScaleLearningRate", [] { return O().scale_learning_rate(-1); },
                    "scale learning rate"},
        InvalidCase{"NanScaleLearningRate", [] { return O().scale_learning_rate(kNaN); },
                    "scale learning rate"},
        InvalidCase{"NoStyleLayers", [] { return O().style_layers({}); }, nullptr},
        InvalidCase{"TooFewLayerWeights",
                    [] {
                      return O().style_layer_weights({1, 1});
                    },
                    nullptr},
        InvalidCase{"TooManyLayerWeights",
                    [] {
                      return O().style_layers({"relu1_1"}).style_layer_weights({1, 1});
                    },
                    nullptr},
        InvalidCase{"NegativeLayerWeight",
                    [] {
                      return O().style_layers({"relu1_1", "relu2_1"}).style_layer_weights({1, -1});
                    },
                    nullptr},
        InvalidCase{"NaNLayerWeight",
                    [] { return O().style_layers({"relu1_1"}).style_layer_weights({kNaN}); },
                    nullptr},
        InvalidCase{"NegativeContentWeight", [] { return O().content_weight(-1); }, nullptr},
        InvalidCase{"InfiniteContentWeight", [] { return O().content_weight(kInf); }, nullptr},
        InvalidCase{"NegativeStyleWeight", [] { return O().style_weight(-1e-9); }, nullptr},
        InvalidCase{"NaNStyleWeight", [] { return O().style_weight(kNaN); }, nullptr},
        InvalidCase{"ZeroLearningRate", [] { return O().learning_rate(0); }, nullptr},
        InvalidCase{"NegativeLearningRate", [] { return O().learning_rate(-5); }, nullptr},
        InvalidCase{"NaNLearningRate", [] { return O().learning_rate(kNaN); }, nullptr},
        InvalidCase{"InfiniteLearningRate", [] { return O().learning_rate(kInf); }, nullptr},
        InvalidCase{"Beta1One", [] { return O().beta1(1.0); }, nullptr},
        InvalidCase{"Beta1Negative", [] { return O().beta1(-0.1); }, nullptr},
        InvalidCase{"Beta2One", [] { return O().beta2(1.0); }, nullptr},
        InvalidCase{"Beta2NaN", [] { return O().beta2(kNaN); }, nullptr},
        InvalidCase{"ZeroEpsilon", [] { return O().epsilon(0); }, nullptr},
        InvalidCase{"NegativeEpsilon", [] { return O().epsilon(-1e-8); }, nullptr},
        InvalidCase{"NaNEpsilon", [] { return O().epsilon(kNaN); }, nullptr},
        InvalidCase{"ZeroIterations", [] { return O().iterations(0); }, nullptr},
        InvalidCase{"NegativeIterations", [] { return O().iterations(-3); }, nullptr},
        InvalidCase{"TinySize", [] { return O().size(15); }, nullptr},
        InvalidCase{"NegativeSize", [] { return O().size(-512); }, nullptr},
        InvalidCase{"TinyStyleSize", [] { return O().style_size(8); }, nullptr},
        InvalidCase{"NegativeStyleSize", [] { return O().style_size(-1); }, nullptr}),
    [](const testing::TestParamInfo<InvalidCase>& test_case) {
      return std::string(test_case.param.name);
    });

}  // namespace
}  // namespace nst
