#pragma once

#include <torch/types.h>

namespace nst {

/// [1, 3, H, W] RGB 0..255 → YCbCr (ITU-R BT.601, full range, 0..255 with chroma centred on 128).
torch::Tensor rgb_to_ycbcr(const torch::Tensor& rgb);

/// The inverse of `rgb_to_ycbcr`.
torch::Tensor ycbcr_to_rgb(const torch::Tensor& ycbcr);

/// The luminance of `painted` with the chroma of `content` (same size): the picture's light and
/// texture from the style transfer, its colours from the photo.
torch::Tensor keep_content_colours(const torch::Tensor& painted, const torch::Tensor& content);

/// `style` with its colours moved to match `content`'s: the affine map that gives the style's
/// pixels the content's mean and covariance (RGB), clamped to 0..255.
torch::Tensor match_colour_statistics(const torch::Tensor& style, const torch::Tensor& content);

}  // namespace nst
