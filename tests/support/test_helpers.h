#pragma once

#include <cstdint>
#include <filesystem>
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

/// An 8-bit RGB image, row by row, its channels interleaved.
struct Pixels {
  int width = 0;
  int height = 0;
  std::vector<unsigned char> rgb;  ///< width × height × 3 bytes
};

/// Smooth, deterministic image: a diagonal colour gradient.
Pixels gradient_pixels(int width, int height);

/// Deterministic image of saturated diagonal stripes over a checkerboard.
Pixels stripes_pixels(int width, int height);

/// Writes `image` as binary PPM (P6).
void write_ppm(const std::string& path, const Pixels& image);

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

/// Whether one line of `output` holds both `first` and `second`: an error that names its file
/// and its reason together.
bool has_line_with(const std::string& output, const std::string& first, const std::string& second);

}  // namespace nst::test
