#include "nst/engine/scales.h"

#include <torch/nn/functional/upsampling.h>

#include <algorithm>
#include <cmath>

#include "nst/engine/image_size.h"

namespace nst {

namespace F = torch::nn::functional;

torch::Tensor resample(const torch::Tensor& image, int64_t height, int64_t width) {
  if (image.size(2) == height && image.size(3) == width) return image;
  const bool shrinking = height * width < image.size(2) * image.size(3);
  return F::interpolate(image, F::InterpolateFuncOptions()
                                   .size(std::vector<int64_t>{height, width})
                                   .mode(torch::kBicubic)
                                   .align_corners(false)
                                   .antialias(shrinking));
}

torch::Tensor resize_image(const torch::Tensor& image, int64_t height, int64_t width) {
  if (image.size(2) == height && image.size(3) == width) return image;
  return resample(image, height, width).clamp(0.0, 255.0);
}

std::vector<std::pair<int64_t, int64_t>> scale_shapes(const StyleTransferOptions& options,
                                                      int64_t height, int64_t width) {
  const std::vector<int64_t> sides = options.scale_sides();
  const double long_side = static_cast<double>(std::max(height, width));
  std::vector<std::pair<int64_t, int64_t>> shapes;
  for (size_t i = 0; i + 1 < sides.size(); ++i) {
    const int64_t side =
        std::max<int64_t>(1, std::lround(long_side * static_cast<double>(sides[i]) /
                                         static_cast<double>(options.size())));
    const ImageSize size = fit_long_side(width, height, side);
    shapes.emplace_back(size.height, size.width);
  }
  shapes.emplace_back(height, width);
  return shapes;
}

torch::Tensor add_upsampled_change(const torch::Tensor& base, const torch::Tensor& result,
                                   const torch::Tensor& base_before) {
  return (base + resample(result - base_before, base.size(2), base.size(3))).clamp(0.0, 255.0);
}

}  // namespace nst
