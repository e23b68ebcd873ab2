// End-to-end tests of the `nst` program, run as a subprocess on the random-weight model.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/types.h>
#include <unistd.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nst/engine/blas_kernels.h"
#include "nst/engine/settings.h"
#include "nst/io/image_io.h"
#include "test_images.h"

namespace nst {
namespace {
namespace fs = std::filesystem;
using test::shell_quote;

class Cli : public testing::Test {
 protected:
  void SetUp() override {
    fs::create_directory(in_);
    fs::create_directory(out_);
    test::write_image(content_, test::gradient_image(96, 72));
    test::write_image(style_, test::stripes_image(64, 64));
  }

  // Runs nst with `arguments`, without $NST_MODEL unless `environment` sets it.
  static test::CommandResult nst(const std::string& arguments,
                                 const std::string& environment = "") {
    return test::run_command("env -u NST_MODEL " + environment + " " + shell_quote(NST_BINARY) +
                             " " + arguments);
  }

  // A complete, quick command line; `output` and `extra` flags are appended.
  std::string arguments(const std::string& output, const std::string& extra = "",
                        bool with_model = true) const {
    return "--content " + shell_quote(content_) + " --style " + shell_quote(style_) + " -o " +
           shell_quote(output) + " --size 64 --iterations 10 " +
           (with_model ? "--model " + shell_quote(NST_TEST_MODEL) + " " : "") + extra;
  }

  // Expects a failed run whose output names `mention`, with nothing left in the output folder
  // but `remaining`.
  void expect_failure(const test::CommandResult& result, const std::string& mention,
                      const std::vector<std::string>& remaining = {}) const {
    EXPECT_NE(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find(mention), std::string::npos)
        << "expected '" << mention << "' in:\n"
        << result.output;
    EXPECT_EQ(test::list_folder(out_), remaining);
  }

