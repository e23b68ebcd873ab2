#include "nst/video/flicker.h"

#include <opencv2/imgproc.hpp>
#include <stdexcept>

#include "nst/video/flow_warp.h"

namespace nst {
namespace {

// A painted frame as float in [0, 1], whatever its depth.
cv::Mat unit_float(const cv::Mat& image) {
  double scale = 1.0;
  if (image.depth() == CV_8U) scale = 1.0 / 255.0;
  if (image.depth() == CV_16U) scale = 1.0 / 65535.0;
  cv::Mat converted;
  image.convertTo(converted, CV_MAKETYPE(CV_32F, image.channels()), scale);
  return converted;
}

}  // namespace

void WarpingError::add(const cv::Mat& input, const cv::Mat& output) {
  if (input.empty() || output.empty()) throw std::invalid_argument("warping error: an empty frame");
  cv::Mat input_here = input;
  if (input.size() != output.size())
    cv::resize(input, input_here, output.size(), 0, 0, cv::INTER_AREA);
  if (previous_input_.empty()) {
    restart(output);
  } else {
    const cv::Mat forward = compute_flow(previous_input_, input_here, method_);
    const cv::Mat backward = compute_flow(input_here, previous_input_, method_);
    add(output, forward, flow_consistency(forward, backward));
  }
  previous_input_ = input_here.clone();
}

void WarpingError::add(const cv::Mat& output, const cv::Mat& forward_flow, const cv::Mat& mask) {
  if (output.empty()) throw std::invalid_argument("warping error: an empty frame");
  if (previous_output_.empty()) {
    restart(output);
    return;
  }
  const cv::Mat painted = unit_float(output);
  if (painted.size() != previous_output_.size() || painted.type() != previous_output_.type() ||
      forward_flow.size() != painted.size() || mask.size() != painted.size()) {
    throw std::invalid_argument(
        "warping error: the frames of a clip, their flow and mask must keep one size and type");
  }
  const double visible = cv::sum(mask)[0];
  if (visible > 0.0) {
    cv::Mat difference = warp_by_flow(painted, forward_flow) - previous_output_;
    difference = difference.mul(difference);
    // Σ over channels of the squares, per pixel, then weighed by the mask.
    const cv::Mat per_pixel = difference.reshape(1, difference.rows * difference.cols);
    cv::Mat summed;
    cv::reduce(per_pixel, summed, 1, cv::REDUCE_SUM);
    sum_ += mask.reshape(1, mask.rows * mask.cols).dot(summed) / visible;
    ++pairs_;
  }
  previous_output_ = painted;
}

void WarpingError::restart(const cv::Mat& output) {
  if (output.empty()) throw std::invalid_argument("warping error: an empty frame");
  previous_output_ = unit_float(output);
}

}  // namespace nst
