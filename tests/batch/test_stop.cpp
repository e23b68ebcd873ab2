// Work outside the optimisation loop ends when its caller asks it to stop: reading a stream
// that never comes, scanning folders, computing a style's targets, writing to a pipe nobody
// reads; and the runner records such a job as interrupted without blaming its inputs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "nst/batch/batch.h"
#include "nst/batch/runner.h"
#include "nst/engine/error.h"
#include "nst/engine/stop.h"
#include "nst/engine/transfer.h"
#include "nst/io/image_io.h"
#include "nst/io/model_file.h"
#include "nst/io/read_bytes.h"
#include "test_images.h"

namespace nst {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const FeatureExtractor& model() {
  static const FeatureExtractor extractor = load_model(NST_TEST_MODEL, torch::kCPU);
  return extractor;
}

// Says stop once `seconds` have passed since it was made, counting how often it was asked.
struct StopAfter {
  explicit StopAfter(double seconds)
      : at(Clock::now() +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds))) {}
  StopRequested function() {
    return [this] {
      ++asked;
      return Clock::now() >= at;
    };
  }
  Clock::time_point at;
  int asked = 0;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string fifo(const test::TempDir& dir, const std::string& name) {
  const std::string path = dir.file(name);
  if (mkfifo(path.c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed");
  return path;
}

TEST(Stop, AFifoWithNoWriterIsLeftWhenAsked) {
  const test::TempDir dir;
  const std::string path = fifo(dir, "content.fifo");
  StopAfter stop(0.3);
  const auto start = Clock::now();
  try {
    read_bytes(path, 0, "image", ErrorCode::kImageRead, stop.function());
    FAIL() << "read a FIFO that nobody writes to";
  } catch (const Stopped& stopped) {
    EXPECT_EQ(std::string(stopped.what()), "stopped while reading image '" + path + "'");
    EXPECT_EQ(stopped.code(), ErrorCode::kStopped);
  }
  // Asked all along the wait, not once at its end: the wait is in slices of 100 ms.
  EXPECT_GE(stop.asked, 3);
  EXPECT_LT(seconds_since(start), 5.0);
}

TEST(Stop, AStreamIsReadWholeWhenItComes) {
  const test::TempDir dir;
  const std::string path = fifo(dir, "model.fifo");
  // The model itself, through a FIFO whose writer comes late: it loads as from a file.
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    std::ofstream out(path, std::ios::binary);
    out << std::ifstream(NST_TEST_MODEL, std::ios::binary).rdbuf();
  });
  StopAfter never(1e9);
  const auto extractor = load_model(path, torch::kCPU, never.function());
  writer.join();
  EXPECT_EQ(extractor.path(), path);
  EXPECT_GT(never.asked, 2);
}

