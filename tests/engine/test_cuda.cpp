// The engine on a CUDA device. Every test here skips, visibly, on a machine without one;
// scripts/check_cuda.sh runs them where there is one.
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/types.h>

#include <cmath>
#include <string>

#include "nst/engine/error.h"
#include "nst/engine/transfer.h"
#include "test_tensors.h"

namespace nst {
namespace {

const torch::Device kGpu(torch::kCUDA, 0);

const FeatureExtractor& gpu_model() {
  static const FeatureExtractor extractor = test::load_model_file(NST_TEST_MODEL, kGpu);
  return extractor;
}

StyleTransferOptions options(int64_t iterations, Precision precision) {
  return StyleTransferOptions::preset("default")
      .size(128)
      .iterations(iterations)
      .precision(precision);
}

TransferResult paint(const StyleTransferOptions& o) {
  const StyleTransfer engine(gpu_model(), o);
  const auto content = test::to_tensor(test::gradient_pixels(128, 96));
  const auto style = test::to_tensor(test::stripes_pixels(128, 128));
  return engine.run(content, engine.style_targets(style));
}

class Cuda : public testing::Test {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine";
  }
};

TEST_F(Cuda, Bfloat16EndsWithinOnePercentOfFloat32AfterTenSteps) {
  const StyleTransfer bf16(gpu_model(), options(10, Precision::kBFloat16));
  ASSERT_EQ(bf16.layer_type(), torch::kBFloat16);
  const double wide = paint(options(10, Precision::kFloat32)).loss;
  const double narrow = paint(options(10, Precision::kBFloat16)).loss;
  EXPECT_NEAR(narrow, wide, 0.01 * wide) << "fp32 " << wide << ", bf16 " << narrow;
}

TEST_F(Cuda, Float16WithLossScalingMovesLikeFloat32) {
  // Without loss scaling the style gradients of the deep layers underflow to zero in fp16 and
  // the loss falls far more slowly than fp32's; with it, the two runs stay close.
  const double wide = paint(options(10, Precision::kFloat32)).loss;
  const auto half = paint(options(10, Precision::kFloat16));
  EXPECT_TRUE(std::isfinite(half.loss));
  EXPECT_NEAR(half.loss, wide, 0.02 * wide) << "fp32 " << wide << ", fp16 " << half.loss;
}

TEST_F(Cuda, SameSeedGivesTheSameImageWithDeterministicKernels) {
  auto o = options(5, Precision::kFloat32).init(Init::kNoise).seed(5).deterministic(true);
  const auto first = paint(o);
  const auto second = paint(o);
  EXPECT_TRUE(torch::equal(first.image, second.image));
  EXPECT_FALSE(torch::equal(first.image, paint(o.seed(6)).image));
}

TEST_F(Cuda, MultiScaleAndLbfgsRun) {
  const auto multi = paint(options(3, Precision::kAuto).min_scale(64));
  EXPECT_GE(multi.scales.size(), 2u);
  EXPECT_TRUE(std::isfinite(multi.loss));
  const auto lbfgs = paint(options(5, Precision::kFloat32).optimizer(Optimizer::kLbfgs));
  EXPECT_TRUE(std::isfinite(lbfgs.loss));
  EXPECT_EQ(lbfgs.image.sizes(), torch::IntArrayRef({1, 3, 96, 128}));
}

TEST_F(Cuda, TheMemoryCheckRefusesAnImpossibleSize) {
  const StyleTransfer engine(gpu_model(), options(1, Precision::kFloat32));
  try {
    engine.check_memory(40000, 40000, "huge.png");
    ADD_FAILURE() << "a 40000x40000 content was not refused";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kOutOfMemory);
    const std::string message = error.what();
    EXPECT_NE(message.find("GPU memory"), std::string::npos) << message;
    EXPECT_NE(message.find("huge.png"), std::string::npos) << message;
  }
  EXPECT_NO_THROW(engine.check_memory(96, 128, "small.png"));
  EXPECT_GT(engine.device_memory_in_use_bytes(), 0);
}

}  // namespace
}  // namespace nst
