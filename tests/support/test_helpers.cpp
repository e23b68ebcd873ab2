#include "test_helpers.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
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

std::vector<std::string> list_folder(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Pixels gradient_pixels(int width, int height) {
  Pixels image{width, height, {}};
  image.rgb.reserve(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  // Rounded half to even and clamped, as OpenCV's saturate_cast did when this was a cv::Mat:
  // the tests' expectations were measured on exactly these pixels.
  const auto byte = [](double value) {
    return static_cast<unsigned char>(std::clamp<long>(std::lrint(value), 0, 255));
  };
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double u = width > 1 ? static_cast<double>(x) / (width - 1) : 0.0;
      const double v = height > 1 ? static_cast<double>(y) / (height - 1) : 0.0;
      image.rgb.push_back(byte(30 + 200 * u));
      image.rgb.push_back(byte(60 + 120 * (u + v) / 2));
      image.rgb.push_back(byte(40 + 180 * v));
    }
  }
  return image;
}

Pixels stripes_pixels(int width, int height) {
  static const std::array<std::array<unsigned char, 3>, 4> colours = {
      {{230, 30, 20}, {10, 200, 240}, {40, 220, 30}, {250, 250, 250}}};
  Pixels image{width, height, {}};
  image.rgb.reserve(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int stripe = ((x + y) / 4) % 3;
      const bool dark = ((x / 8) + (y / 8)) % 2 == 0;
      for (const unsigned char channel : colours[static_cast<size_t>(stripe + (dark ? 0 : 1))]) {
        image.rgb.push_back(dark ? static_cast<unsigned char>(channel / 2) : channel);
      }
    }
  }
  return image;
}

void write_ppm(const std::string& path, const Pixels& image) {
  std::string bytes =
      "P6\n" + std::to_string(image.width) + ' ' + std::to_string(image.height) + "\n255\n";
  bytes.append(image.rgb.begin(), image.rgb.end());
  write_bytes(path, bytes);
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

bool has_line_with(const std::string& output, const std::string& first, const std::string& second) {
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(first) != std::string::npos && line.find(second) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace nst::test
