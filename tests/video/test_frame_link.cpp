// From one frame of a clip to the next: the link on the content frames, the temporal target it
// gives, and what that does to a painted clip's flicker against frames painted one by one.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <opencv2/imgproc.hpp>
#include <vector>

#include "nst/io/image_io.h"
#include "nst/video/flicker.h"
#include "nst/video/frame_link.h"
#include "test_images.h"
#include "test_tensors.h"

namespace nst {
namespace {

// A smooth random texture that flow methods can follow.
cv::Mat texture(int width, int height, int seed) {
  return test::texture_image(width, height, seed, 2.5);
}

// Frame t of a pan across `scene`: the window 64 × 48 at x = 8 + 4t.
cv::Mat pan_frame(const cv::Mat& scene, int t) {
  return scene(cv::Rect(8 + 4 * t, 0, 64, 48)).clone();
}

TEST(FrameLink, TrustsAPanExceptWhatEntersAndCarriesThePaintingAlongIt) {
  const cv::Mat scene = texture(120, 48, 1);
  const cv::Mat previous = pan_frame(scene, 0);
  const cv::Mat current = pan_frame(scene, 1);
  const FrameLink link = link_frames(previous, current, FlowMethod::kDis);
  // The window moved 4 px right: each pixel of the new frame was 4 px further right before, and
  // its last 4 columns were not in the previous frame.
  EXPECT_NEAR(link.backward_flow.at<cv::Vec2f>(24, 30)[0], 4.0f, 0.3f);
  EXPECT_GT(link.reliable, 0.8);
  EXPECT_LT(link.reliable, 1.0);
  EXPECT_EQ(link.consistency.at<float>(24, 63), 0.0f);

  // A painting of the previous frame (here its own pixels) lands where the scene went.
  const auto painting = bgr_to_tensor(previous);
  const TemporalTarget target = temporal_target(link, painting, 2.0);
  ASSERT_TRUE(target.active());
  EXPECT_EQ(target.weight, 2.0);
  ASSERT_EQ(target.warped.sizes(), painting.sizes());
  ASSERT_EQ(target.consistency.sizes(), (std::vector<int64_t>{1, 1, 48, 64}));
  const auto expected = bgr_to_tensor(current);
  using torch::indexing::Slice;
  const auto inner = Slice(8, 40);
  const auto columns = Slice(8, 56);
  EXPECT_LT((target.warped.index({Slice(), Slice(), inner, columns}) -
             expected.index({Slice(), Slice(), inner, columns}))
                .abs()
                .mean()
                .item<double>(),
            3.0);
  EXPECT_THROW(temporal_target(link, torch::zeros({1, 3, 40, 64}), 1.0), std::invalid_argument);
}

// Ruder et al.'s method against frames painted one by one, on a pan: starting each frame from
// the last painting carried along the flow, held there by the temporal loss, the painting
// moves with the scene; painted one by one, each frame finds a texture of its own.
TEST(FrameLink, TemporalMethodFlickersLessThanFramesPaintedOneByOne) {
  const auto model = test::load_model_file(NST_TEST_MODEL);
  const auto first_options =
      StyleTransferOptions::preset("default").iterations(20).min_scale(0).precision(
          Precision::kFloat32);
  const auto later_options = StyleTransferOptions(first_options).iterations(15).init(Init::kImage);
  const StyleTransfer first(model, first_options);
  const StyleTransfer later(model, later_options);
  const auto style = first.style_targets(bgr_to_tensor(texture(64, 64, 7)));
  const cv::Mat scene = texture(120, 48, 2);

  WarpingError one_by_one(FlowMethod::kDis);
  WarpingError temporal(FlowMethod::kDis);
  torch::Tensor previous_painting;
  cv::Mat previous_frame;
  for (int t = 0; t < 3; ++t) {
    const cv::Mat frame = pan_frame(scene, t);
    const auto content = bgr_to_tensor(frame);
    const auto alone = first.run(content, style).image;
    one_by_one.add(frame, tensor_to_bgr8(alone));
    torch::Tensor painting;
    if (t == 0) {
      painting = alone;
    } else {
      const TemporalTarget target = temporal_target(
          link_frames(previous_frame, frame, FlowMethod::kDis), previous_painting, 50.0);
      painting = later.run(content, style, {}, target.warped, {}, target).image;
    }
    temporal.add(frame, tensor_to_bgr8(painting));
    previous_painting = painting;
    previous_frame = frame;
  }
  ASSERT_EQ(temporal.pairs(), 2);
  EXPECT_LT(temporal.value(), 0.5 * one_by_one.value())
      << "temporal " << temporal.value() << ", one by one " << one_by_one.value();
}

}  // namespace
}  // namespace nst
