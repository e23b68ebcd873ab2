#include "nst/video/optical_flow.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/optflow.hpp>
#include <opencv2/video/tracking.hpp>
#include <stdexcept>
#include <string>

namespace nst {
namespace {

// The one-channel 8-bit picture every flow method here reads.
cv::Mat grey_8bit(const cv::Mat& frame) {
  cv::Mat grey;
  switch (frame.channels()) {
    case 1:
      grey = frame;
      break;
    case 3:
      cv::cvtColor(frame, grey, cv::COLOR_BGR2GRAY);
      break;
    case 4:
      cv::cvtColor(frame, grey, cv::COLOR_BGRA2GRAY);
      break;
    default:
      throw std::invalid_argument("optical flow: a frame has " + std::to_string(frame.channels()) +
                                  " channels; it needs 1, 3 or 4");
  }
  if (grey.depth() == CV_8U) return grey;
  double scale = 1.0;
  if (grey.depth() == CV_16U) scale = 255.0 / 65535.0;
  if (grey.depth() == CV_32F || grey.depth() == CV_64F) scale = 255.0;
  cv::Mat converted;
  grey.convertTo(converted, CV_8U, scale);
  return converted;
}

}  // namespace

cv::Mat compute_flow(const cv::Mat& from, const cv::Mat& to, FlowMethod method) {
  if (from.size() != to.size() || from.empty()) {
    throw std::invalid_argument(
        "optical flow: the two frames must have one size, and not be empty");
  }
  const cv::Mat a = grey_8bit(from);
  const cv::Mat b = grey_8bit(to);
  cv::Mat flow;
  switch (method) {
    case FlowMethod::kDis:
      // The medium preset: its coarse-to-fine patches follow motions of tens of pixels, which the
      // faster presets miss, at a few milliseconds more a pair.
      cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM)->calc(a, b, flow);
      break;
    case FlowMethod::kFarneback:
      // OpenCV's sample settings, with five pyramid levels for larger motions.
      cv::calcOpticalFlowFarneback(a, b, flow, 0.5, 5, 15, 3, 5, 1.2, 0);
      break;
    case FlowMethod::kDeepFlow:
      cv::optflow::createOptFlow_DeepFlow()->calc(a, b, flow);
      break;
    case FlowMethod::kTvl1:
      cv::optflow::DualTVL1OpticalFlow::create()->calc(a, b, flow);
      break;
  }
  return flow;
}

}  // namespace nst
