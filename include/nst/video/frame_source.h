#pragma once

#include <cstdint>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nst/engine/stop.h"

namespace cv {
class VideoCapture;
}

namespace nst {

/// The frames of a clip, read one at a time: from a video file (OpenCV's FFmpeg backend), from
/// numbered images named by a printf pattern (`frames/%05d.png`), or from a folder of images
/// (in the order of their names). Frames are 8-bit BGR and all of the first frame's size.
///
/// A video is read until the decoder stops, whatever frame count the container claims. Every
/// problem is an `nst::Error(kImageRead)` that names the file: a path that is none of the
/// three, a video OpenCV cannot open or that has no frames, a numbered image missing between
/// two others, a frame of another size, an image that does not decode.
class FrameSource {
 public:
  /// Opens `path` and reads its first frame (so that a clip with none is refused at once).
  static FrameSource open(const std::string& path);

  FrameSource(FrameSource&&) noexcept;
  FrameSource& operator=(FrameSource&&) noexcept;
  ~FrameSource();

  /// The next frame, or nothing after the last.
  std::optional<cv::Mat> next();

  /// Frames per second the video declares; 0 for images (the caller chooses).
  double fps() const { return fps_; }
  /// The frames' size.
  cv::Size size() const { return size_; }
  /// Whether the frames come from a video file.
  bool is_video() const { return capture_ != nullptr; }
  /// The name of frame `index` (0-based) for messages: "clip.mp4 frame 13" or the image's path.
  std::string frame_name(int64_t index) const;
  /// How many frames the clip has: for images, the files; for a video, what a pass of the
  /// decoder over the whole file finds (asking `stop` between frames), which may be fewer than
  /// `claimed_frames` for a truncated file. Leaves this source where it is.
  int64_t count_frames(const StopRequested& stop = {}) const;
  /// The frame count a video's container claims (not to be trusted), or the files' count.
  int64_t claimed_frames() const { return claimed_; }
  /// Frames returned by `next` so far.
  int64_t frames_read() const { return read_; }

 private:
  FrameSource() = default;
  std::optional<cv::Mat> decode_next();
  cv::Mat checked(cv::Mat frame, int64_t index);

  std::string path_;
  std::unique_ptr<cv::VideoCapture> capture_;
  std::vector<std::string> images_;  // the frames' files, in order, when not a video
  std::optional<cv::Mat> first_;     // read by `open`, returned by the first `next`
  double fps_ = 0;
  cv::Size size_;
  int64_t read_ = 0;
  int64_t decoded_ = 0;
  int64_t claimed_ = 0;
};

/// Whether `path` names a printf pattern of numbered frames (one `%d`, `%05d`, ...).
bool is_frame_pattern(const std::string& path);

/// The file a frame pattern (`is_frame_pattern`) names for frame `number`: `out/%05d.png`, 12 →
/// `out/00012.png`.
std::string numbered_frame(const std::string& pattern, int64_t number);

/// The files a frame pattern names that exist, in order of their numbers, which must follow each
/// other without a gap. Throws `nst::Error(kImageRead)` naming the first missing file, or the
/// pattern when none exists.
std::vector<std::string> numbered_frames(const std::string& pattern);

}  // namespace nst
