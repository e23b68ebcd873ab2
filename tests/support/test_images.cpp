#include "test_images.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace nst::test {

cv::Mat to_bgr(const Pixels& image) {
  const cv::Mat rgb(image.height, image.width, CV_8UC3,
                    const_cast<unsigned char*>(image.rgb.data()));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

cv::Mat gradient_image(int width, int height) {
  return to_bgr(gradient_pixels(width, height));
}

cv::Mat stripes_image(int width, int height) {
  return to_bgr(stripes_pixels(width, height));
}

cv::Mat texture_image(int width, int height, int seed, double sigma) {
  cv::Mat noise(height, width, CV_8UC3);
  cv::RNG rng(static_cast<uint64_t>(seed));
  rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
  cv::Mat smooth;
  cv::GaussianBlur(noise, smooth, cv::Size(0, 0), sigma);
  cv::normalize(smooth, smooth, 0, 255, cv::NORM_MINMAX);
  return smooth;
}

void write_image(const std::string& path, const cv::Mat& image, const std::vector<int>& params) {
  if (!cv::imwrite(path, image, params)) throw std::runtime_error("cannot write " + path);
}

void write_ppm(const std::string& path, const cv::Mat& bgr) {
  CV_Assert(bgr.type() == CV_8UC3);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  Pixels image{rgb.cols, rgb.rows, {}};
  for (int y = 0; y < rgb.rows; ++y) {
    const unsigned char* row = rgb.ptr<unsigned char>(y);
    image.rgb.insert(image.rgb.end(), row, row + rgb.cols * 3);
  }
  write_ppm(path, image);
}

std::vector<unsigned char> jpeg_with_orientation(const cv::Mat& image, uint16_t orientation) {
  std::vector<unsigned char> jpeg;
  if (!cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95})) {
    throw std::runtime_error("cannot encode a JPEG");
  }
  const auto low = static_cast<unsigned char>(orientation & 0xFF);
  const auto high = static_cast<unsigned char>(orientation >> 8);
  // clang-format off
  const std::vector<unsigned char> payload = {
      'E', 'x', 'i', 'f', 0, 0,          // EXIF identifier
      'I', 'I', '*', 0, 8, 0, 0, 0,      // little-endian TIFF, first IFD at 8
      1, 0,                              // one entry:
      0x12, 0x01, 3, 0, 1, 0, 0, 0,      //   Orientation, SHORT, count 1,
      low, high, 0, 0,                   //   its value
      0, 0, 0, 0};                       // no next IFD
  // clang-format on
  const size_t length = payload.size() + 2;
  std::vector<unsigned char> segment = {0xFF, 0xE1, static_cast<unsigned char>(length >> 8),
                                        static_cast<unsigned char>(length & 0xFF)};
  segment.insert(segment.end(), payload.begin(), payload.end());
  jpeg.insert(jpeg.begin() + 2, segment.begin(), segment.end());
  return jpeg;
}

}  // namespace nst::test
