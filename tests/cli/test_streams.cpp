// Inputs that are streams (standard input, pipes, FIFOs, process substitution) are read once,
// to their end and within a byte limit; other files that are not regular are refused or, in a
// folder, passed over with a note.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "nst/io/file_info.h"
#include "test_images.h"

namespace nst {
namespace {

namespace fs = std::filesystem;
using test::shell_quote;

class Streams : public testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(in_);
    test::write_image(content_, test::gradient_image(96, 72));
    test::write_image(style_, test::stripes_image(64, 64));
  }

  // nst with `inputs` (its content and style arguments) and `extra` flags, through bash so
  // that the command may use process substitution and redirections.
  test::CommandResult nst(const std::string& inputs, const std::string& extra = "") const {
    const std::string command = shell_quote(NST_BINARY) + " " + inputs + " -o " +
                                shell_quote(output_) + " --size 64 --iterations 2 --model " +
                                shell_quote(NST_TEST_MODEL) + " " + extra;
    return test::run_command("bash -c " + shell_quote(command));
  }

  void expect_painted(const test::CommandResult& result) const {
    ASSERT_EQ(result.exit_code, 0) << result.output;
    const cv::Mat image = cv::imread(output_);
    ASSERT_FALSE(image.empty());
    EXPECT_EQ(image.cols, 64);
    EXPECT_EQ(image.rows, 48);
  }

  void expect_refused(const test::CommandResult& result, const std::string& message) const {
    EXPECT_NE(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find(message), std::string::npos) << result.output;
    EXPECT_FALSE(fs::exists(output_));
  }

  test::TempDir dir_;
  fs::path in_ = dir_.path() / "in";
  std::string content_ = (in_ / "content.png").string();
  std::string style_ = (in_ / "style.png").string();
  std::string output_ = (dir_.path() / "out.png").string();
};

TEST_F(Streams, ContentFromStandardInput) {
  expect_painted(nst("-c - -s " + shell_quote(style_) + " < " + shell_quote(content_)));
}

TEST_F(Streams, StyleFromAPipe) {
  expect_painted(nst("-c " + shell_quote(content_) + " -s -", "< " + shell_quote(style_)));
}

TEST_F(Streams, ProcessSubstitutionIsReadOnce) {
  // The memory check reads the header, the report the size and the hash, the loader the
  // image: a pipe gives its bytes once, so they are kept for all of them.
  const std::string report = (dir_.path() / "report.json").string();
  expect_painted(
      nst("-c <(cat " + shell_quote(content_) + ") -s <(cat " + shell_quote(style_) + ")",
          "--report " + shell_quote(report)));
  const std::string json = test::read_bytes(report);
  EXPECT_NE(json.find(sha256_file(content_)), std::string::npos) << json;
  EXPECT_NE(json.find(sha256_file(style_)), std::string::npos) << json;
}

TEST_F(Streams, AFifoWithAWriter) {
  const std::string fifo = (dir_.path() / "content.fifo").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  expect_painted(nst("-c " + shell_quote(fifo) + " -s " + shell_quote(style_),
                     "& cat " + shell_quote(content_) + " > " + shell_quote(fifo) + "; wait"));
}

TEST_F(Streams, EmptyStandardInput) {
  expect_refused(nst("-c - -s " + shell_quote(style_) + " < /dev/null"),
                 "cannot read image '-': standard input is empty");
}

TEST_F(Streams, AStreamLongerThanAnyImageWithinTheLimitIsCutOff) {
  // --max-input-pixels 1000 allows 64 MiB from a stream; 70 MB of zeros is refused unread.
  expect_refused(nst("-c - -s " + shell_quote(style_) + " --max-input-pixels 1000",
                     "< <(head -c 70000000 /dev/zero)"),
                 "cannot read image '-': it holds more than 67 MB");
}

TEST_F(Streams, DevicesAreRefusedByName) {
  expect_refused(nst("-c /dev/zero -s " + shell_quote(style_)),
                 "cannot read image '/dev/zero': it is a character device, not an image file");
  expect_refused(nst("-c " + shell_quote(content_) + " -s /dev/null"),
                 "cannot read image '/dev/null': it is a character device, not an image file");
}

TEST_F(Streams, AFolderScanPassesOverAFifo) {
  // A FIFO named like an image in a folder of contents would block the run: it is skipped.
  const std::string fifo = (in_ / "waiting.png").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  fs::remove(style_);
  const std::string style = (dir_.path() / "style.png").string();
  test::write_image(style, test::stripes_image(64, 64));
  fs::remove(output_);
  fs::create_directories(output_);  // a folder of outputs
  const auto result = test::run_command(
      "timeout 60 " + shell_quote(NST_BINARY) + " -c " + shell_quote(in_.string()) + " -s " +
      shell_quote(style) + " -o " + shell_quote(output_) + " --size 64 --iterations 2 --model " +
      shell_quote(NST_TEST_MODEL));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("skipping '" + fifo + "': not a regular file"), std::string::npos)
      << result.output;
  EXPECT_EQ(test::list_folder(output_), std::vector<std::string>{"content_style.png"});
}

// nst writing to standard output: `command` is given whole (inputs, -o -, flags).
test::CommandResult to_stdout(const std::string& command, const std::string& saved) {
  return test::run_command("bash -c " +
                           shell_quote(shell_quote(NST_BINARY) + " " + command +
                                       " --size 64 --iterations 2 --model " +
                                       shell_quote(NST_TEST_MODEL) + " > " + shell_quote(saved)));
}

TEST_F(Streams, AnImageToStandardOutput) {
  const std::string saved = (dir_.path() / "stdout.bin").string();
  const auto png =
      to_stdout("-c " + shell_quote(content_) + " -s " + shell_quote(style_) + " -o -", saved);
  ASSERT_EQ(png.exit_code, 0) << png.output;
  const std::string bytes = test::read_bytes(saved);
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(bytes.substr(0, 4), "\x89PNG");  // nothing but the image on standard output
  const cv::Mat image = cv::imread(saved);
  EXPECT_EQ(image.cols, 64);
  EXPECT_EQ(image.rows, 48);
  // From standard input to standard output, as JPEG.
  const auto jpeg = to_stdout(
      "-c - -s " + shell_quote(style_) + " -o - --output-format jpg < " + shell_quote(content_),
      saved);
  ASSERT_EQ(jpeg.exit_code, 0) << jpeg.output;
  EXPECT_EQ(test::read_bytes(saved).substr(0, 2), "\xff\xd8");
  EXPECT_EQ(test::list_folder(dir_.path()), (std::vector<std::string>{"in", "stdout.bin"}));
}

TEST_F(Streams, StandardOutputTakesOneFinishedImage) {
  const std::string saved = (dir_.path() / "stdout.bin").string();
  const auto two = to_stdout("-c " + shell_quote(content_) + " " + shell_quote(style_) + " -s " +
                                 shell_quote(style_) + " -o -",
                             saved);
  EXPECT_EQ(two.exit_code, 1) << two.output;
  EXPECT_NE(two.output.find("-o - writes one image to standard output, but there are 2 jobs"),
            std::string::npos)
      << two.output;
  const auto every = to_stdout(
      "-c " + shell_quote(content_) + " -s " + shell_quote(style_) + " -o - --save-every 1", saved);
  EXPECT_EQ(every.exit_code, 1) << every.output;
  EXPECT_NE(every.output.find("--save-every writes files named after the output"),
            std::string::npos)
      << every.output;
  EXPECT_EQ(test::read_bytes(saved), "");
}

}  // namespace
}  // namespace nst
