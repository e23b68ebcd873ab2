// Optical flow, warping along it, its consistency check and the flicker measure, on small
// synthetic frames whose motion is known exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "nst/video/flicker.h"
#include "nst/video/flow_warp.h"
#include "nst/video/optical_flow.h"
#include "test_images.h"

namespace nst {
namespace {

// A smooth random texture that flow methods can follow.
cv::Mat texture(int width, int height, int seed) {
  return test::texture_image(width, height, seed, 2.0);
}

// `image` moved by (dx, dy) whole pixels: out(x) = image(x − d); what enters is replicated.
cv::Mat shifted(const cv::Mat& image, int dx, int dy) {
  const cv::Mat move = (cv::Mat_<double>(2, 3) << 1, 0, dx, 0, 1, dy);
  cv::Mat out;
  cv::warpAffine(image, out, move, image.size(), cv::INTER_NEAREST, cv::BORDER_REPLICATE);
  return out;
}

cv::Mat constant_flow(cv::Size size, float u, float v) {
  return cv::Mat(size, CV_32FC2, cv::Scalar(u, v));
}

// The median of one flow component over the pixels at least `margin` from the border.
float interior_median(const cv::Mat& flow, int channel, int margin) {
  std::vector<float> values;
  for (int y = margin; y < flow.rows - margin; ++y) {
    for (int x = margin; x < flow.cols - margin; ++x)
      values.push_back(flow.at<cv::Vec2f>(y, x)[channel]);
  }
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

class EveryFlowMethod : public ::testing::TestWithParam<FlowMethod> {};

TEST_P(EveryFlowMethod, FindsAKnownShiftInTheSenseWarpingExpects) {
  const cv::Mat a = texture(96, 80, 1);
  const cv::Mat b = shifted(a, 3, 2);  // b(x) = a(x − (3, 2)), so a(x) = b(x + (3, 2))
  const cv::Mat flow = compute_flow(a, b, GetParam());
  ASSERT_EQ(flow.type(), CV_32FC2);
  ASSERT_EQ(flow.size(), a.size());
  EXPECT_NEAR(interior_median(flow, 0, 12), 3.0f, 0.25f);
  EXPECT_NEAR(interior_median(flow, 1, 12), 2.0f, 0.25f);
  // Float frames in [0, 1] are read as the same picture.
  cv::Mat a_float, b_float;
  a.convertTo(a_float, CV_32FC3, 1.0 / 255.0);
  b.convertTo(b_float, CV_32FC3, 1.0 / 255.0);
  const cv::Mat from_float = compute_flow(a_float, b_float, GetParam());
  EXPECT_NEAR(interior_median(from_float, 0, 12), 3.0f, 0.25f);
}

INSTANTIATE_TEST_SUITE_P(Methods, EveryFlowMethod,
                         ::testing::Values(FlowMethod::kDis, FlowMethod::kFarneback,
                                           FlowMethod::kDeepFlow, FlowMethod::kTvl1),
                         [](const ::testing::TestParamInfo<FlowMethod>& method) {
                           return std::string(to_string(method.param));
                         });

TEST(FlowMethods, HaveTheirNames) {
  EXPECT_EQ(names_of<FlowMethod>(),
            (std::vector<std::string>{"dis", "farneback", "deepflow", "tvl1"}));
  EXPECT_EQ(value_named<FlowMethod>("tvl1"), FlowMethod::kTvl1);
  EXPECT_FALSE(value_named<FlowMethod>("lucas-kanade").has_value());
}

TEST(WarpByFlow, BringsTheNextFrameBackAndFillsWhatWasNotSeenWithTheMean) {
  const cv::Mat a = texture(40, 30, 2);
  const cv::Mat b = shifted(a, 3, 0);
  // From a to b every pixel moved 3 to the right: carrying b back along that flow gives a,
  // except the last 3 columns, whose sources lie beyond b's right edge.
  const cv::Mat back = warp_by_flow(b, constant_flow(a.size(), 3.0f, 0.0f));
  ASSERT_EQ(back.type(), b.type());
  const cv::Scalar mean = cv::mean(b);
  for (int y = 0; y < a.rows; ++y) {
    for (int x = 0; x < a.cols; ++x) {
      const cv::Vec3b expected = x + 3 <= a.cols - 1 ? a.at<cv::Vec3b>(y, x)
                                                     : cv::Vec3b(cv::saturate_cast<uchar>(mean[0]),
                                                                 cv::saturate_cast<uchar>(mean[1]),
                                                                 cv::saturate_cast<uchar>(mean[2]));
      ASSERT_EQ(back.at<cv::Vec3b>(y, x), expected) << "at " << x << ", " << y;
    }
  }
}

TEST(WarpByFlow, SamplesBetweenPixelsBilinearly) {
  cv::Mat ramp(4, 6, CV_32FC1);
  for (int x = 0; x < ramp.cols; ++x) ramp.col(x).setTo(static_cast<float>(10 * x));
  const cv::Mat half = warp_by_flow(ramp, constant_flow(ramp.size(), 0.5f, 0.0f));
  EXPECT_FLOAT_EQ(half.at<float>(1, 0), 5.0f);
  EXPECT_FLOAT_EQ(half.at<float>(2, 3), 35.0f);
}

TEST(FlowConsistency, TrustsAConsistentShiftExceptWhereItLeavesTheFrame) {
  const cv::Size size(20, 10);
  const cv::Mat weights =
      flow_consistency(constant_flow(size, 3.0f, 0.0f), constant_flow(size, -3.0f, 0.0f));
  ASSERT_EQ(weights.type(), CV_32FC1);
  for (int x = 0; x < size.width; ++x) {
    EXPECT_EQ(weights.at<float>(5, x), x + 3 <= size.width - 1 ? 1.0f : 0.0f) << "column " << x;
  }
}

TEST(FlowConsistency, DistrustsAFlowBackThatDoesNotReturn) {
  const cv::Size size(20, 10);
  cv::Mat back = constant_flow(size, -3.0f, 0.0f);
  // In b's columns 10–13 the flow back says nothing moved: what a saw there is covered in b.
  back.colRange(10, 14).setTo(cv::Scalar(0.0f, 0.0f));
  const cv::Mat weights = flow_consistency(constant_flow(size, 3.0f, 0.0f), back);
  for (int x = 0; x + 3 < size.width; ++x) {
    // a's column x lands on b's column x + 3; between b's columns 9 and 10 (and 13 and 14) the
    // bilinear taps mix both flows, and a mix already fails the check.
    const bool lands_covered = x + 3 >= 10 && x + 3 <= 13;
    if (lands_covered) {
      EXPECT_EQ(weights.at<float>(4, x), 0.0f) << "column " << x;
    } else if (x + 3 < 9 || x + 3 > 14) {
      EXPECT_EQ(weights.at<float>(4, x), 1.0f) << "column " << x;
    }
  }
}

TEST(FlowConsistency, DistrustsMotionBoundaries) {
  const cv::Size size(40, 10);
  // Left of column 20 still, from 20 on moving 2 to the right; the flow back agrees everywhere
  // a's pixels land, so only the step in the flow itself is distrusted.
  cv::Mat forth = constant_flow(size, 0.0f, 0.0f);
  forth.colRange(20, size.width).setTo(cv::Scalar(2.0f, 0.0f));
  cv::Mat back = constant_flow(size, 0.0f, 0.0f);
  back.colRange(22, size.width).setTo(cv::Scalar(-2.0f, 0.0f));
  const cv::Mat weights = flow_consistency(forth, back);
  for (int x = 0; x < size.width; ++x) {
    const bool boundary = x == 19 || x == 20;
    const bool leaves = x >= size.width - 2;
    EXPECT_EQ(weights.at<float>(5, x), boundary || leaves ? 0.0f : 1.0f) << "column " << x;
  }
  // Smoothed, the weights fade around the boundary instead of stepping, and stay in [0, 1].
  const cv::Mat smooth = smooth_consistency(weights, 0.8);
  EXPECT_GT(smooth.at<float>(5, 18), 0.0f);
  EXPECT_LT(smooth.at<float>(5, 18), 1.0f);
  double low = 0.0, high = 0.0;
  cv::minMaxLoc(smooth, &low, &high);
  EXPECT_GE(low, 0.0);
  EXPECT_LE(high, 1.0 + 1e-6);
}

TEST(WarpingError, IsTheMaskedSquaredChangeOfThePaintingAlongTheInputsFlow) {
  const cv::Mat input = texture(64, 48, 3);
  // A still scene painted 0.5 grey, then 0.6: every pixel changed by 0.1 in each of three
  // channels, so 3 × 0.01 whatever the mask.
  WarpingError measure(FlowMethod::kDis);
  measure.add(input, cv::Mat(input.size(), CV_32FC3, cv::Scalar::all(0.5)));
  EXPECT_EQ(measure.pairs(), 0);
  EXPECT_EQ(measure.value(), 0.0);
  measure.add(input, cv::Mat(input.size(), CV_32FC3, cv::Scalar::all(0.6)));
  EXPECT_EQ(measure.pairs(), 1);
  EXPECT_NEAR(measure.value(), 0.03, 1e-6);
}

TEST(WarpingError, IsSmallForAPaintingThatMovesWithTheSceneAndLargeForOneThatFlickers) {
  // A pan of 2 px a frame. One painting moves with it (the input's colours inverted, a
  // stand-in for any stroke that stays on its object); the other adds fresh noise to each
  // frame, as frames painted one by one do.
  const cv::Mat scene = texture(120, 60, 4);
  WarpingError steady(FlowMethod::kDis);
  WarpingError flickering(FlowMethod::kDis);
  WarpingError floor(FlowMethod::kDis);
  cv::RNG rng(5);
  for (int t = 0; t < 5; ++t) {
    const cv::Mat frame = shifted(scene, 2 * t, 0)(cv::Rect(20, 0, 80, 60)).clone();
    cv::Mat inverted = cv::Scalar::all(255) - frame;
    cv::Mat noise(frame.size(), CV_16SC3);
    rng.fill(noise, cv::RNG::NORMAL, 0, 25);
    cv::Mat noisy;
    frame.convertTo(noisy, CV_16SC3);
    noisy += noise;
    noisy.convertTo(noisy, CV_8UC3);
    steady.add(frame, inverted);
    flickering.add(frame, noisy);
    floor.add(frame, frame);
  }
  EXPECT_EQ(steady.pairs(), 4);
  EXPECT_LT(steady.value(), 0.002);
  EXPECT_NEAR(steady.value(), floor.value(), 1e-3);
  EXPECT_GT(flickering.value(), 10 * steady.value());
  EXPECT_GT(flickering.value(), 0.02);
}

TEST(WarpingError, MeasuresAPaintingOfAnotherSizeAtItsOwnSize) {
  const cv::Mat input = texture(128, 96, 6);
  WarpingError measure(FlowMethod::kDis);
  measure.add(input, cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(100)));
  measure.add(input, cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(100)));
  EXPECT_EQ(measure.pairs(), 1);
  EXPECT_EQ(measure.value(), 0.0);
  EXPECT_THROW(measure.add(input, cv::Mat(40, 64, CV_8UC3, cv::Scalar::all(100))),
               std::invalid_argument);
}

}  // namespace
}  // namespace nst
