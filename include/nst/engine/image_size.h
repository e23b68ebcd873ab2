#pragma once

#include <cstdint>
#include <ostream>

namespace nst {

/// Width and height of an image, in pixels.
struct ImageSize {
  int64_t width = 0;
  int64_t height = 0;

  bool operator==(const ImageSize& other) const {
    return width == other.width && height == other.height;
  }
};

inline std::ostream& operator<<(std::ostream& out, const ImageSize& size) {
  return out << size.width << "x" << size.height;
}

/// `width`×`height` scaled so that its longer side has `long_side` pixels, keeping the aspect
/// ratio (rounded to the nearest pixel, never below one).
ImageSize fit_long_side(int64_t width, int64_t height, int64_t long_side);

}  // namespace nst
