#include "nst/io/image_io.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "nst/engine/error.h"
#include "nst/engine/image_size.h"
#include "nst/io/atomic_file.h"
#include "nst/io/image_header.h"
#include "nst/io/read_bytes.h"

namespace nst {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void read_error(const std::string& path, const std::string& why) {
  throw Error(ErrorCode::kImageRead, "cannot read image '" + path + "': " + why);
}

[[noreturn]] void write_error(const std::string& path, const std::string& why) {
  throw Error(ErrorCode::kImageWrite, "cannot write image '" + path + "': " + why);
}

std::string lower_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  if (!ext.empty()) ext.erase(0, 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

}  // namespace

int64_t stream_byte_limit(int64_t max_pixels) {
  if (max_pixels <= 0) return int64_t{4} << 30;
  return std::max<int64_t>(int64_t{64} << 20, 16 * max_pixels);
}

std::vector<unsigned char> read_input(const std::string& path, int64_t max_bytes,
                                      const StopRequested& stop) {
  return read_bytes(path, max_bytes, "image", ErrorCode::kImageRead, stop);
}

namespace {

// Value that maps an OpenCV depth's full range onto 0..255.
double depth_scale(int depth) {
  switch (depth) {
    case CV_8U:
      return 1.0;
    case CV_16U:
      return 255.0 / 65535.0;
    case CV_32F:
    case CV_64F:
      return 255.0;  // float images hold 0..1
    default:
      return 1.0;
  }
}

// OpenCV applies the EXIF orientation to colour decodes but not to IMREAD_UNCHANGED ones,
// which are the only ones that keep alpha. Find the flip/rotation that turns the raw
// decode into the oriented one and apply it to the alpha plane too.
cv::Mat orient_like(const cv::Mat& raw_bgr, const cv::Mat& alpha, const cv::Mat& oriented) {
  const auto transformed = [](const cv::Mat& m, int t) {
    cv::Mat out;
    switch (t) {
      case 0:
        out = m;
        break;
      case 1:
        cv::flip(m, out, 1);
        break;
      case 2:
        cv::rotate(m, out, cv::ROTATE_180);
        break;
      case 3:
        cv::flip(m, out, 0);
        break;
      case 4:
        cv::transpose(m, out);
        break;
      case 5:
        cv::rotate(m, out, cv::ROTATE_90_CLOCKWISE);
        break;
      case 6:
        cv::transpose(m, out);
        cv::flip(out, out, -1);
        break;
      default:
        cv::rotate(m, out, cv::ROTATE_90_COUNTERCLOCKWISE);
        break;
    }
    return out;
  };
  for (int t = 0; t < 8; ++t) {
    const cv::Mat candidate = transformed(raw_bgr, t);
    if (candidate.size() == oriented.size() && cv::norm(candidate, oriented, cv::NORM_INF) == 0) {
      return transformed(alpha, t);
    }
  }
  return transformed(alpha, 0).size() == oriented.size() ? alpha : cv::Mat();
}

void resize_to(cv::Mat& mat, cv::Size size) {
  if (mat.empty() || mat.size() == size) return;
  const bool shrinking = size.area() < mat.size().area();
  cv::Mat resized;
  cv::resize(mat, resized, size, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_CUBIC);
  mat = resized;
}

}  // namespace

torch::Tensor bgr_to_tensor(const cv::Mat& bgr, double scale) {
  cv::Mat floats;
  bgr.convertTo(floats, CV_32FC3, scale);
  if (!floats.isContinuous()) floats = floats.clone();
  const auto hwc = torch::from_blob(floats.data, {floats.rows, floats.cols, 3}, torch::kFloat32);
  // HWC BGR → CHW RGB; clamp because bicubic upscaling overshoots, and float formats (PFM,
  // HDR, TIFF) may hold NaN or infinities, which would poison every loss.
  return hwc.permute({2, 0, 1})
      .flip(0)
      .nan_to_num(0.0, 255.0, 0.0)
      .clamp(0.0, 255.0)
      .unsqueeze(0)
      .contiguous();
}

cv::Mat tensor_to_bgr8(const torch::Tensor& rgb) {
  TORCH_CHECK(rgb.dim() == 4 && rgb.size(0) == 1 && rgb.size(1) == 3, "expected [1, 3, H, W]");
  const auto hwc = rgb[0]
                       .detach()
                       .to(torch::kCPU, torch::kFloat32)
                       .clamp(0.0, 255.0)
                       .round()
                       .to(torch::kUInt8)
                       .flip(0)
                       .permute({1, 2, 0})
                       .contiguous();
  return cv::Mat(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_8UC3,
                 hwc.data_ptr())
      .clone();
}

std::string describe_pixels(int64_t width, int64_t height) {
  std::ostringstream out;
  out << width << "x" << height << " pixels";
  const double megapixels = static_cast<double>(width) * static_cast<double>(height) / 1e6;
  if (megapixels >= 1) out << " (" << std::fixed << std::setprecision(1) << megapixels << " MP)";
  return out.str();
}

namespace {

bool over_limit(int64_t width, int64_t height, int64_t max_pixels) {
  return max_pixels > 0 && height > 0 && width > max_pixels / height;
}

[[noreturn]] void too_large(const std::string& name, const std::string& size, int64_t max_pixels) {
  read_error(name, size + ", more than the limit of " + std::to_string(max_pixels) +
                       " pixels (raise it with --max-input-pixels)");
}

// The IMREAD_REDUCED_* flag that lets libjpeg decode at 1/2, 1/4 or 1/8 scale in the DCT
// domain while the longer side stays at least `long_side`, or 0 for a full decode. Only JPEG
// decodes reduced for real: OpenCV decodes other formats in full and then shrinks them.
int reduced_jpeg_flag(const ImageHeader& header, int64_t long_side) {
  if (header.format != "jpeg" || long_side <= 0) return 0;
  const int64_t side = std::max(header.width, header.height);
  for (const auto& [factor, flag] :
       {std::pair{8, cv::IMREAD_REDUCED_COLOR_8}, std::pair{4, cv::IMREAD_REDUCED_COLOR_4},
        std::pair{2, cv::IMREAD_REDUCED_COLOR_2}}) {
    if ((side + factor - 1) / factor >= long_side) return flag;
  }
  return 0;
}

}  // namespace

Image decode_image(const std::vector<unsigned char>& bytes, const std::string& name,
                   int64_t long_side, int64_t max_pixels) {
  // Judge the size from the header before the decoder allocates anything.
  const auto header = read_image_header(bytes);
  if (header) {
    if (header->width == 0 || header->height == 0) {
      read_error(name, "its header says it is " + std::to_string(header->width) + "x" +
                           std::to_string(header->height) + " pixels");
    }
    if (over_limit(header->width, header->height, max_pixels)) {
      too_large(name, "its header says " + describe_pixels(header->width, header->height),
                max_pixels);
    }
  }
  if (const auto problem = find_structure_problem(bytes)) read_error(name, *problem);
  const int reduced = header ? reduced_jpeg_flag(*header, long_side) : 0;

  cv::Mat colour;
  cv::Mat raw;
  try {
    colour = cv::imdecode(bytes, reduced ? reduced : cv::IMREAD_COLOR | cv::IMREAD_ANYDEPTH);
    // Only an unchanged decode keeps alpha; JPEG (FF D8) has none, so skip the second decode.
    const bool is_jpeg = bytes.size() > 2 && bytes[0] == 0xFF && bytes[1] == 0xD8;
    if (!colour.empty() && !is_jpeg) raw = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& error) {
    // `err` is the bare condition; `msg` adds OpenCV's version, source path and line.
    read_error(name, "the decoder failed: " + first_line(error.err));
  }
  if (colour.empty()) {
    read_error(name, "not an image format OpenCV can decode, or the file is corrupt");
  }
  // Formats whose header we do not read are held to the same limit once decoded.
  if (over_limit(colour.cols, colour.rows, max_pixels)) {
    too_large(name, describe_pixels(colour.cols, colour.rows), max_pixels);
  }

  Image image;
  if (raw.channels() == 2 || raw.channels() == 4) {
    std::vector<cv::Mat> planes;
    cv::split(raw, planes);
    cv::Mat alpha = planes.back();
    cv::Mat raw_bgr;
    if (raw.channels() == 4) {
      cv::merge(std::vector<cv::Mat>(planes.begin(), planes.begin() + 3), raw_bgr);
    } else {
      cv::cvtColor(planes[0], raw_bgr, cv::COLOR_GRAY2BGR);
    }
    alpha = orient_like(raw_bgr, alpha, colour);
    alpha.convertTo(image.alpha, CV_8U, depth_scale(alpha.depth()));
  }

  const double scale = depth_scale(colour.depth());
  if (long_side > 0) {
    const ImageSize fitted = fit_long_side(colour.cols, colour.rows, long_side);
    const cv::Size size(static_cast<int>(fitted.width), static_cast<int>(fitted.height));
    resize_to(colour, size);
    resize_to(image.alpha, size);
  }
  image.rgb = bgr_to_tensor(colour, scale);
  return image;
}

std::optional<ImageSize> read_image_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<unsigned char> head(1 << 20);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  const auto header = read_image_header(head);
  if (!header) return std::nullopt;
  return ImageSize{header->width, header->height};
}

