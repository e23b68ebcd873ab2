#include "test_helpers.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <stdexcept>

namespace nst::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  const fs::path base = fs::temp_directory_path();
  for (int attempt = 0;; ++attempt) {
    path_ = base / ("nst-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    if (fs::create_directory(path_)) break;
    if (attempt > 100) throw std::runtime_error("cannot create a temporary folder");
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
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

std::vector<std::string> list_folder(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

cv::Mat gradient_image(int width, int height) {
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double u = width > 1 ? static_cast<double>(x) / (width - 1) : 0.0;
      const double v = height > 1 ? static_cast<double>(y) / (height - 1) : 0.0;
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<uchar>(40 + 180 * v),
                                            cv::saturate_cast<uchar>(60 + 120 * (u + v) / 2),
                                            cv::saturate_cast<uchar>(30 + 200 * u));
    }
  }
  return image;
}

cv::Mat stripes_image(int width, int height) {
  static const std::array<cv::Vec3b, 4> colours = {cv::Vec3b(20, 30, 230), cv::Vec3b(240, 200, 10),
                                                   cv::Vec3b(30, 220, 40),
                                                   cv::Vec3b(250, 250, 250)};
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int stripe = ((x + y) / 4) % 3;
      const bool dark = ((x / 8) + (y / 8)) % 2 == 0;
      cv::Vec3b colour = colours[static_cast<size_t>(stripe + (dark ? 0 : 1))];
      if (dark) colour *= 0.5;
      image.at<cv::Vec3b>(y, x) = colour;
    }
  }
  return image;
}

void write_image(const std::string& path, const cv::Mat& image, const std::vector<int>& params) {
  if (!cv::imwrite(path, image, params)) throw std::runtime_error("cannot write " + path);
}

void write_ppm(const std::string& path, const cv::Mat& bgr) {
  CV_Assert(bgr.type() == CV_8UC3);
  std::ostringstream out;
  out << "P6\n" << bgr.cols << ' ' << bgr.rows << "\n255\n";
  for (int y = 0; y < bgr.rows; ++y) {
    for (int x = 0; x < bgr.cols; ++x) {
      const cv::Vec3b& p = bgr.at<cv::Vec3b>(y, x);
      out << static_cast<char>(p[2]) << static_cast<char>(p[1]) << static_cast<char>(p[0]);
    }
  }
  write_bytes(path, out.str());
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(("(" + command + ") 2>&1").c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace nst::test
