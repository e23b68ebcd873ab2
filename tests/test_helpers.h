#pragma once

#include <cstdint>
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace nst::test {

/// A fresh, empty folder under the system's temporary folder, removed with its contents when
/// the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// `path() / name` as a string.
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// Names of the entries of `folder` (hidden ones included), sorted.
std::vector<std::string> list_folder(const std::filesystem::path& folder);

/// Smooth, deterministic BGR 8-bit image: a diagonal colour gradient.
cv::Mat gradient_image(int width, int height);

/// Deterministic BGR 8-bit image of saturated diagonal stripes over a checkerboard.
cv::Mat stripes_image(int width, int height);

/// Writes `image` with cv::imwrite; throws std::runtime_error if OpenCV fails.
void write_image(const std::string& path, const cv::Mat& image,
                 const std::vector<int>& params = {});

/// Writes an 8-bit BGR image as binary PPM (P6, RGB order on disk).
void write_ppm(const std::string& path, const cv::Mat& bgr);

/// A JPEG of `image` with an EXIF APP1 segment right after SOI carrying `orientation` (1–8).
std::vector<unsigned char> jpeg_with_orientation(const cv::Mat& image, uint16_t orientation);

/// Raw bytes of a file (empty if it cannot be read).
std::string read_bytes(const std::string& path);

/// Writes `bytes` to `path`, replacing it.
void write_bytes(const std::string& path, const std::string& bytes);

/// Quotes `text` for /bin/sh.
std::string shell_quote(const std::string& text);

/// What a shell command printed (stdout and stderr together) and its exit status.
struct CommandResult {
  int exit_code = -1;  ///< the exit status, or -1 if it did not exit normally
  std::string output;
};

/// Runs `command` with /bin/sh, stderr merged into stdout.
CommandResult run_command(const std::string& command);

}  // namespace nst::test
