#include "nst/video/flow_warp.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>

namespace nst {
namespace {

void check_flow(const cv::Mat& flow, const char* name) {
  if (flow.empty() || flow.type() != CV_32FC2) {
    throw std::invalid_argument(std::string("flow: ") + name +
                                " must be a non-empty CV_32FC2 matrix");
  }
}

// Where each pixel's source lies: x + flow(x), as remap's map.
cv::Mat source_positions(const cv::Mat& flow) {
  cv::Mat positions(flow.size(), CV_32FC2);
  for (int y = 0; y < flow.rows; ++y) {
    const auto* displacement = flow.ptr<cv::Vec2f>(y);
    auto* position = positions.ptr<cv::Vec2f>(y);
    for (int x = 0; x < flow.cols; ++x) {
      position[x] = cv::Vec2f(static_cast<float>(x) + displacement[x][0],
                              static_cast<float>(y) + displacement[x][1]);
    }
  }
  return positions;
}

bool inside(const cv::Vec2f& position, const cv::Size& size) {
  return position[0] >= 0.0f && position[1] >= 0.0f &&
         position[0] <= static_cast<float>(size.width - 1) &&
         position[1] <= static_cast<float>(size.height - 1);
}

// (∂u/∂x)² + (∂u/∂y)² + (∂v/∂x)² + (∂v/∂y)², by central differences (one-sided at the border).
cv::Mat squared_flow_gradient(const cv::Mat& flow) {
  cv::Mat gradient(flow.size(), CV_32FC1);
  const int last_x = flow.cols - 1;
  const int last_y = flow.rows - 1;
  for (int y = 0; y < flow.rows; ++y) {
    const int up = std::max(y - 1, 0);
    const int down = std::min(y + 1, last_y);
    for (int x = 0; x < flow.cols; ++x) {
      const int left = std::max(x - 1, 0);
      const int right = std::min(x + 1, last_x);
      const cv::Vec2f dx = (flow.at<cv::Vec2f>(y, right) - flow.at<cv::Vec2f>(y, left)) /
                           static_cast<float>(std::max(right - left, 1));
      const cv::Vec2f dy = (flow.at<cv::Vec2f>(down, x) - flow.at<cv::Vec2f>(up, x)) /
                           static_cast<float>(std::max(down - up, 1));
      gradient.at<float>(y, x) = dx.dot(dx) + dy.dot(dy);
    }
  }
  return gradient;
}

}  // namespace

cv::Mat warp_by_flow(const cv::Mat& image, const cv::Mat& flow) {
  check_flow(flow, "the flow to warp by");
  if (image.empty()) throw std::invalid_argument("warp: the image is empty");
  const cv::Mat positions = source_positions(flow);
  cv::Mat warped;
  // Replicating the border only fills the bilinear taps of sources within a pixel of the edge;
  // sources outside the image are set to the mean below.
  cv::remap(image, warped, positions, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  const cv::Scalar mean = cv::mean(image);
  cv::Mat outside(flow.size(), CV_8UC1);
  for (int y = 0; y < flow.rows; ++y) {
    const auto* position = positions.ptr<cv::Vec2f>(y);
    auto* flag = outside.ptr<unsigned char>(y);
    for (int x = 0; x < flow.cols; ++x) flag[x] = inside(position[x], image.size()) ? 0 : 255;
  }
  warped.setTo(mean, outside);
  return warped;
}

cv::Mat flow_consistency(const cv::Mat& flow_ab, const cv::Mat& flow_ba) {
  check_flow(flow_ab, "the flow from a to b");
  check_flow(flow_ba, "the flow from b to a");
  const cv::Mat positions = source_positions(flow_ab);
  // The flow back, read where each of a's pixels lands in b.
  cv::Mat back;
  cv::remap(flow_ba, back, positions, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  const cv::Mat boundary = squared_flow_gradient(flow_ab);
  cv::Mat weights(flow_ab.size(), CV_32FC1);
  for (int y = 0; y < flow_ab.rows; ++y) {
    const auto* w = flow_ab.ptr<cv::Vec2f>(y);
    const auto* w_back = back.ptr<cv::Vec2f>(y);
    const auto* position = positions.ptr<cv::Vec2f>(y);
    const auto* gradient = boundary.ptr<float>(y);
    auto* weight = weights.ptr<float>(y);
    for (int x = 0; x < flow_ab.cols; ++x) {
      const cv::Vec2f round_trip = w[x] + w_back[x];
      const float forth = w[x].dot(w[x]);
      const bool seen = inside(position[x], flow_ba.size());
      const bool returns =
          round_trip.dot(round_trip) <= 0.01f * (forth + w_back[x].dot(w_back[x])) + 0.5f;
      const bool smooth = gradient[x] <= 0.01f * forth + 0.002f;
      weight[x] = seen && returns && smooth ? 1.0f : 0.0f;
    }
  }
  return weights;
}

cv::Mat smooth_consistency(const cv::Mat& consistency, double sigma) {
  cv::Mat weights = consistency.clone();
  if (sigma > 0.0) cv::GaussianBlur(weights, weights, cv::Size(0, 0), sigma);
  return weights;
}

}  // namespace nst
