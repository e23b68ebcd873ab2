// Writing a painted clip: the format by extension, odd sides padded rather than cropped, the
// video written atomically, and the sound copied by the ffmpeg program where there is one.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "nst/engine/error.h"
#include "nst/video/audio_track.h"
#include "nst/video/clip_writer.h"
#include "nst/video/frame_source.h"
#include "test_images.h"

namespace nst {
namespace {
namespace fs = std::filesystem;

// `count` frames of a square moving right over a gradient, written as PNGs; their paths.
std::vector<std::string> moving_square(const test::TempDir& dir, int width, int height, int count) {
  std::vector<std::string> files;
  for (int i = 0; i < count; ++i) {
    cv::Mat frame = test::gradient_image(width, height);
    cv::rectangle(frame, cv::Rect(2 + 3 * i, height / 4, width / 4, height / 3),
                  cv::Scalar(20, 200, 240), cv::FILLED);
    files.push_back(dir.file("frame" + std::to_string(i) + ".png"));
    test::write_image(files.back(), frame);
  }
  return files;
}

std::vector<cv::Mat> read_all(const std::string& path) {
  FrameSource source = FrameSource::open(path);
  std::vector<cv::Mat> frames;
  while (auto frame = source.next()) frames.push_back(*frame);
  return frames;
}

TEST(VideoFormats, AreChosenByTheExtension) {
  ASSERT_NE(video_format_for("out/clip.mp4"), nullptr);
  EXPECT_STREQ(video_format_for("out/clip.mp4")->codec, "H.264");
  ASSERT_NE(video_format_for("CLIP.MKV"), nullptr);
  EXPECT_TRUE(video_format_for("CLIP.MKV")->lossless);
  EXPECT_STREQ(video_format_for("a.avi")->codec, "Motion JPEG");
  EXPECT_EQ(video_format_for("a.webm"), nullptr);
  EXPECT_EQ(video_format_for("a.png"), nullptr);
  EXPECT_TRUE(has_video_extension("in/a.MOV"));
  EXPECT_FALSE(has_video_extension("in/a.jpg"));
  EXPECT_EQ(storable_size({33, 25}), cv::Size(34, 26));
  EXPECT_EQ(storable_size({64, 48}), cv::Size(64, 48));
}

TEST(WriteVideo, LosslessMkvKeepsEveryFrameAndPadsOddSides) {
  test::TempDir dir;
  const auto files = moving_square(dir, 33, 25, 5);
  const std::string video = dir.file("clip.mkv");
  write_video(video, files, 12.0);
  const auto frames = read_all(video);
  ASSERT_EQ(frames.size(), files.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    ASSERT_EQ(frames[i].size(), cv::Size(34, 26));
    const cv::Mat written = cv::imread(files[i]);
    // Every pixel painted is there: the padding repeats the last column and row.
    EXPECT_LE(cv::norm(frames[i](cv::Rect(0, 0, 33, 25)), written, cv::NORM_INF), 2.0) << i;
    EXPECT_LE(cv::norm(frames[i].col(33), frames[i].col(32), cv::NORM_INF), 2.0) << i;
    EXPECT_LE(cv::norm(frames[i].row(25), frames[i].row(24), cv::NORM_INF), 2.0) << i;
  }
  EXPECT_DOUBLE_EQ(FrameSource::open(video).fps(), 12.0);
}

TEST(WriteVideo, Mp4AndAviReadBackClose) {
  test::TempDir dir;
  const auto files = moving_square(dir, 64, 48, 4);
  for (const char* name : {"clip.mp4", "clip.avi"}) {
    const std::string video = dir.file(name);
    write_video(video, files, 25.0);
    const auto frames = read_all(video);
    ASSERT_EQ(frames.size(), files.size()) << name;
    for (size_t i = 0; i < frames.size(); ++i) {
      cv::Mat difference;
      cv::absdiff(frames[i], cv::imread(files[i]), difference);
      EXPECT_LT(cv::mean(difference)[0], 8.0) << name << " frame " << i;
    }
  }
}

TEST(WriteVideo, RefusesAnUnknownFormatAndFramesOfTwoSizesLeavingNothing) {
  test::TempDir dir;
  auto files = moving_square(dir, 64, 48, 3);
  try {
    write_video(dir.file("clip.webm"), files, 25.0);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what())
                  .find("'" + dir.file("clip.webm") +
                        "': its extension is not one of the video formats "
                        "written (mp4, mkv, avi)"),
              std::string::npos)
        << error.what();
  }
  test::write_image(dir.file("odd.png"), test::gradient_image(40, 30));
  files.push_back(dir.file("odd.png"));
  const std::string video = dir.file("clip.mp4");
  test::write_bytes(video, "an older video");
  try {
    write_video(video, files, 25.0);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("is 40x30 but the first is 64x48"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(test::read_bytes(video), "an older video");
  for (const auto& name : test::list_folder(dir.path())) {
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
  }
}

TEST(CheckVideoOutput, NamesTheFileAndTheProblem) {
  test::TempDir dir;
  EXPECT_NO_THROW(check_video_output(dir.file("ok.mp4")));
  EXPECT_NO_THROW(check_video_output(dir.file("ok.mkv")));
  test::write_bytes(dir.file("file"), "x");
  try {
    check_video_output(dir.file("file") + "/clip.mp4");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(
        std::string(error.what()).find("cannot write video '" + dir.file("file") + "/clip.mp4'"),
        std::string::npos)
        << error.what();
  }
  EXPECT_EQ(test::list_folder(dir.path()), std::vector<std::string>{"file"});
}

// A 2 s clip of 64 × 48 at 10 frames a second with a tone of `tone_seconds` from its start,
// made by the ffmpeg program.
bool write_clip_with_tone(const std::string& path, double tone_seconds) {
  const auto made = test::run_command(
      "ffmpeg -v error -nostdin -f lavfi -i testsrc=size=64x48:rate=10:duration=2 -f lavfi -i "
      "sine=frequency=440:duration=" +
      std::to_string(tone_seconds) + " -c:v ffv1 -c:a flac " + test::shell_quote(path));
  if (made.exit_code != 0) ADD_FAILURE() << made.output;
  return made.exit_code == 0;
}

// The sound: a clip with a tone, its first half painted, gets that half of the tone back.
TEST(CopyAudio, CopiesTheSoundOfThePaintedPartOrSaysWhyNot) {
  test::TempDir dir;
  const auto files = moving_square(dir, 64, 48, 10);
  const std::string video = dir.file("painted.mp4");
  write_video(video, files, 10.0);
  const std::string silent = test::read_bytes(video);

  // Without ffmpeg on the PATH: the video stays as it was, and the note says what to install.
  const std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", dir.path().c_str(), 1);
  const AudioOutcome missing = copy_audio(video, video, 0, 1);
  setenv("PATH", path.c_str(), 1);
  EXPECT_FALSE(missing.copied);
  EXPECT_TRUE(missing.lost);
  EXPECT_NE(missing.note.find("needs the ffmpeg program"), std::string::npos) << missing.note;
  EXPECT_EQ(test::read_bytes(video), silent);

  if (find_program("ffmpeg").empty() || find_program("ffprobe").empty()) {
    GTEST_SKIP() << "the ffmpeg program is not installed";
  }
  const AudioOutcome none = copy_audio(video, video, 0, 1);
  EXPECT_FALSE(none.copied);
  EXPECT_FALSE(none.lost) << none.note;
  EXPECT_NE(none.note.find("has no sound"), std::string::npos) << none.note;

  const std::string source = dir.file("source.mkv");
  ASSERT_TRUE(write_clip_with_tone(source, 2.0));
  const AudioOutcome copied = copy_audio(video, source, 0.5, 1.0);
  EXPECT_TRUE(copied.copied) << copied.note;
  const auto probe = test::run_command(
      "ffprobe -v error -show_entries stream=codec_type:format=duration -of csv=p=0 " +
      test::shell_quote(video));
  EXPECT_NE(probe.output.find("audio"), std::string::npos) << probe.output;
  EXPECT_EQ(read_all(video).size(), files.size());

  // A sound shorter than the painted range (it ends after 0.3 s of the 1 s painted) keeps
  // every painted frame.
  write_video(video, files, 10.0);
  const std::string short_sound = dir.file("short_sound.mkv");
  ASSERT_TRUE(write_clip_with_tone(short_sound, 0.3));
  EXPECT_TRUE(copy_audio(video, short_sound, 0, 1.0).copied);
  EXPECT_EQ(read_all(video).size(), files.size());
  for (const auto& name : test::list_folder(dir.path())) {
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace nst
