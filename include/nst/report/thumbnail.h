#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>

namespace nst {

/// The image at `path` as an 8-bit BGR picture whose longer side is `long_side` pixels (its
/// colour only; any alpha is dropped), decoded by `load_image` with its checks (`max_pixels`,
/// 0 for no limit). Empty when it cannot be read: missing, corrupt, or a stream (standard
/// input, a pipe or a FIFO), which must not be consumed for a picture.
cv::Mat read_thumbnail(const std::string& path, int long_side, int64_t max_pixels);

/// `bgr` (8-bit, 3 channels) as a JPEG `data:` URI of the given quality, for a page that must
/// hold its pictures itself. Throws `nst::Error(kImageWrite)` if it cannot be encoded.
std::string jpeg_data_uri(const cv::Mat& bgr, int quality = 80);

/// `bytes` in Base64 (RFC 4648, with padding, no line breaks).
std::string base64(const std::string& bytes);

}  // namespace nst
