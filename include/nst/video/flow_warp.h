#pragma once

#include <opencv2/core.hpp>

namespace nst {

/// `image` carried onto the pixel grid of the frame that `flow` starts from: out(x) =
/// image(x + flow(x)), sampled bilinearly (`flow` as `compute_flow` gives it, from that frame
/// to `image`'s). A pixel whose source falls outside `image` takes `image`'s mean pixel, the
/// neutral guess for what was not seen. The result has `flow`'s size and `image`'s type.
cv::Mat warp_by_flow(const cv::Mat& image, const cv::Mat& flow);

/// Where the flow from frame a to frame b can be trusted, at each pixel of a (Ruder, Dosovitskiy
/// and Brox, "Artistic style transfer for videos", 2016): a CV_32FC1 map of 1 and 0, with 0
///  - where x + flow_ab(x) falls outside b;
///  - at disocclusions, where the flow back does not return: |w + w̃|² > 0.01 (|w|² + |w̃|²) +
///    0.5, with w = flow_ab(x) and w̃ = flow_ba sampled at x + w;
///  - at motion boundaries: |∇u|² + |∇v|² > 0.01 |w|² + 0.002 (central differences).
cv::Mat flow_consistency(const cv::Mat& flow_ab, const cv::Mat& flow_ba);

/// A consistency map smoothed by a Gaussian of `sigma` pixels (Ruder's code uses 0.8), as
/// weights in [0, 1] for a loss: the edges of unreliable regions fade instead of stepping.
cv::Mat smooth_consistency(const cv::Mat& consistency, double sigma);

}  // namespace nst
