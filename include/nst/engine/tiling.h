#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nst {

/// A rectangle of pixels, [top, bottom) × [left, right).
struct PixelRect {
  int64_t top = 0;
  int64_t bottom = 0;
  int64_t left = 0;
  int64_t right = 0;

  int64_t height() const { return bottom - top; }
  int64_t width() const { return right - left; }
};

/// One tile of an image: the core it answers for, and the crop the network reads for it (the
/// core with a halo on every side, cut at the image's border).
struct Tile {
  PixelRect core;
  PixelRect crop;
};

/// Cores over an image and the halo each is read with, so that a loss that is a sum over
/// feature cells (content, total variation) or a function of such sums (Gram matrices, means
/// and covariances) is computed exactly one tile at a time: each core's cells at a layer are
/// the very cells the whole image's pass gives there. That holds when the halo covers the
/// receptive field of the deepest layer and crops start on its stride (`halo_for`,
/// `stride_for`); near the border a crop is cut there, where the network's zero padding is the
/// whole image's too.
class TilePlan {
 public:
  /// The halo that makes the cells of `layers` exact: the deepest layer's receptive radius
  /// (each 3×3 convolution adds one cell of its stride) rounded up to its stride. relu1_1 1,
  /// relu2_1 4, relu3_1 12, relu4_1 32, relu4_2 40, relu5_1 80, relu5_2 96.
  static int64_t halo_for(const std::vector<std::string>& layers);

  /// The stride of the deepest of `layers`, 2 for each pool before it (16 for relu5_x): core
  /// sides and halos are multiples of it.
  static int64_t stride_for(const std::vector<std::string>& layers);

  /// The smallest core worth reading with that halo: the halo rounded up to the stride (a
  /// smaller core reads more than nine times its pixels).
  static int64_t smallest_core(const std::vector<std::string>& layers);

  /// Cores of `core` × `core` pixels from the top-left corner (those on the bottom and right
  /// edges take what is left) over a `height` × `width` image, each read with `halo`. Nothing
  /// is checked here (the tests build wrong plans on purpose): `exact` says whether the plan
  /// gives exact cells at `layers`.
  TilePlan(int64_t height, int64_t width, int64_t core, int64_t halo);

  /// Whether every core's cells at `layers` are the whole image's: the core side and the halo
  /// are multiples of the stride and the halo is at least `halo_for(layers)`.
  bool exact(const std::vector<std::string>& layers) const;

  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  int64_t core() const { return core_; }
  int64_t halo() const { return halo_; }
  const std::vector<Tile>& tiles() const { return tiles_; }

  /// The cells of `tile`'s core in the feature map its crop gives at a layer of stride
  /// `stride` (`FeatureExtractor::min_input_side`), relative to the crop's map, whose size is
  /// `map_height` × `map_width`: the last core in a row or column takes the map's remaining
  /// cells (the network floors odd sizes, as it does for the whole image).
  PixelRect core_cells(const Tile& tile, int64_t stride, int64_t map_height,
                       int64_t map_width) const;

 private:
  int64_t height_;
  int64_t width_;
  int64_t core_;
  int64_t halo_;
  std::vector<Tile> tiles_;
};

}  // namespace nst