  test::TempDir dir_;
  fs::path in_ = dir_.path() / "in";
  fs::path out_ = dir_.path() / "out";
  std::string content_ = (in_ / "content.png").string();
  std::string style_ = (in_ / "style.png").string();
  std::string output_ = (out_ / "result.png").string();
};

// Mean absolute difference, in levels, between an output and the content at the same size.
double difference_from_content(const cv::Mat& output, const std::string& content) {
  const cv::Mat resized = tensor_to_bgr8(load_image(content, 64).rgb);
  EXPECT_EQ(resized.size(), output.size());
  if (resized.size() != output.size()) return 0;
  cv::Mat difference;
  cv::absdiff(resized, output, difference);
  const cv::Scalar mean = cv::mean(difference);
  return (mean[0] + mean[1] + mean[2]) / 3;
}

TEST_F(Cli, WritesAPng) {
  const auto result = nst(arguments(output_));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const cv::Mat image = cv::imread(output_, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(image.empty()) << result.output;
  EXPECT_EQ(image.size(), cv::Size(64, 48));  // 96×72 content at long side 64
  EXPECT_EQ(image.type(), CV_8UC3);
  EXPECT_GT(difference_from_content(image, content_), 1.0);
  EXPECT_EQ(test::list_folder(out_), std::vector<std::string>{"result.png"});
  EXPECT_NE(result.output.find("result.png"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("10/10"), std::string::npos) << "progress expected:\n"
                                                            << result.output;
}

TEST_F(Cli, WritesAJpegQuietly) {
  const std::string output = (out_ / "result.jpg").string();
  const auto result = nst(arguments(output, "--quiet"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "") << "--quiet prints errors only";
  const cv::Mat image = cv::imread(output, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(image.size(), cv::Size(64, 48));
  EXPECT_EQ(image.channels(), 3);
  EXPECT_EQ(test::list_folder(out_), std::vector<std::string>{"result.jpg"});
}

TEST_F(Cli, KeepsTheContentsAlphaInPng) {
  cv::Mat alpha(72, 96, CV_8UC1);
  for (int x = 0; x < alpha.cols; ++x) alpha.col(x).setTo(x < 48 ? 255 : 0);
  cv::Mat bgra;
  cv::merge(std::vector<cv::Mat>{test::gradient_image(96, 72), alpha}, bgra);
  test::write_image(content_, bgra);

  // Coarse to fine (32, 45 and 64 px), keeping the first scale's picture at its own size.
  const auto result = nst(arguments(output_, "--min-scale 32 --save-every 10"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto expect_alpha_halves = [](const std::string& path, const cv::Size& size) {
    const cv::Mat image = cv::imread(path, cv::IMREAD_UNCHANGED);
    ASSERT_EQ(image.type(), CV_8UC4) << path;
    ASSERT_EQ(image.size(), size) << path;
    std::vector<cv::Mat> planes;
    cv::split(image, planes);
    EXPECT_EQ(planes[3].at<uchar>(size.height / 2, 2), 255) << path;
    EXPECT_EQ(planes[3].at<uchar>(size.height / 2, size.width - 3), 0) << path;
  };
  expect_alpha_halves(output_, cv::Size(64, 48));
  expect_alpha_halves((out_ / "result.iter00010.png").string(), cv::Size(32, 24));
}

TEST_F(Cli, SameSeedGivesTheSameBytes) {
  const std::string first = (out_ / "first.png").string();
  const std::string second = (out_ / "second.png").string();
  const std::string other = (out_ / "other.png").string();
  const std::string report = (out_ / "first.json").string();
  ASSERT_EQ(
      nst(arguments(first, "--init noise --seed 5 --report " + shell_quote(report))).exit_code, 0);
  ASSERT_EQ(nst(arguments(second, "--init noise --seed 5")).exit_code, 0);
  ASSERT_EQ(nst(arguments(other, "--init noise --seed 6")).exit_code, 0);
  EXPECT_EQ(test::read_bytes(first), test::read_bytes(second));
  EXPECT_NE(test::read_bytes(first), test::read_bytes(other));
  // An explicit seed asks for deterministic kernels (on CUDA, where it matters).
  EXPECT_NE(test::read_bytes(report).find("\"deterministic\": true"), std::string::npos);
}

TEST_F(Cli, StartsFromAnImageFileAndRejectsAMissingOne) {
  const auto result = nst(arguments(output_, "--init " + shell_quote(style_)));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string missing = (in_ / "nope.png").string();
  const auto failed = nst(arguments((out_ / "x.png").string(), "--init " + shell_quote(missing)));
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_NE(failed.output.find(missing), std::string::npos) << failed.output;
}

TEST_F(Cli, PreservesColoursEitherWay) {
  const std::string plain = (out_ / "plain.png").string();
  ASSERT_EQ(nst(arguments(plain)).exit_code, 0);
  for (const char* mode : {"luminance", "histogram"}) {
    const std::string output = (out_ / (std::string(mode) + ".png")).string();
    const auto result = nst(arguments(output, std::string("--preserve-colors ") + mode));
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(test::read_bytes(output), test::read_bytes(plain)) << mode;
  }
  EXPECT_NE(nst(arguments((out_ / "x.png").string(), "--preserve-colors sepia")).exit_code, 0);
}

TEST_F(Cli, LearningRateScheduleAndScaleMomentsAreOptionsAndAreReported) {
  const std::string plain = (out_ / "constant.png").string();
  ASSERT_EQ(nst(arguments(plain)).exit_code, 0);
  const std::string cosine = (out_ / "cosine.png").string();
  const std::string report = (out_ / "cosine.json").string();
  const auto result = nst(arguments(cosine,
                                    "--lr-schedule cosine --lr-final 0.25 --scale-lr 5 "
                                    "--scale-moments rescale --report " +
                                        shell_quote(report)));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(test::read_bytes(cosine), test::read_bytes(plain));
  const std::string json = test::read_bytes(report);
  EXPECT_NE(json.find("\"lr_schedule\": \"cosine\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"final_learning_rate\": 0.25"), std::string::npos) << json;
  EXPECT_NE(json.find("\"scale_learning_rate\": 5"), std::string::npos) << json;
  EXPECT_NE(json.find("\"scale_moments\": \"rescale\""), std::string::npos) << json;
  for (const char* bad :
       {"--lr-schedule linear", "--lr-final -1", "--scale-lr 0", "--scale-moments keep"}) {
    const auto refused = nst(arguments((out_ / "x.png").string(), bad));
    EXPECT_NE(refused.exit_code, 0) << bad;
    EXPECT_FALSE(fs::exists(out_ / "x.png")) << bad;
  }
}

TEST_F(Cli, AveragePoolingChangesTheOutputAndIsReported) {
  const std::string plain = (out_ / "max.png").string();
  ASSERT_EQ(nst(arguments(plain)).exit_code, 0);
  const std::string average = (out_ / "avg.png").string();
  const std::string report = (out_ / "avg.json").string();
  const auto result = nst(arguments(average, "--pooling avg --report " + shell_quote(report)));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(test::read_bytes(average), test::read_bytes(plain));
  EXPECT_NE(test::read_bytes(report).find("\"pooling\": \"avg\""), std::string::npos);
  // Without --seed or --deterministic, CUDA may pick its fastest kernels.
  EXPECT_NE(test::read_bytes(report).find("\"deterministic\": false"), std::string::npos);
  EXPECT_NE(nst(arguments((out_ / "x.png").string(), "--pooling median")).exit_code, 0);
}

TEST_F(Cli, TilesAreAnOptionAndAreReported) {
  // relu3_1 at the deepest: a 12 px halo on a stride of 4, so 64x48 makes 2x2 tiles of 32.
  const std::string report = (out_ / "tiled.json").string();
  const auto tiled = nst(arguments(output_,
                                   "--tile 32 --content-layers relu3_1 --style-layers "
                                   "relu1_1,relu2_1,relu3_1 --report " +
                                       shell_quote(report)));
  ASSERT_EQ(tiled.exit_code, 0) << tiled.output;
  EXPECT_NE(tiled.output.find("64x48 in 4 tiles of 32 px (halo 12"), std::string::npos)
      << tiled.output;
  EXPECT_EQ(cv::imread(output_).size(), cv::Size(64, 48));
  const std::string text = test::read_bytes(report);
  EXPECT_NE(text.find("\"tile\": 32"), std::string::npos) << text;
  EXPECT_NE(text.find("\"core\": 32"), std::string::npos) << text;
  EXPECT_NE(text.find("\"estimated_peak_bytes\""), std::string::npos) << text;
  // By default the whole image, which fits.
  const std::string whole_report = (out_ / "whole.json").string();
  ASSERT_EQ(nst(arguments((out_ / "whole.png").string(), "--report " + shell_quote(whole_report)))
                .exit_code,
            0);
  const std::string whole = test::read_bytes(whole_report);
  EXPECT_NE(whole.find("\"tile\": \"auto\""), std::string::npos) << whole;
  EXPECT_NE(whole.find("\"tiles\": null"), std::string::npos) << whole;
  // --dry-run plans a print without loading the model: tiled to fit the limit.
  const auto plan_of = [&](const std::string& extra) {
    return nst("--content " + shell_quote(content_) + " --style " + shell_quote(style_) + " -o " +
               shell_quote((out_ / "print.png").string()) + " --dry-run " + extra);
  };
  const auto plan = plan_of("--size 4096 --memory-limit 6G");
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_NE(plan.output.find("4096x3072 in "), std::string::npos) << plan.output;
  EXPECT_NE(plan.output.find("--memory-limit allows 6.0 GB"), std::string::npos) << plan.output;
  // The print preset: its chain of scales, and its largest scale tiled within the limit.
  const auto print = plan_of("--preset print --memory-limit 6G");
  ASSERT_EQ(print.exit_code, 0) << print.output;
  EXPECT_NE(print.output.find("4096x3072 in "), std::string::npos) << print.output;
  EXPECT_NE(print.output.find("622 iterations each over 7 scales (512 to 4096 px: 200, 141, 100, "
                              "71, 50, 35, 25 steps)"),
            std::string::npos)
      << print.output;
  const auto off = plan_of("--size 512 --tile off");
  EXPECT_NE(off.output.find("512x384 whole, about"), std::string::npos) << off.output;
}

TEST_F(Cli, RunsWithLbfgsAndTheWassersteinLoss) {
  const auto ok = nst("--content " + shell_quote(content_) + " --style " + shell_quote(style_) +
                      " -o " + shell_quote(output_) + " --size 64 --iterations 4 --model " +
                      shell_quote(NST_TEST_MODEL) +
                      " --optimizer lbfgs --style-loss w2"
                      // Shallow layers: at 512 channels each matrix square root takes seconds.
                      " --style-layers relu1_1,relu2_1");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_FALSE(cv::imread(output_).empty());
}

TEST_F(Cli, MissingContentFile) {
  const std::string missing = (in_ / "missing.png").string();
  const auto result =
      nst("--content " + shell_quote(missing) + " --style " + shell_quote(style_) + " -o " +
          shell_quote(output_) + " --model " + shell_quote(NST_TEST_MODEL));
  expect_failure(result, missing);
}

TEST_F(Cli, ContentThatIsNotAnImage) {
  const std::string text = (in_ / "x.png").string();
  test::write_bytes(text, "just some text\n");
  const auto result =
      nst("--content " + shell_quote(text) + " --style " + shell_quote(style_) + " -o " +
          shell_quote(output_) + " --size 64 --model " + shell_quote(NST_TEST_MODEL));
  EXPECT_EQ(result.exit_code, 2) << result.output;  // the job failed; the run itself could start
  expect_failure(result, text);
}

TEST_F(Cli, ContentTooThinForTheNetwork) {
  // 200×4 at long side 64 becomes 64×1; relu5_1 needs 16 pixels on each side.
  const std::string thin = (in_ / "thin.png").string();
  test::write_image(thin, test::gradient_image(200, 4));
  const auto result =
      nst("--content " + shell_quote(thin) + " --style " + shell_quote(style_) + " -o " +
          shell_quote(output_) + " --size 64 --model " + shell_quote(NST_TEST_MODEL));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  expect_failure(result, thin);
  EXPECT_NE(result.output.find("at least 16 pixels"), std::string::npos) << result.output;
}

TEST_F(Cli, MissingModelFile) {
  const auto result = nst(arguments(output_, "--model /nonexistent.pt", false));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  expect_failure(result, "/nonexistent.pt");
}

TEST_F(Cli, MissingModelFromTheEnvironment) {
  const auto result =
      nst(arguments(output_, "", false), "NST_MODEL=" + shell_quote("/nonexistent/vgg19.pt"));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  expect_failure(result, "/nonexistent/vgg19.pt");
}

TEST_F(Cli, ModelThatIsNotVgg19) {
  const std::string model = std::string(NST_TEST_BAD_MODELS_DIR) + "/vgg16.pt";
  const auto result = nst(arguments(output_, "--model " + shell_quote(model), false));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  expect_failure(result, model);
  EXPECT_NE(result.output.find("not VGG19-shaped"), std::string::npos) << result.output;
}

TEST_F(Cli, CreatesAMissingOutputFolder) {
  const std::string output = (out_ / "new" / "deeper" / "result.png").string();
  const auto result = nst(arguments(output));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_FALSE(cv::imread(output).empty());
}

TEST_F(Cli, OutputUnderARegularFile) {
  test::write_bytes((out_ / "plain").string(), "a file, not a folder");
  const std::string output = (out_ / "plain" / "result.png").string();
  expect_failure(nst(arguments(output)), output, {"plain"});
}

TEST_F(Cli, OutputWithAnUnknownExtension) {
  const std::string output = (out_ / "result.xyz").string();
  const auto result = nst(arguments(output));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  expect_failure(result, output);
}

TEST_F(Cli, RefusesToOverwriteTheContent) {
  const std::string before = test::read_bytes(content_);
  const auto result = nst(arguments(content_));
  expect_failure(result, content_);
  EXPECT_EQ(test::read_bytes(content_), before);
  EXPECT_EQ(test::list_folder(in_), (std::vector<std::string>{"content.png", "style.png"}));
}

TEST_F(Cli, RefusesToOverwriteTheStyle) {
  const std::string before = test::read_bytes(style_);
  expect_failure(nst(arguments(style_)), style_);
  EXPECT_EQ(test::read_bytes(style_), before);
}

TEST_F(Cli, ExistingOutputIsReplacedOnlyOnSuccess) {
  test::write_bytes(output_, "previous output");
  const std::string bad_style = (in_ / "bad_style.png").string();
  test::write_bytes(bad_style, std::string(200, '\x7f'));

  const auto refused = nst(arguments(output_));
  expect_failure(refused, output_, {"result.png"});
  EXPECT_NE(refused.output.find("--overwrite"), std::string::npos) << refused.output;
  EXPECT_EQ(test::read_bytes(output_), "previous output");

  const auto failed =
      nst("--content " + shell_quote(content_) + " --style " + shell_quote(bad_style) + " -o " +
          shell_quote(output_) + " --size 64 --iterations 10 --overwrite --model " +
          shell_quote(NST_TEST_MODEL));
  expect_failure(failed, bad_style, {"result.png"});
  EXPECT_EQ(failed.exit_code, 2) << failed.output;
  EXPECT_EQ(test::read_bytes(output_), "previous output");

  const auto succeeded = nst(arguments(output_, "--overwrite"));
  ASSERT_EQ(succeeded.exit_code, 0) << succeeded.output;
  EXPECT_EQ(cv::imread(output_).size(), cv::Size(64, 48));
  EXPECT_EQ(test::list_folder(out_), std::vector<std::string>{"result.png"});
}

// The lines of `text` that contain `part`.
std::vector<std::string> lines_with(const std::string& text, const std::string& part) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(part) != std::string::npos) lines.push_back(line);
  }
  return lines;
}

// What a run printed on stdout and, separately, on stderr.
struct Printed {
  int exit_code = -1;
  std::string out;
  std::string err;
};

TEST_F(Cli, DeprecatedSeedPresetRunsTheTutorialPresetWithOneWarning) {
  const std::string err_file = (dir_.path() / "stderr.txt").string();
  const auto dry_run = [&](const std::string& flags) {
    // Without --iterations: the plan shows the preset's 1000.
    const auto result =
        // A memory limit below what is available: the plan's budget does not move between runs.
        nst("--content " + shell_quote(content_) + " --style " + shell_quote(style_) + " -o " +
            shell_quote(output_) + " --dry-run --memory-limit 6G " + flags + " 2>" +
            shell_quote(err_file));
    return Printed{result.exit_code, result.output, test::read_bytes(err_file)};
  };
  const auto tutorial = dry_run("--preset tutorial");
  ASSERT_EQ(tutorial.exit_code, 0) << tutorial.out << tutorial.err;
  EXPECT_NE(tutorial.out.find("1000 iterations each"), std::string::npos) << tutorial.out;
  EXPECT_EQ(lines_with(tutorial.err, "deprecated").size(), 0u) << tutorial.err;

  const auto alias = dry_run("--preset seed");
  ASSERT_EQ(alias.exit_code, 0) << alias.out << alias.err;
  EXPECT_EQ(alias.out, tutorial.out) << "the same settings, the same plan";
  const auto warnings = lines_with(alias.err, "deprecated");
  ASSERT_EQ(warnings.size(), 1u) << alias.err;
  EXPECT_EQ(warnings[0],
            "nst: warning: --preset seed is deprecated and will be removed; use --preset "
            "tutorial (the same settings)");
  EXPECT_EQ(lines_with(alias.err, "--preset seed").size(), 1u) << alias.err;

  // --quiet prints errors only, this warning included.
  const auto quiet = dry_run("--preset seed --quiet");
  ASSERT_EQ(quiet.exit_code, 0) << quiet.out << quiet.err;
  EXPECT_EQ(quiet.err, "");
}

TEST_F(Cli, UnknownLayerName) {
  const auto result = nst(arguments(output_, "--content-layers relu9_9"));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  expect_failure(result, "relu9_9");
}

TEST_F(Cli, BadFlagValues) {
  for (const std::string flag : {"--size abc", "--size 8", "--device tpu", "--preset fancy",
                                 "--iterations 0", "--lr -1", "--no-such-flag"}) {
    SCOPED_TRACE(flag);
    // Without --size and --iterations, so that each flag is given once.
    const auto result =
        nst("--content " + shell_quote(content_) + " --style " + shell_quote(style_) + " -o " +
            shell_quote(output_) + " --model " + shell_quote(NST_TEST_MODEL) + " " + flag);
    EXPECT_NE(result.exit_code, 0) << result.output;
    EXPECT_FALSE(result.output.empty());
    EXPECT_TRUE(test::list_folder(out_).empty());
  }
}

TEST_F(Cli, MissingRequiredOption) {
  const auto result = nst("--content " + shell_quote(content_) + " --style " + shell_quote(style_));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("--output"), std::string::npos) << result.output;
}

// The BLAS core named in the verbose log, or "" when there is no such line.
std::string logged_blas_core(const std::string& output) {
  const std::string marker = "OpenBLAS with ";
  const auto at = output.find(marker);
  if (at == std::string::npos) return "";
  const auto start = at + marker.size();
  return output.substr(start, output.find(' ', start) - start);
}

TEST_F(Cli, RunsTheBestOpenBlasKernelsThisCpuHas) {
  // OpenBLAS versions older than the CPU fall back to SSE3 kernels ("Prescott"); nst re-runs
  // itself with better ones, and says which in its verbose log.
  const auto result = nst(arguments(output_, "--verbose"), "-u OPENBLAS_CORETYPE");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  if (result.output.find("BLAS: not OpenBLAS") != std::string::npos) {
    GTEST_SKIP() << "the BLAS in use is not OpenBLAS";
  }
  const std::string core = logged_blas_core(result.output);
  ASSERT_FALSE(core.empty()) << result.output;
  EXPECT_EQ(better_openblas_core(core), "") << "still on the fallback kernels: " << core;
}

TEST_F(Cli, KeepsTheOpenBlasKernelsTheUserAskedFor) {
  const auto result = nst(arguments(output_, "--verbose"), "OPENBLAS_CORETYPE=Prescott");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  if (result.output.find("BLAS: not OpenBLAS") != std::string::npos) {
    GTEST_SKIP() << "the BLAS in use is not OpenBLAS";
  }
  EXPECT_EQ(logged_blas_core(result.output), "Prescott") << result.output;
}

TEST_F(Cli, ThreadsDefaultToTheCpusItMayRunOn) {
  // taskset leaves it one CPU, as Slurm's --cpus-per-task does: one thread, and the log says why.
  const auto pinned = nst(arguments(output_, "--verbose"), "taskset -c 0");
  ASSERT_EQ(pinned.exit_code, 0) << pinned.output;
  EXPECT_NE(pinned.output.find("threads: 1 (CPU affinity)"), std::string::npos) << pinned.output;
  const auto asked = nst(arguments(output_ + ".png", "--verbose --threads 3"), "taskset -c 0");
  ASSERT_EQ(asked.exit_code, 0) << asked.output;
  EXPECT_NE(asked.output.find("threads: 3 (--threads)"), std::string::npos) << asked.output;
}

TEST_F(Cli, RemovesTemporaryFilesAKilledRunLeftInItsOutputFolder) {
  fs::create_directories(out_);
  // The process id of a run that has ended (a SIGKILL leaves its temporary file behind).
  const pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  const std::string stale = ".result.png.nst-" + std::to_string(child) + "-0123.tmp";
  const std::string other = "notes.txt";
  test::write_bytes((out_ / stale).string(), "half an image");
  test::write_bytes((out_ / other).string(), "mine");
  const auto result = nst(arguments(output_));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find(stale + "': a temporary file of an earlier run that was killed"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(test::list_folder(out_), (std::vector<std::string>{"notes.txt", "result.png"}));
}

TEST(CliInfo, VersionPrintsTheNameAndVersion) {
  const auto result = test::run_command(shell_quote(NST_BINARY) + " --version");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output.rfind("nst ", 0), 0u) << result.output;
}

TEST(CliInfo, HelpDescribesTheFlags) {
  const auto result = test::run_command(shell_quote(NST_BINARY) + " --help");
  EXPECT_EQ(result.exit_code, 0);
  for (const char* text : {"--preset", "--content", "--style", "--output", "--model", "tutorial"}) {
    EXPECT_NE(result.output.find(text), std::string::npos) << text << " in:\n" << result.output;
  }
}

// `--preset seed`, the tutorial preset's name until it was renamed, is accepted for one release
// but offered nowhere: not among --help's or the completion's choices, nor as a described preset.
TEST(CliInfo, HelpAndCompletionOfferTheTutorialPresetButNotItsDeprecatedName) {
  const auto help = test::run_command(shell_quote(NST_BINARY) + " --help");
  ASSERT_EQ(help.exit_code, 0);
  std::vector<std::string> preset_lines;  // the option's own line, "  --preset TEXT:{...}"
  for (const auto& line : lines_with(help.output, "--preset")) {
    if (line.rfind("  --preset", 0) == 0) preset_lines.push_back(line);
  }
  ASSERT_EQ(preset_lines.size(), 1u) << help.output;
  EXPECT_NE(preset_lines[0].find("{default,tutorial,fast,print}"), std::string::npos)
      << preset_lines[0];
  EXPECT_EQ(lines_with(help.output, "  tutorial: ").size(), 1u) << help.output;
  EXPECT_EQ(lines_with(help.output, "  seed: ").size(), 0u) << help.output;

  const auto completion = test::run_command(shell_quote(NST_BINARY) + " --completion bash");
  ASSERT_EQ(completion.exit_code, 0) << completion.output;
  const auto choices = lines_with(completion.output, "'--preset')");
  ASSERT_EQ(choices.size(), 1u) << completion.output;
  EXPECT_NE(choices[0].find("choices='default tutorial fast print'"), std::string::npos)
      << choices[0];
}

// The option names at the start of --help's lines ("  -c,--content TEXT ...").
std::set<std::string> options_in_help(const std::string& help) {
  std::set<std::string> names;
  std::istringstream lines(help);
  const std::regex option(R"(^  ((-[-\w]+,)*-[-\w]+))");
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (!std::regex_search(line, match, option)) continue;
    std::istringstream list(match[1].str());
    for (std::string name; std::getline(list, name, ',');) names.insert(name);
  }
  return names;
}

// The option names the completion script's case patterns list ("'-c'|'--content')").
std::set<std::string> options_in_completion(const std::string& script) {
  std::set<std::string> names;
  const std::regex quoted(R"('(-[-\w]+)'[|)])");
  for (auto it = std::sregex_iterator(script.begin(), script.end(), quoted);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1].str());
  }
  return names;
}

TEST(CliInfo, HelpCompletionAndTheSettingsTableListTheSameOptions) {
  const auto help = test::run_command(shell_quote(NST_BINARY) + " --help");
  ASSERT_EQ(help.exit_code, 0);
  const auto completion = test::run_command(shell_quote(NST_BINARY) + " --completion bash");
  ASSERT_EQ(completion.exit_code, 0) << completion.output;
  const auto in_help = options_in_help(help.output);
  EXPECT_GT(in_help.size(), 50u) << help.output;
  EXPECT_EQ(in_help, options_in_completion(completion.output));
  for (const auto& setting : settings()) {
    EXPECT_EQ(in_help.count(setting.flag), 1u) << setting.flag;
    // Its default, from the options' one definition.
    if (setting.type != SettingType::kFlag) {
      EXPECT_NE(help.output.find("(default " + default_text(setting) + ")"), std::string::npos)
          << setting.flag;
    }
  }
  EXPECT_EQ(in_help.count("--completion"), 0u);  // for packagers: hidden
}

}  // namespace
}  // namespace nst
