// `nst` on clips, end to end: a video or numbered frames in, a video or numbered frames out, the
// report's clip, the range, a stopped run that the same command finishes, and every bad input
// refused with one line that names the file, a non-zero exit and nothing written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "nst/video/clip_writer.h"
#include "nst/video/frame_source.h"
#include "test_images.h"

namespace nst {
namespace {
namespace fs = std::filesystem;
using test::shell_quote;

class ClipCli : public testing::Test {
 protected:
  void SetUp() override {
    fs::create_directory(in_);
    fs::create_directory(out_);
    fs::create_directory(frames_);
    const cv::Mat scene = test::texture_image(120, 48, 2, 2.5);
    std::vector<std::string> files;
    for (int t = 0; t < 5; ++t) {
      files.push_back((frames_ / ("f" + std::to_string(1001 + t).substr(1) + ".png")).string());
      test::write_image(files.back(), scene(cv::Rect(8 + 4 * t, 0, 64, 48)).clone());
    }
    write_video(clip_, files, 10.0);
    test::write_image(style_, test::stripes_image(48, 48));
  }

  std::string in(const std::string& name) const { return (in_ / name).string(); }
  std::string out(const std::string& name) const { return (out_ / name).string(); }

  // Paints `content` into `output` at 48 px, 3 steps and 2 for later frames, with the test
  // model unless `extra` names another.
  test::CommandResult paint(const std::string& content, const std::string& output,
                            const std::string& extra = "", const std::string& style = "") const {
    const std::string model = extra.find("--model") == std::string::npos
                                  ? " --model " + shell_quote(NST_TEST_MODEL)
                                  : std::string();
    return test::run_command(
        shell_quote(NST_BINARY) + " -c " + shell_quote(content) + " -s " +
        shell_quote(style.empty() ? style_ : style) + " -o " + shell_quote(output) +
        " --size 48 --iterations 3 --frame-iterations 2 --progress plain" + model + " " + extra);
  }

  // Exit 1, a line naming `path` and `reason`, nothing in the output folder.
  void expect_refused(const test::CommandResult& result, const std::string& path,
                      const std::string& reason) const {
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_TRUE(test::has_line_with(result.output, path, reason))
        << "no line names '" << path << "' and '" << reason << "':\n"
        << result.output;
    EXPECT_EQ(result.output.find("Segmentation"), std::string::npos) << result.output;
    EXPECT_EQ(test::list_folder(out_), std::vector<std::string>{}) << reason;
  }

  // Refused because numbered frames of another run are where the output pattern points.
  void expect_refused_frames_exist(const test::CommandResult& result) const {
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("of the frames exist already"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("pass --overwrite"), std::string::npos) << result.output;
  }

  size_t frames_in(const std::string& video) const {
    FrameSource source = FrameSource::open(video);
    size_t frames = 0;
    while (source.next()) ++frames;
    return frames;
  }

