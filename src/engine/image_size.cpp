#include "nst/engine/image_size.h"

#include <algorithm>
#include <cmath>

namespace nst {

ImageSize fit_long_side(int64_t width, int64_t height, int64_t long_side) {
  const double scale =
      static_cast<double>(long_side) / static_cast<double>(std::max(width, height));
  return {std::max<int64_t>(1, std::llround(static_cast<double>(width) * scale)),
          std::max<int64_t>(1, std::llround(static_cast<double>(height) * scale))};
}

}  // namespace nst
