// Painting a clip frame by frame: the range, chains that restart at a cut, frames written as
// they are done, and a stopped run that the next one goes on from.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "nst/io/image_io.h"
#include "nst/video/clip_painter.h"
#include "test_images.h"
#include "test_tensors.h"

namespace nst {
namespace {

// A pan across a textured scene, 64 × 48, with a cut to another scene at frame `cut` (from 1).
void write_clip(const test::TempDir& dir, int frames, int cut) {
  const cv::Mat scene = test::texture_image(120, 48, 2, 2.5);
  const cv::Mat other = test::texture_image(120, 48, 9, 2.5);
  for (int t = 0; t < frames; ++t) {
    const cv::Mat& source = t + 1 >= cut ? other : scene;
    test::write_image(dir.file("in_" + std::to_string(t + 1) + ".png"),
                      source(cv::Rect(8 + 4 * t, 0, 64, 48)).clone());
  }
}

// The clip's settings in these tests: three steps for each later frame.
ClipOptions small_clip() {
  ClipOptions clip;
  clip.later_iterations = 3;
  return clip;
}

struct Painter {
  Painter()
      : clip(small_clip()),
        model(test::load_model_file(NST_TEST_MODEL)),
        options(StyleTransferOptions::preset("default").size(64).iterations(6).precision(
            Precision::kFloat32)),
        first(model, options),
        later(model, later_engine_options(options, clip)),
        targets(first.style_targets(bgr_to_tensor(test::texture_image(64, 64, 7, 2.5)))),
        later_style(later_targets(targets)) {}

  ClipSummary paint(const std::string& input, const std::string& output_folder,
                    const ClipOptions& range, ClipListener& listener,
                    const StopRequested& stop = {}) {
    FrameSource source = FrameSource::open(input);
    return paint_clip(
        source, {first, targets, later, later_style}, range,
        [output_folder](int64_t n) { return output_folder + "/" + std::to_string(n) + ".png"; },
        listener, stop);
  }

  ClipOptions clip;
  FeatureExtractor model;
  StyleTransferOptions options;
  StyleTransfer first;
  StyleTransfer later;
  StyleTargets targets;
  StyleTargets later_style;
};

class FramesSeen : public ClipListener {
 public:
  void frame_finished(const FrameRecord& record) override { finished.push_back(record.number); }
  std::vector<int64_t> finished;
};

TEST(PaintClip, PaintsTheRangeAndRestartsTheChainAtACut) {
  test::TempDir dir;
  write_clip(dir, 6, 4);
  Painter painter;
  ClipOptions range = painter.clip;
  range.first = 2;
  range.last = 6;
  FramesSeen seen;
  const ClipSummary summary =
      painter.paint(dir.file("in_%d.png"), dir.path().string(), range, seen);
  EXPECT_EQ(seen.finished, (std::vector<int64_t>{2, 3, 4, 5, 6}));
  ASSERT_EQ(summary.frames.size(), 5u);
  EXPECT_EQ(summary.painted_size, cv::Size(64, 48));
  EXPECT_EQ(summary.cuts, 1);
  for (const auto& frame : summary.frames) {
    const bool starts = frame.number == 2 || frame.number == 4;
    EXPECT_EQ(frame.chain_start, starts)
        << "frame " << frame.number << " reliable " << frame.reliable;
    // A chain's first frame is painted as a still; the others take the later frames' steps.
    EXPECT_EQ(frame.iterations, starts ? 6 : 3) << frame.number;
    EXPECT_FALSE(frame.resumed);
    const cv::Mat written = tensor_to_bgr8(load_image(frame.path, 0).rgb);
    EXPECT_EQ(written.size(), cv::Size(64, 48)) << frame.path;
  }
  EXPECT_GT(summary.frames[1].reliable, 0.6);  // the pan: the flow holds nearly everywhere
  EXPECT_LT(summary.frames[2].reliable, 0.4);  // the cut
  EXPECT_GT(summary.output_warping_error, 0.0);
  EXPECT_GT(summary.input_warping_error, 0.0);
  EXPECT_GT(summary.carried_warping_error, 0.0);
  // Five frames, four pairs, of which the one across the cut is not measured.
  EXPECT_EQ(summary.measured_pairs, 3);
  EXPECT_FALSE(summary.stopped);
}

TEST(PaintClip, AStoppedRunKeepsItsFramesAndTheNextGoesOnFromTheFirstUnfinished) {
  test::TempDir dir;
  write_clip(dir, 4, 100);
  const std::string out = dir.file("out");
  std::filesystem::create_directory(out);
  Painter painter;
  FramesSeen seen;
  // Stop once two frames are done: the third's first step ends the run, and it is not written.
  const ClipSummary stopped = painter.paint(dir.file("in_%d.png"), out, painter.clip, seen,
                                            [&seen] { return seen.finished.size() >= 2; });
  EXPECT_TRUE(stopped.stopped);
  EXPECT_EQ(seen.finished, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(test::list_folder(out), (std::vector<std::string>{"1.png", "2.png"}));
  const std::string second = test::read_bytes(out + "/2.png");

  FramesSeen again;
  const ClipSummary resumed = painter.paint(dir.file("in_%d.png"), out, painter.clip, again);
  EXPECT_FALSE(resumed.stopped);
  ASSERT_EQ(resumed.frames.size(), 4u);
  EXPECT_TRUE(resumed.frames[0].resumed);
  EXPECT_TRUE(resumed.frames[1].resumed);
  EXPECT_FALSE(resumed.frames[2].resumed);
  EXPECT_FALSE(resumed.frames[2].chain_start);  // warped from frame 2 as read back
  EXPECT_EQ(resumed.frames[2].iterations, 3);
  EXPECT_EQ(test::read_bytes(out + "/2.png"), second);
  EXPECT_EQ(test::list_folder(out), (std::vector<std::string>{"1.png", "2.png", "3.png", "4.png"}));
  EXPECT_EQ(resumed.measured_pairs, 3);  // the flicker counts the resumed frames too
}

TEST(PaintClip, WithoutTheTemporalLossEveryFrameIsAStill) {
  test::TempDir dir;
  write_clip(dir, 3, 100);
  Painter painter;
  ClipOptions alone = painter.clip;
  alone.temporal_weight = 0;
  FramesSeen seen;
  const ClipSummary summary =
      painter.paint(dir.file("in_%d.png"), dir.path().string(), alone, seen);
  ASSERT_EQ(summary.frames.size(), 3u);
  for (const auto& frame : summary.frames) {
    EXPECT_TRUE(frame.chain_start);
    EXPECT_EQ(frame.iterations, 6);
  }
  EXPECT_EQ(summary.cuts, 0);
}

}  // namespace
}  // namespace nst