Image load_image(const std::string& path, int64_t long_side, int64_t max_pixels,
                 const StopRequested& stop) {
  return decode_image(read_input(path, stream_byte_limit(max_pixels), stop), path, long_side,
                      max_pixels);
}

const std::vector<std::string>& writable_extensions() {
  static const std::vector<std::string> extensions = {"png", "jpg",  "jpeg", "webp",
                                                      "tif", "tiff", "bmp"};
  return extensions;
}

bool keeps_alpha(const std::string& path) {
  const std::string ext = lower_extension(path);
  return ext == "png" || ext == "tif" || ext == "tiff" || ext == "webp";
}

void check_output_path(const std::string& path) {
  const std::string ext = lower_extension(path);
  const auto& known = writable_extensions();
  if (std::find(known.begin(), known.end(), ext) == known.end() ||
      !cv::haveImageWriter("x." + ext)) {
    std::string list;
    for (const auto& e : known) list += (list.empty() ? "" : ", ") + e;
    write_error(path, (ext.empty() ? std::string("it has no extension")
                                   : "unsupported extension '." + ext + "'") +
                          "; use one of " + list);
  }
  check_writable(path, ErrorCode::kImageWrite, "image");
}

// `rgb` (and `alpha`, where the format keeps it) encoded in `format`, a writable extension;
// `name` is for messages.
static std::vector<unsigned char> encode_image(const torch::Tensor& rgb, const cv::Mat& alpha,
                                               const std::string& format, const std::string& name) {
  cv::Mat pixels = tensor_to_bgr8(rgb);
  const std::string ext = "." + format;
  if (!alpha.empty() && keeps_alpha("image" + ext)) {
    TORCH_CHECK(alpha.size() == pixels.size(), "alpha plane and image differ in size");
    cv::Mat bgra;
    cv::merge(std::vector<cv::Mat>{pixels, alpha}, bgra);
    pixels = bgra;
  }
  std::vector<int> params;
  if (ext == ".jpg" || ext == ".jpeg") params = {cv::IMWRITE_JPEG_QUALITY, 95};
  if (ext == ".webp") params = {cv::IMWRITE_WEBP_QUALITY, 95};
  std::vector<unsigned char> encoded;
  try {
    if (!cv::imencode(ext, pixels, encoded, params)) write_error(name, "encoding failed");
  } catch (const cv::Exception& error) {
    write_error(name, "encoding failed: " + error.msg);
  }
  return encoded;
}

