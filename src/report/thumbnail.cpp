#include "nst/report/thumbnail.h"

#include <algorithm>
#include <cstdint>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "nst/engine/error.h"
#include "nst/io/image_io.h"
#include "nst/io/read_bytes.h"

namespace nst {

cv::Mat read_thumbnail(const std::string& path, int long_side, int64_t max_pixels) {
  if (path.empty() || is_stream(path)) return {};
  try {
    // load_image decodes a large JPEG at a fraction of its size, and refuses what a corrupt
    // or oversized file would make of the decoders: a review page can meet any input file.
    return tensor_to_bgr8(load_image(path, long_side, max_pixels).rgb);
  } catch (const std::exception&) {
    return {};
  }
}

std::string base64(const std::string& bytes) {
  static const char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k) {
      group = group << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    for (size_t k = 0; k < 4; ++k) {
      text += k <= n ? kDigits[(group >> (18 - 6 * k)) & 63] : '=';
    }
  }
  return text;
}

std::string jpeg_data_uri(const cv::Mat& bgr, int quality) {
  std::vector<unsigned char> encoded;
  const std::vector<int> parameters = {cv::IMWRITE_JPEG_QUALITY, quality, cv::IMWRITE_JPEG_OPTIMIZE,
                                       1};
  if (bgr.empty() || !cv::imencode(".jpg", bgr, encoded, parameters)) {
    throw Error(ErrorCode::kImageWrite, "cannot encode a thumbnail as JPEG");
  }
  return "data:image/jpeg;base64," + base64(std::string(encoded.begin(), encoded.end()));
}

}  // namespace nst