TEST(ModelFile, AMissingFileIsReportedByName) {
  const test::TempDir dir;
  const std::string path = dir.file("vgg19.pt");
  try {
    load_model(path, torch::kCPU);
    ADD_FAILURE() << "loading a missing model did not throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kModelInvalid);
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
}

TEST(Stop, AModelReadIsLeftWhenAsked) {
  const test::TempDir dir;
  const std::string path = fifo(dir, "model.fifo");
  StopAfter stop(0.2);
  EXPECT_THROW(load_model(path, torch::kCPU, stop.function()), Stopped);
}

TEST(Stop, AFolderScanIsLeftWhenAsked) {
  const test::TempDir dir;
  for (int i = 0; i < 5; ++i) test::write_bytes(dir.file(std::to_string(i) + ".png"), "x");
  int asked = 0;
  try {
    expand_inputs({dir.path().string()}, false, [&] { return ++asked > 2; });
    FAIL() << "the scan did not stop";
  } catch (const Stopped& stopped) {
    EXPECT_NE(std::string(stopped.what()).find(dir.path().string()), std::string::npos)
        << stopped.what();
  }
  EXPECT_EQ(asked, 3);
}

TEST(Stop, StyleTargetsAreLeftBetweenLayers) {
  const StyleTransfer engine(model(), StyleTransferOptions().size(32));
  const auto style = torch::rand({1, 3, 32, 32}) * 255;
  int asked = 0;
  EXPECT_THROW(engine.style_targets(style, [&] { return ++asked > 3; }), Stopped);
  EXPECT_EQ(asked, 4);  // three layers ran, the fourth was not begun
  // Never asked to stop: the same targets as without a stop function.
  const auto targets = engine.style_targets(style, [] { return false; });
  const auto expected = engine.style_targets(style);
  for (const auto& [layer, gram] : expected.scales.back()) {
    EXPECT_TRUE(torch::equal(targets.scales.back().at(layer), gram)) << layer;
  }
}

TEST(Stop, AWriteToAPipeNobodyReadsIsLeftWhenAsked) {
  int ends[2];
  ASSERT_EQ(pipe(ends), 0);
  // Noise does not compress: its PNG is far larger than the pipe's 64 KiB.
  const auto noise = torch::rand({1, 3, 256, 256}) * 255;
  StopAfter stop(0.3);
  EXPECT_THROW(write_image_to(ends[1], noise, {}, "png", stop.function()), Stopped);
  close(ends[0]);
  close(ends[1]);
}

class StopInRunner : public testing::Test {
 protected:
  void SetUp() override {
    test::write_image(content_, test::gradient_image(48, 32));
    test::write_image(style_, test::stripes_image(32, 32));
  }

  Job job(size_t index, const std::string& content, const std::string& output) const {
    Job j;
    j.index = index;
    j.content = content;
    j.style = style_;
    j.output = dir_.file(output);
    return j;
  }

  test::TempDir dir_;
  std::string content_ = dir_.file("content.png");
  std::string style_ = dir_.file("style.png");
};

TEST_F(StopInRunner, AJobWaitingForItsContentEndsInterruptedWithNothingWritten) {
  const std::string silent = fifo(dir_, "silent.fifo");
  BatchRunner runner(model(), StyleTransferOptions().size(32).iterations(2), BatchOptions());
  BatchListener listener;
  const auto start = Clock::now();
  StopAfter stop(0.3);
  const auto results =
      runner.run({job(0, silent, "a.png"), job(1, content_, "b.png")}, listener, stop.function());
  EXPECT_LT(seconds_since(start), 5.0);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status, JobStatus::kInterrupted);
  EXPECT_EQ(results[0].reason, "stopped while reading image '" + silent + "'");
  EXPECT_TRUE(results[0].written.empty());
  EXPECT_FALSE(fs::exists(dir_.file("a.png")));
  EXPECT_FALSE(fs::exists(partial_path(dir_.file("a.png"))));
  EXPECT_EQ(results[1].status, JobStatus::kPending);
}

TEST_F(StopInRunner, AStopIsNotHeldAgainstTheStyle) {
  BatchRunner runner(model(), StyleTransferOptions().size(32).iterations(2), BatchOptions());
  // Stopped while the style is read or its targets computed (after the content is read).
  struct StopInStyle : BatchListener {
    void job_started(const Job&, size_t, size_t) override { started = true; }
    bool started = false;
  } listener;
  int asked_in_job = 0;
  const auto first = runner.run({job(0, content_, "a.png")}, listener,
                                [&] { return listener.started && ++asked_in_job > 3; });
  ASSERT_EQ(first[0].status, JobStatus::kInterrupted) << first[0].reason;
  // The same runner, run again without a stop, paints with that style: the stop was not
  // recorded as the style's failure.
  const auto second = runner.run({job(0, content_, "a.png")}, listener, [] { return false; });
  EXPECT_EQ(second[0].status, JobStatus::kDone) << second[0].reason;
  EXPECT_TRUE(fs::exists(dir_.file("a.png")));
}

}  // namespace
}  // namespace nst