void save_image(const std::string& path, const torch::Tensor& rgb, const cv::Mat& alpha) {
  check_output_path(path);
  const auto encoded = encode_image(rgb, alpha, lower_extension(path), path);
  write_file_atomically(path, std::string(encoded.begin(), encoded.end()), ErrorCode::kImageWrite,
                        "image");
}

void write_image_to(int fd, const torch::Tensor& rgb, const cv::Mat& alpha,
                    const std::string& format, const StopRequested& stop) {
  const std::string name = "-";
  if (std::find(writable_extensions().begin(), writable_extensions().end(), format) ==
      writable_extensions().end()) {
    write_error(name, "cannot write the format '" + format + "'");
  }
  // Encoded whole first: a failed encode writes nothing.
  const auto encoded = encode_image(rgb, alpha, format, name);
  // A pipe whose reader has stalled would block a write of the whole image; PIPE_BUF bytes at
  // a time after poll() says there is room never block, so `stop` is heard.
  size_t written = 0;
  while (written < encoded.size()) {
    stop_if_requested(stop, "writing the image to standard output");
    pollfd room{fd, POLLOUT, 0};
    const int ready = poll(&room, 1, 100);
    if (ready < 0 && errno != EINTR) write_error(name, std::strerror(errno));
    if (ready <= 0) continue;
    const size_t size = std::min<size_t>(PIPE_BUF, encoded.size() - written);
    if (const int error = write_all(fd, encoded.data() + written, size); error != 0) {
      write_error(name, std::string("write failed: ") + std::strerror(error));
    }
    written += size;
  }
}

}  // namespace nst
