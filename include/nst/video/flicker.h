#pragma once

#include <cstdint>
#include <opencv2/core.hpp>

#include "nst/video/optical_flow.h"

namespace nst {

/// How much a painted clip flickers: the warping error of Lai et al. ("Learning Blind Video
/// Temporal Consistency", ECCV 2018), E_warp = the mean over consecutive frames of
/// Σ M·|warp(O_t) − O_{t−1}|² / Σ M, where O are the painted frames in [0, 1] (the squares
/// summed over the colour channels), warp carries O_t back along the flow from input frame
/// t − 1 to t, and M is that flow's consistency (`flow_consistency`). Flow and mask come from
/// the *input* frames, so the measure asks whether the painting moves with the scene. Of the
/// input clip itself (outputs = inputs) it is the floor that flow errors and lighting leave.
///
/// Frames are added one at a time and only the last is kept, so memory does not grow with the
/// clip. A pair whose mask is empty everywhere (a cut) counts no pair.
class WarpingError {
 public:
  explicit WarpingError(FlowMethod method) : method_(method) {}

  /// Adds the next frame: the input it was painted from and the painting. An input of another
  /// size than the painting is resized to it first (flow is computed at the painting's size).
  /// Both must keep one size over the clip.
  void add(const cv::Mat& input, const cv::Mat& output);

  /// Adds the next painting with the flow from the previous input frame to this one and that
  /// flow's consistency (`flow_consistency`) computed by the caller, who may share them between
  /// several measures of one clip (its input's and its painting's).
  void add(const cv::Mat& output, const cv::Mat& forward_flow, const cv::Mat& mask);

  /// Takes `output` as the previous painting without counting a pair: a clip's first frame
  /// for the form of `add` above.
  void restart(const cv::Mat& output);

  /// The mean over the pairs counted so far; 0 before the first pair.
  double value() const { return pairs_ > 0 ? sum_ / static_cast<double>(pairs_) : 0.0; }

  /// Consecutive pairs counted (frames added − 1, less any cut).
  int64_t pairs() const { return pairs_; }

 private:
  FlowMethod method_;
  cv::Mat previous_input_;   // at the painting's size
  cv::Mat previous_output_;  // float, [0, 1]
  double sum_ = 0.0;
  int64_t pairs_ = 0;
};

}  // namespace nst
