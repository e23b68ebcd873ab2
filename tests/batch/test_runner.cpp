// The batch runner's handling of stops and failures, on the small random-weight model.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "nst/batch/batch.h"
#include "nst/batch/checkpoint.h"
#include "nst/batch/runner.h"
#include "nst/engine/error.h"
#include "nst/io/image_io.h"
#include "nst/io/model_file.h"
#include "test_images.h"

namespace nst {
namespace {

namespace fs = std::filesystem;

const FeatureExtractor& model() {
  static const FeatureExtractor extractor = load_model(NST_TEST_MODEL, torch::kCPU);
  return extractor;
}

class Runner : public testing::Test {
 protected:
  void SetUp() override {
    test::write_image(content_, test::gradient_image(48, 32));
    test::write_image(style_, test::stripes_image(32, 32));
  }

  Job job(size_t index, const std::string& output) const {
    Job j;
    j.index = index;
    j.content = content_;
    j.style = style_;
    j.output = dir_.file(output);
    return j;
  }

  // Runs two jobs of three steps each; the stop is asked for once `steps` steps (of both jobs
  // together) have been taken.
  std::vector<JobResult> run_with_stop_after(int steps) const {
    BatchRunner runner(model(), StyleTransferOptions().size(48).iterations(3), BatchOptions());
    StepCounter counter;
    return runner.run({job(0, "a.png"), job(1, "b.png")}, counter,
                      [&] { return counter.steps >= steps; });
  }

  struct StepCounter : BatchListener {
    void iteration(const Job&, const ProgressEvent&) override { ++steps; }
    int steps = 0;
  };

