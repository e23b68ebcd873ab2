#include "nst/image_io.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "nst/atomic_file.h"
#include "nst/error.h"

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

std::vector<unsigned char> read_file(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) read_error(path, "no such file");
  if (fs::is_directory(status)) read_error(path, "it is a folder, not an image file");
  std::ifstream in(path, std::ios::binary);
  if (!in) read_error(path, std::strerror(errno));
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  if (in.bad()) read_error(path, std::strerror(errno));
  if (bytes.empty()) read_error(path, "the file is empty");
  return bytes;
}

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

cv::Size fit_long_side(int width, int height, int64_t long_side) {
  const double scale = static_cast<double>(long_side) / std::max(width, height);
  return {std::max(1, static_cast<int>(std::lround(width * scale))),
          std::max(1, static_cast<int>(std::lround(height * scale)))};
}

torch::Tensor bgr_to_tensor(const cv::Mat& bgr, double scale) {
  cv::Mat floats;
  bgr.convertTo(floats, CV_32FC3, scale);
  if (!floats.isContinuous()) floats = floats.clone();
  const auto hwc = torch::from_blob(floats.data, {floats.rows, floats.cols, 3}, torch::kFloat32);
  // HWC BGR → CHW RGB; clamp because bicubic upscaling overshoots.
  return hwc.permute({2, 0, 1}).flip(0).clamp(0.0, 255.0).unsqueeze(0).contiguous();
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

Image decode_image(const std::vector<unsigned char>& bytes, const std::string& name,
                   int64_t long_side) {
  cv::Mat colour;
  cv::Mat raw;
  try {
    colour = cv::imdecode(bytes, cv::IMREAD_COLOR | cv::IMREAD_ANYDEPTH);
    // Only an unchanged decode keeps alpha; JPEG (FF D8) has none, so skip the second decode.
    const bool is_jpeg = bytes.size() > 2 && bytes[0] == 0xFF && bytes[1] == 0xD8;
    if (!colour.empty() && !is_jpeg) raw = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& error) {
    read_error(name, "the decoder failed: " + error.msg);
  }
  if (colour.empty()) {
    read_error(name, "not an image format OpenCV can decode, or the file is corrupt");
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
    const cv::Size size = fit_long_side(colour.cols, colour.rows, long_side);
    resize_to(colour, size);
    resize_to(image.alpha, size);
  }
  image.rgb = bgr_to_tensor(colour, scale);
  return image;
}

Image load_image(const std::string& path, int64_t long_side) {
  return decode_image(read_file(path), path, long_side);
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

void save_image(const std::string& path, const torch::Tensor& rgb, const cv::Mat& alpha) {
  check_output_path(path);
  cv::Mat pixels = tensor_to_bgr8(rgb);
  if (!alpha.empty() && keeps_alpha(path)) {
    TORCH_CHECK(alpha.size() == pixels.size(), "alpha plane and image differ in size");
    cv::Mat bgra;
    cv::merge(std::vector<cv::Mat>{pixels, alpha}, bgra);
    pixels = bgra;
  }
  const std::string ext = "." + lower_extension(path);
  std::vector<int> params;
  if (ext == ".jpg" || ext == ".jpeg") params = {cv::IMWRITE_JPEG_QUALITY, 95};
  if (ext == ".webp") params = {cv::IMWRITE_WEBP_QUALITY, 95};
  std::vector<unsigned char> encoded;
  try {
    if (!cv::imencode(ext, pixels, encoded, params)) write_error(path, "encoding failed");
  } catch (const cv::Exception& error) {
    write_error(path, "encoding failed: " + error.msg);
  }

  write_file_atomically(path, std::string(encoded.begin(), encoded.end()), ErrorCode::kImageWrite,
                        "image");
}

}  // namespace nst
