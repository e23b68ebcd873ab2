#pragma once

#include <opencv2/core.hpp>

#include "nst/engine/named_values.h"

namespace nst {

/// The dense optical flow algorithms a clip can be painted with. DIS (Kroeger et al. 2016) and
/// Farnebäck are OpenCV's video module; DeepFlow and dual TV-L1 its contrib optflow module. They
/// trade speed for robustness to large motion: at 768×576 on 2 cores DIS takes milliseconds a
/// pair, Farnebäck about a quarter of a second, DeepFlow and TV-L1 about one and two seconds.
enum class FlowMethod {
  kDis,
  kFarneback,
  kDeepFlow,
  kTvl1,
};

template <>
struct EnumNames<FlowMethod> {
  static constexpr NamedValue<FlowMethod> values[] = {
      {FlowMethod::kDis, "dis"},
      {FlowMethod::kFarneback, "farneback"},
      {FlowMethod::kDeepFlow, "deepflow"},
      {FlowMethod::kTvl1, "tvl1"},
  };
};

/// The flow from frame `from` to frame `to` (same size; 8-bit, 16-bit or float in [0, 1], grey,
/// BGR or BGRA): a CV_32FC2 matrix of `from`'s size whose value at pixel x is the displacement d
/// with from(x) ≈ to(x + d), in pixels (x then y). So the backward flow of frame i, from i to
/// i − 1, tells where each of i's pixels was in i − 1.
cv::Mat compute_flow(const cv::Mat& from, const cv::Mat& to, FlowMethod method);

}  // namespace nst
