#pragma once

#include <torch/types.h>

#include <opencv2/core.hpp>

#include "nst/engine/transfer.h"
#include "nst/video/optical_flow.h"

namespace nst {

/// How frame i of a clip follows frame i − 1, from the content frames (Ruder et al. 2016).
struct FrameLink {
  cv::Mat backward_flow;  ///< from frame i to i − 1: where each of i's pixels was (CV_32FC2)
  cv::Mat forward_flow;   ///< from frame i − 1 to i, which the consistency is checked against
  cv::Mat consistency;    ///< where that flow holds, on frame i's grid (CV_32FC1, 0 or 1)
  double reliable = 0;    ///< the share of frame i's pixels where it holds; near 0 at a cut
};

/// The link from `previous` to `current` (content frames of one size, as `compute_flow` takes
/// them): the backward flow, and its consistency checked against the forward flow.
FrameLink link_frames(const cv::Mat& previous, const cv::Mat& current, FlowMethod method);

/// The temporal target of frame i: `previous_painting` (frame i − 1 painted, [1, 3, H, W] RGB
/// 0..255 at the frames' size) carried along the link's backward flow, what was not seen
/// taking its mean colour; the consistency smoothed by a Gaussian of `sigma` pixels; `weight`.
/// The warped painting is also where frame i's optimisation starts (`Init::kImage`).
TemporalTarget temporal_target(const FrameLink& link, const torch::Tensor& previous_painting,
                               double weight, double sigma = 0.8);

}  // namespace nst