  test::TempDir dir_;
  fs::path in_ = dir_.path() / "in";
  fs::path out_ = dir_.path() / "out";
  fs::path frames_ = dir_.path() / "frames";
  std::string clip_ = (in_ / "clip.avi").string();
  std::string style_ = (in_ / "style.png").string();
};

TEST_F(ClipCli, PaintsAVideoIntoAVideoAndReportsTheClip) {
  const auto result = paint(clip_, out("painted.mp4"), "--report " + out("run.json"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  // The frames' folder is gone once the video is written.
  EXPECT_EQ(test::list_folder(out_), (std::vector<std::string>{"painted.mp4", "run.json"}));
  EXPECT_EQ(frames_in(out("painted.mp4")), 5u);
  EXPECT_EQ(FrameSource::open(out("painted.mp4")).size(), cv::Size(48, 36));
  EXPECT_NE(result.output.find("flicker (E_warp)"), std::string::npos) << result.output;

  std::ifstream file(out("run.json"));
  const auto report = nlohmann::json::parse(file);
  EXPECT_EQ(report["counts"]["done"], 5);
  const auto& clip = report["clip"];
  EXPECT_EQ(clip["input"], clip_);
  EXPECT_EQ(clip["fps"], 10.0);
  EXPECT_EQ(clip["painted_size"]["width"], 48);
  EXPECT_EQ(clip["flow"], "dis");
  ASSERT_EQ(clip["frames"].size(), 5u);
  EXPECT_TRUE(clip["frames"][0]["chain_start"]);
  EXPECT_FALSE(clip["frames"][1]["chain_start"]);
  EXPECT_EQ(clip["frames"][0]["iterations"], 3);
  EXPECT_EQ(clip["frames"][1]["iterations"], 2);
  EXPECT_EQ(clip["warping_error"]["pairs"], 4);
  EXPECT_GT(clip["warping_error"]["input"].get<double>(), 0.0);
  EXPECT_GT(clip["warping_error"]["carried"].get<double>(), 0.0);
  EXPECT_GT(clip["later_frame_seconds"].get<double>(), 0.0);
}

TEST_F(ClipCli, PaintsARangeOfNumberedFramesIntoNumberedFrames) {
  const auto result =
      paint((frames_ / "f%03d.png").string(), out("p_%04d.png"), "--frames 2:3 --flow farneback");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(test::list_folder(out_), (std::vector<std::string>{"p_0002.png", "p_0003.png"}));
  // Again: the frames exist, and no run of this clip is under way there.
  expect_refused_frames_exist(
      paint((frames_ / "f%03d.png").string(), out("p_%04d.png"), "--frames 2:3 --flow farneback"));
}

TEST_F(ClipCli, AStoppedRunKeepsItsFramesAndTheSameCommandFinishes) {
  const std::string output = out("painted.mkv");
  const std::string frames = output + ".nst-frames";
  // SIGTERM once two frames are written.
  const std::string command = shell_quote(NST_BINARY) + " -c " + shell_quote(clip_) + " -s " +
                              shell_quote(style_) + " -o " + shell_quote(output) +
                              " --size 48 --iterations 3 --frame-iterations 40 --model " +
                              shell_quote(NST_TEST_MODEL);
  const auto stopped = test::run_command(
      command + " & pid=$!; while [ \"$(ls " + shell_quote(frames) +
      " 2>/dev/null | grep -c png)\" -lt 2 ]; do sleep 0.05; done; kill -TERM $pid; wait $pid; "
      "echo \"exit=$?\"");
  EXPECT_NE(stopped.output.find("exit=143"), std::string::npos) << stopped.output;
  EXPECT_NE(stopped.output.find("the same command goes on from frame"), std::string::npos)
      << stopped.output;
  EXPECT_FALSE(fs::exists(output));
  EXPECT_TRUE(fs::exists(frames + "/000001.png"));
  const std::string first = test::read_bytes(frames + "/000001.png");

  const auto finished = test::run_command(command + " 2>&1");
  ASSERT_EQ(finished.exit_code, 0) << finished.output;
  EXPECT_NE(finished.output.find("going on from the frames an earlier run painted"),
            std::string::npos)
      << finished.output;
  EXPECT_EQ(frames_in(output), 5u);
  EXPECT_FALSE(fs::exists(frames));
  EXPECT_EQ(test::list_folder(out_), std::vector<std::string>{"painted.mkv"});
  (void)first;
}

TEST_F(ClipCli, RefusesBadClipsStylesAndOutputs) {
  test::write_bytes(in("empty.mp4"), "");
  expect_refused(paint(in("empty.mp4"), out("a.mp4")), in("empty.mp4"),
                 "it is not a video that OpenCV's FFmpeg reader can open");
  test::write_bytes(in("text.avi"), "not a video at all\n");
  expect_refused(paint(in("text.avi"), out("a.mp4")), in("text.avi"),
                 "it is not a video that OpenCV's FFmpeg reader can open");
  expect_refused(paint(clip_, out("a.mp4"), "", clip_), clip_,
                 "it is a video; a style is one image");
  expect_refused(paint(clip_, out("a.webm")), out("a.webm"),
                 "its extension is not one of the video formats written (mp4, mkv, avi)");
  expect_refused(paint(clip_, out("a.png")), out("a.png"), "the output of a clip must be a video");
  expect_refused(paint(clip_, out("a.mp4"), "--frames 9:12"), clip_,
                 "--frames starts at frame 9 but");
  expect_refused(paint(clip_, out("a.mp4"), "--frames 3:2"), "--frames '3:2'", "is not A:B");
  expect_refused(paint(clip_, out("a.mp4"), "--fps 12"), clip_,
                 "--fps is for clips read from images");
  expect_refused(paint(style_, out("a.png"), "--frames 1:2"), "--frames", "is for clips");
  // A model that is not one: nothing is left where the frames would have gone.
  test::write_bytes(in("bad.pt"), "not a model");
  expect_refused(paint(clip_, out("a.mp4"), "--model " + shell_quote(in("bad.pt"))), in("bad.pt"),
                 "");
  expect_refused(paint(clip_, out("p_%02d.png"), "--model " + shell_quote(in("bad.pt"))),
                 in("bad.pt"), "");
  // A gap in the numbering, frames of two sizes.
  fs::remove(frames_ / "f003.png");
  expect_refused(paint((frames_ / "f%03d.png").string(), out("a.mp4")),
                 (frames_ / "f003.png").string(), "is missing");
  test::write_image((frames_ / "f003.png").string(), test::gradient_image(40, 30));
  const auto mixed = paint((frames_ / "f%03d.png").string(), out("p_%02d.png"));
  EXPECT_EQ(mixed.exit_code, 1) << mixed.output;
  EXPECT_NE(mixed.output.find("'" + (frames_ / "f003.png").string() +
                              "' is 40x30 but the clip's first frame is 64x48"),
            std::string::npos)
      << mixed.output;
  EXPECT_FALSE(fs::exists(out("p_03.png")));
  // An output folder that cannot be made.
  test::write_bytes(out("file"), "x");
  const auto unwritable = paint(clip_, out("file") + "/a.mp4");
  EXPECT_EQ(unwritable.exit_code, 1) << unwritable.output;
  EXPECT_NE(unwritable.output.find(out("file") + "/a.mp4"), std::string::npos) << unwritable.output;
}

TEST_F(ClipCli, ATruncatedVideoIsPaintedAsFarAsItDecodes) {
  const std::string bytes = test::read_bytes(clip_);
  test::write_bytes(in("cut.avi"), bytes.substr(0, bytes.size() * 2 / 3));
  const auto result = paint(in("cut.avi"), out("a.avi"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("claims 5 frames but"), std::string::npos) << result.output;
  const size_t painted = frames_in(out("a.avi"));
  EXPECT_GE(painted, 1u);
  EXPECT_LT(painted, 5u);
}

}  // namespace
}  // namespace nst
