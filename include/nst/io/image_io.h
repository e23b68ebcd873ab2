#pragma once

#include <torch/types.h>

#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nst/engine/image_size.h"
#include "nst/engine/stop.h"
#include "nst/io/read_bytes.h"

namespace nst {

/// A decoded image, ready for the engine.
struct Image {
  torch::Tensor rgb;  ///< [1, 3, H, W] float32, RGB, 0..255, on the CPU
  cv::Mat alpha;      ///< H×W CV_8UC1 opacity, or empty when the file has none
};

/// Default for the most pixels an input may have: 100 megapixels.
constexpr int64_t kDefaultMaxInputPixels = 100'000'000;

/// Reads `path` with OpenCV (any format it decodes), honouring EXIF orientation, converting
/// grey and 16-bit or float images to 8-bit-range RGB, and keeping any alpha channel aside.
/// When `long_side` > 0 the image is resized so its longer side has that many pixels, keeping
/// the aspect ratio; a JPEG is then decoded at 1/2, 1/4 or 1/8 scale where that still leaves
/// enough pixels. An image with more than `max_pixels` pixels (0: no limit) is refused, judged
/// from its header before decoding where the format's header is known (`read_image_header`).
/// The file is read by `read_input`, asking `stop`. Throws `nst::Error(kImageRead)` naming the
/// file and the problem, or `nst::Stopped`.
Image load_image(const std::string& path, int64_t long_side,
                 int64_t max_pixels = kDefaultMaxInputPixels, const StopRequested& stop = {});

/// Most bytes read from a stream for an image of at most `max_pixels` pixels: 16 a pixel (four
/// channels of 32-bit floats, uncompressed), at least 64 MiB; 4 GiB without a pixel limit.
int64_t stream_byte_limit(int64_t max_pixels);

/// The bytes of the image file at `path` by `read_bytes`: a regular file, or a stream
/// (`is_stream`) read to its end, at most `max_bytes` of it, asking `stop` while it waits.
/// Throws `nst::Error(kImageRead)` naming the file and the problem, or `nst::Stopped`.
std::vector<unsigned char> read_input(const std::string& path, int64_t max_bytes,
                                      const StopRequested& stop = {});

/// Decodes an image already in memory; `name` is used in error messages only.
Image decode_image(const std::vector<unsigned char>& bytes, const std::string& name,
                   int64_t long_side, int64_t max_pixels = kDefaultMaxInputPixels);

/// Width and height of the image at `path` from the first megabyte of the file, by
/// `read_image_header`, without decoding it; nothing when unreadable or the format is unknown.
std::optional<ImageSize> read_image_size(const std::string& path);

/// "WxH pixels (N.N megapixels)".
std::string describe_pixels(int64_t width, int64_t height);

/// The extensions `save_image` writes (lower case, without the dot).
const std::vector<std::string>& writable_extensions();

/// Whether an output with this path's extension can carry an alpha channel (PNG, TIFF, WebP).
bool keeps_alpha(const std::string& path);

/// Checks, before any work, that `path` has a writable extension, is not a folder, and lies in
/// a folder that exists and accepts new files. Throws `nst::Error(kImageWrite)` otherwise.
void check_output_path(const std::string& path);

/// Encodes `image` as `rgb` plus its alpha (when the format keeps it) by the extension of
/// `path` and writes it atomically: to a temporary file in the same folder, then renamed into
/// place, so that a failure never leaves a partial file nor touches an existing one. Throws
/// `nst::Error(kImageWrite)`.
void save_image(const std::string& path, const torch::Tensor& rgb, const cv::Mat& alpha = {});

/// Encodes `rgb` plus its alpha (when the format keeps it) in `format` (a writable extension)
/// and writes it to the open file `fd` (standard output for `-o -`); the whole image is
/// encoded before the first byte is written. While `fd` has no room (a pipe whose reader
/// stalls), `stop` is asked ten times a second. Throws `nst::Error(kImageWrite)` naming "-",
/// or `nst::Stopped`.
void write_image_to(int fd, const torch::Tensor& rgb, const cv::Mat& alpha,
                    const std::string& format, const StopRequested& stop = {});

/// [1, 3, H, W] float RGB 0..255 → H×W CV_8UC3 BGR (rounded, clamped).
cv::Mat tensor_to_bgr8(const torch::Tensor& rgb);

/// H×W 3-channel BGR mat of any depth, with `scale` mapping its values to 0..255 →
/// [1, 3, H, W] float32 RGB.
torch::Tensor bgr_to_tensor(const cv::Mat& bgr, double scale = 1.0);

}  // namespace nst