  test::TempDir dir_;
  std::string content_ = dir_.file("content.png");
  std::string style_ = dir_.file("style.png");
};

TEST_F(Runner, AStopAtTheLastStepFindsTheJobFinished) {
  const auto results = run_with_stop_after(3);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status, JobStatus::kDone) << results[0].reason;
  EXPECT_EQ(results[0].iterations, 3);
  EXPECT_EQ(results[0].written, dir_.file("a.png"));
  EXPECT_TRUE(fs::exists(dir_.file("a.png")));
  EXPECT_FALSE(fs::exists(partial_path(dir_.file("a.png"))));
  // The batch still ends there.
  EXPECT_EQ(results[1].status, JobStatus::kPending);
  EXPECT_FALSE(fs::exists(dir_.file("b.png")));
}

TEST_F(Runner, AStopBeforeTheLastStepKeepsAPartial) {
  const auto results = run_with_stop_after(2);
  EXPECT_EQ(results[0].status, JobStatus::kInterrupted);
  EXPECT_EQ(results[0].reason, "interrupted after 2 of 3 iterations");
  EXPECT_FALSE(fs::exists(dir_.file("a.png")));
  EXPECT_TRUE(fs::exists(partial_path(dir_.file("a.png"))));
  EXPECT_EQ(results[1].status, JobStatus::kPending);
}

// A job stopped in its second scale keeps its image at that scale's size, before its
// optimisation counts as ended (a stop's grace starts after it), takes up its work where it
// stopped when run again, and one whose settings changed starts over.
TEST_F(Runner, AStoppedJobResumesFromItsPartialAtTheScaleAndStepItReached) {
  struct Steps : BatchListener {
    void job_resumed(const Job&, int64_t iteration) override { resumed = iteration; }
    void iteration(const Job&, const ProgressEvent& e) override {
      seen.push_back(e.iteration);
      scales.push_back(e.scale);
      work.push_back(e.work_done);
      at_start = e.work_at_start;
    }
    void optimisation_ended(const Job& job) override {
      partial_when_ended = fs::exists(partial_path(job.output));
    }
    std::vector<int64_t> seen;
    std::vector<size_t> scales;
    std::vector<double> work;
    double at_start = -1;
    int64_t resumed = 0;
    bool partial_when_ended = false;
  };
  // Scales 24 and 34 px wide, then 48: 4 steps each.
  const auto options = StyleTransferOptions().size(48).min_scale(24).iterations(4);
  const std::string output = dir_.file("a.png");
  {
    BatchRunner runner(model(), options, BatchOptions());
    Steps steps;
    const auto results =
        runner.run({job(0, "a.png")}, steps, [&] { return steps.seen.size() >= 6; });
    ASSERT_EQ(results[0].status, JobStatus::kInterrupted) << results[0].reason;
    EXPECT_EQ(results[0].iterations, 6);
    EXPECT_EQ(steps.scales.back(), 1u);
    // Work weighs steps by pixels: the first scale's four steps are less than a third of it.
    EXPECT_LT(steps.work[3], 0.3);
    EXPECT_GT(steps.work[5], steps.work[3]);
    EXPECT_TRUE(steps.partial_when_ended);
  }
  ASSERT_TRUE(fs::exists(partial_path(output)));
  // The second scale's size (34 px wide), not the output's 48.
  const auto partial_size = read_image_size(partial_path(output));
  ASSERT_TRUE(partial_size.has_value());
  EXPECT_EQ(partial_size->width, 34);
  const auto checkpoint = read_checkpoint(output);
  ASSERT_TRUE(checkpoint.has_value());
  EXPECT_EQ(checkpoint->iteration, 6);
  EXPECT_EQ(checkpoint->iterations, 12);

  // The same job again: steps 7..12, from the second scale's third step.
  BatchRunner again(model(), options, BatchOptions());
  Steps resumed;
  const auto results = again.run({job(0, "a.png")}, resumed, {});
  ASSERT_EQ(results[0].status, JobStatus::kDone) << results[0].reason;
  EXPECT_EQ(resumed.resumed, 6);
  EXPECT_EQ(results[0].resumed_from, 6);
  EXPECT_EQ(results[0].iterations, 12);
  EXPECT_EQ(resumed.seen, (std::vector<int64_t>{7, 8, 9, 10, 11, 12}));
  EXPECT_EQ(resumed.scales.front(), 1u);
  EXPECT_GT(resumed.at_start, 0.0);
  EXPECT_DOUBLE_EQ(resumed.work.back(), 1.0);
  EXPECT_TRUE(fs::exists(output));
  EXPECT_FALSE(fs::exists(partial_path(output)));
  EXPECT_FALSE(fs::exists(checkpoint_path(output)));

  // Stopped again, then run with other settings: from the start.
  fs::remove(output);
  {
    BatchRunner runner(model(), options, BatchOptions());
    Steps steps;
    runner.run({job(0, "a.png")}, steps, [&] { return steps.seen.size() >= 2; });
  }
  BatchRunner other(model(), StyleTransferOptions(options).style_weight(1.0), BatchOptions());
  Steps fresh;
  EXPECT_EQ(other.run({job(0, "a.png")}, fresh, {})[0].status, JobStatus::kDone);
  EXPECT_EQ(fresh.resumed, 0);
  EXPECT_EQ(fresh.seen.front(), 1);
  EXPECT_FALSE(fs::exists(checkpoint_path(output)));
}

// A checkpoint that is cut short or not one is ignored.
TEST_F(Runner, ACheckpointThatDoesNotReadWholeIsNotResumedFrom) {
  const std::string output = dir_.file("c.png");
  write_checkpoint(output, {5, 10, "abc"});
  const auto checkpoint = read_checkpoint(output);
  ASSERT_TRUE(checkpoint.has_value());
  EXPECT_EQ(checkpoint->job_key, "abc");
  const std::string text = test::read_bytes(checkpoint_path(output));
  for (size_t cut : {size_t{0}, size_t{10}, text.size() - 5}) {
    test::write_bytes(checkpoint_path(output), text.substr(0, cut));
    EXPECT_FALSE(read_checkpoint(output).has_value()) << cut;
  }
  test::write_bytes(checkpoint_path(output),
                    "nst checkpoint 1\niteration 11\niterations 10\njob a\n");
  EXPECT_FALSE(read_checkpoint(output).has_value());  // past its end
  EXPECT_EQ(checkpoint_path("out/x.v2.png"), "out/x.v2.partial.json");
}

// The report's loss history: every loss_every steps and at the last step taken, whether the
// job ran to its end or was stopped.
TEST_F(Runner, LossesAreRecordedEveryNStepsAndAtTheLastStep) {
  const auto iterations_of = [](const JobResult& result) {
    std::vector<int64_t> iterations;
    for (const auto& point : result.losses) {
      EXPECT_TRUE(std::isfinite(point.loss) && point.loss > 0) << point.iteration;
      EXPECT_GE(point.content_loss, 0);
      EXPECT_GT(point.style_loss, 0);
      iterations.push_back(point.iteration);
    }
    return iterations;
  };
  BatchOptions every_two;
  every_two.loss_every = 2;
  BatchRunner runner(model(), StyleTransferOptions().size(48).iterations(5), every_two);
  StepCounter counter;
  auto results = runner.run({job(0, "a.png")}, counter, {});
  ASSERT_EQ(results[0].status, JobStatus::kDone) << results[0].reason;
  EXPECT_EQ(iterations_of(results[0]), (std::vector<int64_t>{2, 4, 5}));

  // Stopped after 3 of 5 steps: the history ends at step 3.
  StepCounter stopping;
  results = runner.run({job(0, "b.png")}, stopping, [&] { return stopping.steps >= 3; });
  ASSERT_EQ(results[0].status, JobStatus::kInterrupted);
  EXPECT_EQ(iterations_of(results[0]), (std::vector<int64_t>{2, 3}));

  // 0: a tenth of the job, as the progress display's default (every step below 20 steps).
  BatchRunner tenth(model(), StyleTransferOptions().size(48).iterations(25), BatchOptions());
  StepCounter quiet;
  results = tenth.run({job(0, "c.png")}, quiet, {});
  EXPECT_EQ(iterations_of(results[0]),
            (std::vector<int64_t>{2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 25}));
  EXPECT_EQ(sample_interval(0, 25), 2);
  EXPECT_EQ(sample_interval(0, 3), 1);
  EXPECT_EQ(sample_interval(7, 3), 7);
}

TEST(FailureReason, OneLineForAUserWhateverWasThrown) {
  const auto reason_of = [](auto thrower) {
    try {
      thrower();
    } catch (...) {
      return failure_reason(std::current_exception());
    }
    return std::string("nothing thrown");
  };
  EXPECT_EQ(reason_of([] { throw Error(ErrorCode::kImageRead, "cannot read 'a.png'"); }),
            "cannot read 'a.png'");
  EXPECT_EQ(reason_of([] { throw std::out_of_range("map::at"); }), "map::at");
  EXPECT_EQ(reason_of([] { throw std::bad_alloc(); }), "out of memory");
  EXPECT_EQ(reason_of([] { throw 42; }), "an unknown error");
  // LibTorch's allocator meeting a memory limit halfway through a job.
  EXPECT_EQ(reason_of([] {
              throw std::runtime_error(
                  "[enforce fail at alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: can't "
                  "allocate memory: you tried to allocate 134217728 bytes. Error code 12 (Cannot "
                  "allocate memory)\nbacktrace");
            }),
            "out of memory: an allocation of 134217728 bytes failed (lower --size, or raise the "
            "memory limit)");
  // LibTorch's message without its backtrace.
  const std::string torch = reason_of([] { TORCH_CHECK(false, "shapes differ"); });
  EXPECT_NE(torch.find("shapes differ"), std::string::npos) << torch;
  EXPECT_EQ(torch.find('\n'), std::string::npos) << torch;
}

}  // namespace
}  // namespace nst
