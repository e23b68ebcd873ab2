#include "nst/engine/tiling.h"

#include <algorithm>

#include "nst/engine/vgg.h"

namespace nst {

int64_t TilePlan::stride_for(const std::vector<std::string>& layers) {
  return FeatureExtractor::min_input_side(layers);
}

int64_t TilePlan::halo_for(const std::vector<std::string>& layers) {
  const auto& names = FeatureExtractor::layer_names();
  int64_t stride = 1;
  int64_t radius = 0;
  for (int i = 0; i <= FeatureExtractor::deepest_layer(layers); ++i) {
    const char kind = names[static_cast<size_t>(i)][0];
    if (kind == 'c') radius += stride;  // a 3×3 convolution reaches one cell further
    if (kind == 'p') stride *= 2;
  }
  const int64_t deepest_stride = stride_for(layers);
  return (radius + deepest_stride - 1) / deepest_stride * deepest_stride;
}

int64_t TilePlan::smallest_core(const std::vector<std::string>& layers) {
  const int64_t stride = stride_for(layers);
  return std::max(stride, (halo_for(layers) + stride - 1) / stride * stride);
}

TilePlan::TilePlan(int64_t height, int64_t width, int64_t core, int64_t halo)
    : height_(height), width_(width), core_(std::max<int64_t>(1, core)), halo_(halo) {
  for (int64_t top = 0; top < height_; top += core_) {
    for (int64_t left = 0; left < width_; left += core_) {
      Tile tile;
      tile.core = {top, std::min(height_, top + core_), left, std::min(width_, left + core_)};
      tile.crop = {
          std::max<int64_t>(0, tile.core.top - halo_), std::min(height_, tile.core.bottom + halo_),
          std::max<int64_t>(0, tile.core.left - halo_), std::min(width_, tile.core.right + halo_)};
      tiles_.push_back(tile);
    }
  }
}

bool TilePlan::exact(const std::vector<std::string>& layers) const {
  const int64_t stride = stride_for(layers);
  return core_ % stride == 0 && halo_ % stride == 0 && halo_ >= halo_for(layers);
}

PixelRect TilePlan::core_cells(const Tile& tile, int64_t stride, int64_t map_height,
                               int64_t map_width) const {
  PixelRect cells;
  cells.top = (tile.core.top - tile.crop.top) / stride;
  cells.left = (tile.core.left - tile.crop.left) / stride;
  cells.bottom =
      tile.core.bottom == height_ ? map_height : (tile.core.bottom - tile.crop.top) / stride;
  cells.right = tile.core.right == width_ ? map_width : (tile.core.right - tile.crop.left) / stride;
  return cells;
}

}  // namespace nst
