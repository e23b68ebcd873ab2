#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "nst/engine/stop.h"

namespace nst {

/// A video format `write_video` writes, chosen by the output's extension.
struct VideoFormat {
  const char* extension;  ///< lower case, without the dot
  const char* fourcc;     ///< the codec's four characters for OpenCV's FFmpeg writer
  const char* codec;      ///< the codec's name, for messages and reports
  bool lossless;
};

/// The formats written: mp4 (H.264, what players and sites take), mkv (FFV1, lossless, for
/// people who post-process) and avi (Motion JPEG, what old editors take).
const std::vector<VideoFormat>& video_formats();

/// The format of `path`'s extension, or nullptr when it is none of `video_formats`.
const VideoFormat* video_format_for(const std::string& path);

/// Whether `path`'s extension is that of a video container (what `nst` reads as a clip rather
/// than as an image): mp4, mkv, avi, mov, webm, m4v, mpg, mpeg, ogv, wmv, flv.
bool has_video_extension(const std::string& path);

/// The size a clip of `size` is stored at: each side rounded up to even, which 4:2:0 chroma
/// needs (OpenCV's FFmpeg writer would otherwise crop the last row or column without a word).
cv::Size storable_size(cv::Size size);

/// Checks, before any work, that `path` names a format of `video_formats`, lies in a writable
/// folder, and that OpenCV's FFmpeg writer can encode that format here (a two-frame clip is
/// written to a temporary file and removed). Throws `nst::Error(kImageWrite)` naming the file
/// and the problem.
void check_video_output(const std::string& path);

/// Writes the images `frames` (files, in order, of one size) as the video `path` at `fps`
/// frames a second, atomically: encoded into a temporary file, moved into place when complete.
/// Frames of odd sides are padded to `storable_size` by repeating their last row or column.
/// `stop` is asked between frames. Throws `nst::Error(kImageWrite)`, or `nst::Stopped`.
void write_video(const std::string& path, const std::vector<std::string>& frames, double fps,
                 const StopRequested& stop = {});

}  // namespace nst
