#include "nst/video/clip_writer.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "nst/engine/error.h"
#include "nst/io/atomic_file.h"
#include "nst/io/image_io.h"

namespace nst {
namespace {

std::string lower_extension(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  if (!extension.empty()) extension.erase(0, 1);
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

[[noreturn]] void fail_video(const std::string& path, const std::string& why) {
  throw Error(ErrorCode::kImageWrite, "cannot write video '" + path + "': " + why);
}

const VideoFormat& format_or_fail(const std::string& path) {
  const VideoFormat* format = video_format_for(path);
  if (!format) {
    std::string known;
    for (const auto& f : video_formats())
      known += (known.empty() ? "" : ", ") + std::string(f.extension);
    fail_video(path, "its extension is not one of the video formats written (" + known + ")");
  }
  return *format;
}

// An encoder for `format` writing `file`, or nullptr when OpenCV's FFmpeg backend cannot make one.
std::unique_ptr<cv::VideoWriter> open_writer(const std::string& file, const VideoFormat& format,
                                             double fps, cv::Size size) {
  auto writer = std::make_unique<cv::VideoWriter>();
  const int fourcc = cv::VideoWriter::fourcc(format.fourcc[0], format.fourcc[1], format.fourcc[2],
                                             format.fourcc[3]);
  try {
    if (writer->open(file, cv::CAP_FFMPEG, fourcc, fps, size, true)) return writer;
  } catch (const cv::Exception&) {
    // Reported as the encoder missing, below.
  }
  return nullptr;
}

std::string encoder_missing(const VideoFormat& format) {
  return std::string("OpenCV's FFmpeg writer cannot encode ") + format.codec + " (." +
         format.extension + ") on this machine";
}

cv::Mat padded(const cv::Mat& frame, cv::Size size) {
  if (frame.size() == size) return frame;
  cv::Mat out;
  cv::copyMakeBorder(frame, out, 0, size.height - frame.rows, 0, size.width - frame.cols,
                     cv::BORDER_REPLICATE);
  return out;
}

}  // namespace

const std::vector<VideoFormat>& video_formats() {
  static const std::vector<VideoFormat> formats = {
      {"mp4", "avc1", "H.264", false},
      {"mkv", "FFV1", "FFV1", true},
      {"avi", "MJPG", "Motion JPEG", false},
  };
  return formats;
}

const VideoFormat* video_format_for(const std::string& path) {
  const std::string extension = lower_extension(path);
  for (const auto& format : video_formats()) {
    if (extension == format.extension) return &format;
  }
  return nullptr;
}

bool has_video_extension(const std::string& path) {
  static const std::vector<std::string> extensions = {"mp4", "mkv",  "avi", "mov", "webm", "m4v",
                                                      "mpg", "mpeg", "ogv", "wmv", "flv"};
  const std::string extension = lower_extension(path);
  return std::find(extensions.begin(), extensions.end(), extension) != extensions.end();
}

cv::Size storable_size(cv::Size size) {
  return {size.width + size.width % 2, size.height + size.height % 2};
}

void check_video_output(const std::string& path) {
  const VideoFormat& format = format_or_fail(path);
  check_writable(path, ErrorCode::kImageWrite, "video");
  const StagedFile probe(path, ErrorCode::kImageWrite, "video");
  const cv::Size size(64, 48);
  const auto writer = open_writer(probe.path(), format, 25, size);
  if (!writer) fail_video(path, encoder_missing(format));
  const cv::Mat grey(size, CV_8UC3, cv::Scalar(128, 128, 128));
  writer->write(grey);
  writer->write(grey);
  writer->release();
}

void write_video(const std::string& path, const std::vector<std::string>& frames, double fps,
                 const StopRequested& stop) {
  const VideoFormat& format = format_or_fail(path);
  if (frames.empty()) fail_video(path, "there are no frames to write");
  if (!(fps > 0)) fail_video(path, "the frame rate must be positive");
  StagedFile staged(path, ErrorCode::kImageWrite, "video");
  std::unique_ptr<cv::VideoWriter> writer;
  cv::Size size, stored;
  for (const auto& file : frames) {
    stop_if_requested(stop, "writing video '" + path + "'");
    const cv::Mat frame = tensor_to_bgr8(load_image(file, 0).rgb);
    if (!writer) {
      size = frame.size();
      stored = storable_size(size);
      writer = open_writer(staged.path(), format, fps, stored);
      if (!writer) fail_video(path, encoder_missing(format));
    } else if (frame.size() != size) {
      fail_video(path, "frame '" + file + "' is " + std::to_string(frame.cols) + "x" +
                           std::to_string(frame.rows) + " but the first is " +
                           std::to_string(size.width) + "x" + std::to_string(size.height));
    }
    writer->write(padded(frame, stored));
  }
  writer->release();
  std::error_code error;
  if (std::filesystem::file_size(staged.path(), error) == 0 || error) {
    fail_video(path, "the encoder wrote nothing (is the disk full?)");
  }
  staged.commit();
}

}  // namespace nst
