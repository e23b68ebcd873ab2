#include "nst/video/frame_link.h"

#include <stdexcept>

#include "nst/video/flow_warp.h"

namespace nst {
namespace {

// [1, C, H, W] float → H×W×C CV_32F (the channels in the tensor's order).
cv::Mat to_mat(const torch::Tensor& image) {
  const auto hwc =
      image.detach().to(torch::kCPU, torch::kFloat32)[0].permute({1, 2, 0}).contiguous();
  const int channels = static_cast<int>(hwc.size(2));
  cv::Mat wrapped(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)),
                  CV_MAKETYPE(CV_32F, channels), hwc.data_ptr<float>());
  return wrapped.clone();
}

// H×W×C CV_32F → [1, C, H, W] float32.
torch::Tensor to_tensor(const cv::Mat& image) {
  const cv::Mat continuous = image.isContinuous() ? image : image.clone();
  return torch::from_blob(const_cast<float*>(continuous.ptr<float>()),
                          {1, continuous.rows, continuous.cols, continuous.channels()},
                          torch::kFloat32)
      .permute({0, 3, 1, 2})
      .clone();
}

}  // namespace

FrameLink link_frames(const cv::Mat& previous, const cv::Mat& current, FlowMethod method) {
  FrameLink link;
  link.backward_flow = compute_flow(current, previous, method);
  link.forward_flow = compute_flow(previous, current, method);
  link.consistency = flow_consistency(link.backward_flow, link.forward_flow);
  link.reliable = cv::mean(link.consistency)[0];
  return link;
}

TemporalTarget temporal_target(const FrameLink& link, const torch::Tensor& previous_painting,
                               double weight, double sigma) {
  if (previous_painting.dim() != 4 || previous_painting.size(2) != link.backward_flow.rows ||
      previous_painting.size(3) != link.backward_flow.cols) {
    throw std::invalid_argument("temporal target: the painting and the flow differ in size");
  }
  TemporalTarget target;
  target.warped = to_tensor(warp_by_flow(to_mat(previous_painting), link.backward_flow));
  target.consistency = to_tensor(smooth_consistency(link.consistency, sigma));
  target.weight = weight;
  return target;
}

}  // namespace nst
