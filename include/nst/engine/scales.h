#pragma once

#include <torch/types.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "nst/engine/options.h"

// The scales of a coarse-to-fine run (--min-scale): their sizes, and how an image moves from
// one to the next.
namespace nst {

/// Height and width, at each scale of `options.scale_sides()` (coarsest first), of an image that
/// is `height`×`width` at the last scale (the content at --size, or the style at its size):
/// shrunk in proportion, so each scale sees the same share of the picture.
std::vector<std::pair<int64_t, int64_t>> scale_shapes(const StyleTransferOptions& options,
                                                      int64_t height, int64_t width);

/// `base` plus the change `result` − `base_before` made at a coarser scale, that change
/// resized (bicubic) to `base`'s size with its sign kept, then clamped to 0..255: how
/// `Upsample::kResidual` carries a scale's result to the next.
torch::Tensor add_upsampled_change(const torch::Tensor& base, const torch::Tensor& result,
                                   const torch::Tensor& base_before);

/// `image` ([1, C, H, W]) resized to `height`×`width`: bicubic, antialiased when shrinking,
/// values as they come out (bicubic overshoots, and a change between images may be negative).
torch::Tensor resample(const torch::Tensor& image, int64_t height, int64_t width);

/// An image ([1, 3, H, W], 0..255) resized to `height`×`width`, clamped to 0..255.
torch::Tensor resize_image(const torch::Tensor& image, int64_t height, int64_t width);

}  // namespace nst
