#include "nst/video/frame_source.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <regex>

#include "nst/engine/error.h"
#include "nst/io/image_io.h"

namespace nst {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& name, const std::string& why) {
  throw Error(ErrorCode::kImageRead, "cannot read frames from '" + name + "': " + why);
}

// The pattern's file name around its one conversion (`%d`, `%05d`), and its folder.
struct Pattern {
  fs::path folder;  // empty for the working folder
  std::string prefix;
  std::string suffix;
};

std::optional<Pattern> parse_pattern(const std::string& path) {
  static const std::regex conversion(R"(%0?\d*d)");
  const fs::path as_path(path);
  const std::string name = as_path.filename().string();
  std::smatch match;
  if (!std::regex_search(name, match, conversion)) return std::nullopt;
  Pattern pattern{as_path.parent_path(), match.prefix().str(), match.suffix().str()};
  // One conversion and no other directive: the name is then safe to give to snprintf.
  if ((pattern.prefix + pattern.suffix).find('%') != std::string::npos) return std::nullopt;
  return pattern;
}

bool has_image_extension(const fs::path& path) {
  static const std::vector<std::string> extensions = {".png",  ".jpg",  ".jpeg", ".bmp", ".tif",
                                                      ".tiff", ".webp", ".ppm",  ".pgm", ".exr"};
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(extensions.begin(), extensions.end(), extension) != extensions.end();
}

}  // namespace

std::string numbered_frame(const std::string& pattern, int64_t number) {
  std::vector<char> text(pattern.size() + 32);
  std::snprintf(text.data(), text.size(), pattern.c_str(), static_cast<long long>(number));
  return text.data();
}

bool is_frame_pattern(const std::string& path) {
  return parse_pattern(path).has_value();
}

