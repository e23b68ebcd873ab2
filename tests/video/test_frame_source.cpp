// Reading a clip's frames: a video file read until its decoder stops, numbered images by a
// printf pattern, a folder of images; and each way a clip can be wrong, refused by name.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "nst/engine/error.h"
#include "nst/video/frame_source.h"
#include "test_images.h"

namespace nst {
namespace {

// Frame t of a small clip: a texture with a bright square moving 3 px a frame.
cv::Mat clip_frame(int t, int width = 64, int height = 48) {
  cv::Mat frame = test::texture_image(width, height, 1, 2.0);
  cv::rectangle(frame, cv::Rect(4 + 3 * t, 10, 12, 12), cv::Scalar(255, 255, 255), cv::FILLED);
  return frame;
}

// Writes `frames` frames as Motion JPEG in an AVI at `fps` (every FFmpeg build has both).
void write_clip(const std::string& path, int frames, double fps) {
  cv::VideoWriter writer(path, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps,
                         cv::Size(64, 48));
  ASSERT_TRUE(writer.isOpened()) << path;
  for (int t = 0; t < frames; ++t) writer.write(clip_frame(t));
}

double mean_difference(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat difference;
  cv::absdiff(a, b, difference);
  return cv::mean(difference.reshape(1))[0];
}

// `open` (and reading on) throws nst::Error(kImageRead) whose message holds each of `parts`.
void expect_refused(const std::string& path, const std::vector<std::string>& parts) {
  try {
    auto source = FrameSource::open(path);
    while (source.next()) {
    }
    FAIL() << "expected '" << path << "' to be refused";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kImageRead);
    for (const auto& part : parts)
      EXPECT_NE(std::string(error.what()).find(part), std::string::npos) << error.what();
  }
}

TEST(FrameSource, ReadsAVideoToItsEndWithItsFrameRateAndSize) {
  test::TempDir dir;
  const std::string path = dir.file("clip.avi");
  write_clip(path, 10, 12.0);
  auto source = FrameSource::open(path);
  EXPECT_TRUE(source.is_video());
  EXPECT_DOUBLE_EQ(source.fps(), 12.0);
  EXPECT_EQ(source.size(), cv::Size(64, 48));
  int t = 0;
  while (auto frame = source.next()) {
    ASSERT_EQ(frame->type(), CV_8UC3);
    // Motion JPEG loses a little everywhere; the moving square says which frame it is.
    EXPECT_LT(mean_difference(*frame, clip_frame(t)), 10.0) << "frame " << t;
    EXPECT_LT(mean_difference(*frame, clip_frame(t)), mean_difference(*frame, clip_frame(t + 3)))
        << "frame " << t;
    ++t;
  }
  EXPECT_EQ(t, 10);
  EXPECT_EQ(source.frames_read(), 10);
  EXPECT_FALSE(source.next().has_value());
}

TEST(FrameSource, KeepsTheFramesOfATruncatedVideoThatDecoded) {
  test::TempDir dir;
  const std::string path = dir.file("cut.avi");
  write_clip(path, 20, 10.0);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) * 6 / 10);
  auto source = FrameSource::open(path);
  int frames = 0;
  while (source.next()) ++frames;
  EXPECT_GT(frames, 0);
  EXPECT_LT(frames, 20);
}

TEST(FrameSource, ReadsNumberedImagesInOrderOfTheirNumbers) {
  test::TempDir dir;
  std::filesystem::create_directory(dir.path() / "frames");
  // 8, 9, 10: numeric order, not the names' order (10 sorts before 8 as text).
  for (int t = 8; t <= 10; ++t) {
    test::write_image(dir.file("frames/f" + std::to_string(t) + ".png"), clip_frame(t));
  }
  test::write_image(dir.file("frames/notes.png"), clip_frame(0));  // not a frame of f%d.png
  auto source = FrameSource::open(dir.file("frames/f%d.png"));
  EXPECT_FALSE(source.is_video());
  EXPECT_EQ(source.fps(), 0.0);
  for (int t = 8; t <= 10; ++t) {
    const auto frame = source.next();
    ASSERT_TRUE(frame.has_value());
    EXPECT_EQ(mean_difference(*frame, clip_frame(t)), 0.0) << "frame " << t;
  }
  EXPECT_FALSE(source.next().has_value());
}

TEST(FrameSource, ReadsAFolderOfImagesInOrderOfTheirNames) {
  test::TempDir dir;
  for (int t = 0; t < 3; ++t) {
    test::write_image(dir.file("frame_" + std::to_string(t) + ".png"), clip_frame(t));
  }
  std::ofstream(dir.file("readme.txt")) << "not a frame";
  auto source = FrameSource::open(dir.path().string());
  for (int t = 0; t < 3; ++t) {
    const auto frame = source.next();
    ASSERT_TRUE(frame.has_value());
    EXPECT_EQ(mean_difference(*frame, clip_frame(t)), 0.0) << "frame " << t;
  }
  EXPECT_FALSE(source.next().has_value());
}

TEST(FrameSource, RefusesAGapInTheNumbersNamingTheMissingFrame) {
  test::TempDir dir;
  for (int t : {1, 2, 4}) {
    char name[32];
    std::snprintf(name, sizeof name, "%05d.png", t);
    test::write_image(dir.file(name), clip_frame(t));
  }
  expect_refused(dir.file("%05d.png"), {"00003.png' is missing", "00002.png", "00004.png"});
}

TEST(FrameSource, RefusesFramesOfAnotherSizeNamingTheFrame) {
  test::TempDir dir;
  test::write_image(dir.file("a.png"), clip_frame(0));
  test::write_image(dir.file("b.png"), clip_frame(1, 60, 48));
  expect_refused(dir.path().string(), {"b.png' is 60x48", "first frame is 64x48"});
}

TEST(FrameSource, RefusesWhatIsNoClip) {
  test::TempDir dir;
  expect_refused(dir.file("missing.mp4"), {"missing.mp4", "no such file or folder"});
  std::ofstream(dir.file("text.mp4")) << "this is not a video at all";
  expect_refused(dir.file("text.mp4"), {"text.mp4", "not a video"});
  std::filesystem::create_directory(dir.path() / "empty");
  expect_refused((dir.path() / "empty").string(), {"empty", "no images"});
  expect_refused(dir.file("none_%04d.png"), {"none_%04d.png", "no file matches"});
  std::ofstream(dir.file("0001.png")) << "not a PNG";
  expect_refused(dir.file("%04d.png"), {"0001.png"});
}

TEST(FramePattern, IsOnePrintfConversionOfANumber) {
  EXPECT_TRUE(is_frame_pattern("frames/%05d.png"));
  EXPECT_TRUE(is_frame_pattern("f%d.jpg"));
  EXPECT_FALSE(is_frame_pattern("clip.mp4"));
  EXPECT_FALSE(is_frame_pattern("%s.png"));
  EXPECT_FALSE(is_frame_pattern("%d_%d.png"));
  EXPECT_FALSE(is_frame_pattern("50%.png"));
}

}  // namespace
}  // namespace nst