std::vector<std::string> numbered_frames(const std::string& pattern_path) {
  const auto pattern = parse_pattern(pattern_path);
  if (!pattern)
    fail(pattern_path, "it is not a pattern of numbered frames such as frames/%05d.png");
  // The numbers present: a file matches when the pattern, given its number, names it exactly
  // (so 007.png is not frame 7 of %d.png, nor 7.png of %03d.png).
  std::map<int64_t, std::string> found;
  std::error_code error;
  const fs::path folder = pattern->folder.empty() ? fs::path(".") : pattern->folder;
  for (fs::directory_iterator entry(folder, error), end; !error && entry != end;
       entry.increment(error)) {
    const std::string name = entry->path().filename().string();
    if (name.size() <= pattern->prefix.size() + pattern->suffix.size() ||
        name.compare(0, pattern->prefix.size(), pattern->prefix) != 0 ||
        name.compare(name.size() - pattern->suffix.size(), pattern->suffix.size(),
                     pattern->suffix) != 0) {
      continue;
    }
    const std::string digits = name.substr(
        pattern->prefix.size(), name.size() - pattern->prefix.size() - pattern->suffix.size());
    if (digits.empty() || digits.size() > 18 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    const int64_t number = std::stoll(digits);
    if (fs::path(numbered_frame(pattern_path, number)).filename() != name) continue;
    found.emplace(number, (pattern->folder / name).string());
  }
  if (error) fail(pattern_path, "cannot list its folder: " + error.message());
  if (found.empty()) fail(pattern_path, "no file matches the pattern");
  std::vector<std::string> files;
  int64_t expected = found.begin()->first;
  for (const auto& [number, file] : found) {
    if (number != expected) {
      fail(pattern_path, "frame '" + numbered_frame(pattern_path, expected) +
                             "' is missing, between '" + files.back() + "' and '" + file + "'");
    }
    files.push_back(file);
    ++expected;
  }
  return files;
}

FrameSource::FrameSource(FrameSource&&) noexcept = default;
FrameSource& FrameSource::operator=(FrameSource&&) noexcept = default;
FrameSource::~FrameSource() = default;

FrameSource FrameSource::open(const std::string& path) {
  FrameSource source;
  source.path_ = path;
  std::error_code error;
  if (is_frame_pattern(path)) {
    source.images_ = numbered_frames(path);
  } else if (fs::is_directory(path, error)) {
    for (fs::directory_iterator entry(path, error), end; !error && entry != end;
         entry.increment(error)) {
      if (entry->is_regular_file() && has_image_extension(entry->path())) {
        source.images_.push_back(entry->path().string());
      }
    }
    if (error) fail(path, "cannot list the folder: " + error.message());
    if (source.images_.empty()) fail(path, "the folder holds no images");
    std::sort(source.images_.begin(), source.images_.end());
  } else if (!fs::exists(path, error)) {
    fail(path, "no such file or folder");
  } else {
    source.capture_ = std::make_unique<cv::VideoCapture>();
    bool opened = false;
    try {
      opened = source.capture_->open(path, cv::CAP_FFMPEG);
    } catch (const cv::Exception& failure) {
      fail(path, "OpenCV's video reader failed: " + first_line(failure.what()));
    }
    if (!opened) fail(path, "it is not a video that OpenCV's FFmpeg reader can open");
    source.fps_ = source.capture_->get(cv::CAP_PROP_FPS);
    source.claimed_ = static_cast<int64_t>(source.capture_->get(cv::CAP_PROP_FRAME_COUNT));
  }
  if (!source.capture_) source.claimed_ = static_cast<int64_t>(source.images_.size());
  source.first_ = source.decode_next();
  if (!source.first_) fail(path, "it has no frames");
  source.size_ = source.first_->size();
  return source;
}

std::optional<cv::Mat> FrameSource::decode_next() {
  const int64_t index = decoded_;
  cv::Mat frame;
  if (capture_) {
    try {
      if (!capture_->read(frame) || frame.empty()) return std::nullopt;
    } catch (const cv::Exception&) {
      return std::nullopt;  // a decoder that fails mid-clip ends it; the frames read stand
    }
  } else {
    if (static_cast<size_t>(index) >= images_.size()) return std::nullopt;
    frame = tensor_to_bgr8(load_image(images_[static_cast<size_t>(index)], 0).rgb);
  }
  ++decoded_;
  return checked(std::move(frame), index);
}

cv::Mat FrameSource::checked(cv::Mat frame, int64_t index) {
  if (frame.depth() != CV_8U) {
    cv::Mat converted;
    frame.convertTo(converted, CV_8U, frame.depth() == CV_16U ? 1.0 / 257.0 : 1.0);
    frame = converted;
  }
  if (frame.channels() == 1) cv::cvtColor(frame, frame, cv::COLOR_GRAY2BGR);
  if (frame.channels() == 4) cv::cvtColor(frame, frame, cv::COLOR_BGRA2BGR);
  if (!size_.empty() && frame.size() != size_) {
    throw Error(ErrorCode::kImageRead,
                "cannot read frames from '" + path_ + "': " + (capture_ ? "" : "'") +
                    frame_name(index) + (capture_ ? "" : "'") + " is " +
                    std::to_string(frame.cols) + "x" + std::to_string(frame.rows) +
                    " but the clip's first frame is " + std::to_string(size_.width) + "x" +
                    std::to_string(size_.height));
  }
  return frame;
}

std::optional<cv::Mat> FrameSource::next() {
  std::optional<cv::Mat> frame;
  if (first_) {
    frame = std::move(first_);
    first_.reset();
  } else {
    frame = decode_next();
  }
  if (frame) ++read_;
  return frame;
}

int64_t FrameSource::count_frames(const StopRequested& stop) const {
  if (!capture_) return static_cast<int64_t>(images_.size());
  cv::VideoCapture counter;
  int64_t frames = 0;
  try {
    if (!counter.open(path_, cv::CAP_FFMPEG)) fail(path_, "it cannot be opened again");
    while (counter.grab()) {
      ++frames;
      if (frames % 16 == 0) stop_if_requested(stop, "counting the frames of '" + path_ + "'");
    }
  } catch (const cv::Exception&) {
    // A decoder that fails ends the clip there, as `next` ends it.
  }
  return frames;
}

std::string FrameSource::frame_name(int64_t index) const {
  if (capture_ || index < 0 || static_cast<size_t>(index) >= images_.size()) {
    return path_ + " frame " + std::to_string(index + 1);
  }
  return images_[static_cast<size_t>(index)];
}

}  // namespace nst
