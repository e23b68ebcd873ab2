// The bad-input suite: the `nst` program fed broken, odd and hostile inputs, all made here.
// Each one either works (and the output is checked) or fails with one line that names the file
// and the reason, a non-zero exit and nothing left in the output folder. None may crash.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <torch/types.h>
#include <unistd.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "nst/io/image_io.h"
#include "test_images.h"

namespace nst {
namespace {
namespace fs = std::filesystem;
using test::shell_quote;

// Decoder chatter and crash signatures that must never reach the user.
const std::vector<std::string> kNoise = {
    "libpng",       "Corrupt JPEG", "Premature end",   "terminate called", "Exception raised from",
    "Segmentation", "Aborted",      "AddressSanitizer"};

class BadInputs : public testing::Test {
 protected:
  void SetUp() override {
    fs::create_directory(in_);
    fs::create_directory(out_);
    test::write_image(content_, test::gradient_image(96, 72));
    test::write_image(style_, test::stripes_image(64, 64));
  }

  std::string in(const std::string& name) const { return (in_ / name).string(); }

  // Runs nst on `content` and `style` into out/result.png (or `output`).
  test::CommandResult paint(const std::string& content, const std::string& style,
                            const std::string& extra = "", const std::string& output = "") const {
    return test::run_command(
        shell_quote(NST_BINARY) + " --content " + shell_quote(content) + " --style " +
        shell_quote(style) + " -o " + shell_quote(output.empty() ? output_ : output) +
        (extra.find("--size") == std::string::npos ? " --size 64" : "") +
        " --iterations 3 --progress plain --model " + shell_quote(NST_TEST_MODEL) + " " + extra);
  }

  // A failed run: a clean exit 1 or 2, the file and the reason named on one line, no decoder
  // chatter, and an empty output folder.
  void expect_refused(const test::CommandResult& result, const std::string& path,
                      const std::string& reason) const {
    EXPECT_TRUE(result.exit_code == 1 || result.exit_code == 2)
        << "exit " << result.exit_code << ":\n"
        << result.output;
    EXPECT_TRUE(test::has_line_with(result.output, path, reason))
        << "no line names '" << path << "' and '" << reason << "':\n"
        << result.output;
    for (const auto& noise : kNoise) {
      EXPECT_EQ(result.output.find(noise), std::string::npos) << noise << " in:\n" << result.output;
    }
    EXPECT_EQ(test::list_folder(out_), std::vector<std::string>{}) << path;
  }

  // A successful run whose output is `width`×`height`.
  cv::Mat expect_painted(const test::CommandResult& result, int width, int height,
                         const std::string& output = "") const {
    EXPECT_EQ(result.exit_code, 0) << result.output;
    const cv::Mat image = cv::imread(output.empty() ? output_ : output, cv::IMREAD_UNCHANGED);
    EXPECT_FALSE(image.empty());
    EXPECT_EQ(image.cols, width);
    EXPECT_EQ(image.rows, height);
    return image;
  }

  // Runs nst as an unprivileged user, so that file permissions apply even to root: as nobody,
  // with a copy of the program and model where nobody may read them.
  test::CommandResult paint_unprivileged(const std::string& content, const std::string& style,
                                         const std::string& output = "",
                                         const std::string& extra = "") const {
    std::string program = NST_BINARY;
    std::string model = NST_TEST_MODEL;
    std::string prefix;
    if (geteuid() == 0) {
      const fs::path bin = dir_.path() / "bin";
      if (!fs::exists(bin)) {
        fs::create_directory(bin);
        fs::copy_file(NST_BINARY, bin / "nst");
        fs::copy_file(NST_TEST_MODEL, bin / "model.pt");
      }
      const auto readable = fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read;
      const auto executable =
          fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec;
      fs::permissions(bin / "nst", readable | executable);
      fs::permissions(bin / "model.pt", readable);
      fs::permissions(dir_.path(), fs::perms::all);
      fs::permissions(bin, readable | executable);
      fs::permissions(in_, readable | executable);
      fs::permissions(out_, fs::perms::all);
      fs::permissions(content_, readable);
      fs::permissions(style_, readable);
      program = (bin / "nst").string();
      model = (bin / "model.pt").string();
      prefix = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
    }
    return test::run_command(
        prefix + shell_quote(program) + " --content " + shell_quote(content) + " --style " +
        shell_quote(style) + " -o " + shell_quote(output.empty() ? output_ : output) +
        " --size 64 --iterations 3 --model " + shell_quote(model) + " " + extra);
  }

  // Refused both as the content and as the style.
  void expect_refused_either_way(const std::string& path, const std::string& reason) const {
    expect_refused(paint(path, style_), path, reason);
    expect_refused(paint(content_, path), path, reason);
  }

  std::vector<unsigned char> encoded(const std::string& extension, const cv::Mat& image) const {
    std::vector<unsigned char> bytes;
    EXPECT_TRUE(cv::imencode(extension, image, bytes));
    return bytes;
  }

  void write(const std::string& path, const std::vector<unsigned char>& bytes) const {
    test::write_bytes(path, std::string(bytes.begin(), bytes.end()));
  }

  test::TempDir dir_;
  fs::path in_ = dir_.path() / "in";
  fs::path out_ = dir_.path() / "out";
  std::string content_ = (in_ / "content.png").string();
  std::string style_ = (in_ / "style.png").string();
  std::string output_ = (out_ / "result.png").string();
};

TEST_F(BadInputs, ZeroByteFile) {
  test::write_bytes(in("empty.jpg"), "");
  expect_refused_either_way(in("empty.jpg"), "the file is empty");
}

TEST_F(BadInputs, TruncatedJpeg) {
  auto bytes = encoded(".jpg", test::stripes_image(96, 72));
  bytes.resize(bytes.size() / 2);
  write(in("cut.jpg"), bytes);
  expect_refused_either_way(in("cut.jpg"), "truncated");
}

TEST_F(BadInputs, TruncatedPng) {
  auto bytes = encoded(".png", test::stripes_image(96, 72));
  bytes.resize(bytes.size() / 2);
  write(in("cut.png"), bytes);
  expect_refused_either_way(in("cut.png"), "truncated");
}

TEST_F(BadInputs, CorruptPng) {
  auto bytes = encoded(".png", test::stripes_image(96, 72));
  bytes[bytes.size() / 2] ^= 0xFF;
  write(in("corrupt.png"), bytes);
  expect_refused_either_way(in("corrupt.png"), "CRC");
}

TEST_F(BadInputs, RandomBytesWithAnImageExtension) {
  std::mt19937 generator(5);
  std::string bytes(4096, '\0');
  for (auto& byte : bytes) byte = static_cast<char>(generator() & 0xFF);
  test::write_bytes(in("random.jpg"), bytes);
  expect_refused_either_way(in("random.jpg"), "not an image format");
}

TEST_F(BadInputs, TextFile) {
  test::write_bytes(in("notes.png"), "shopping list: eggs, milk\n");
  expect_refused_either_way(in("notes.png"), "not an image format");
}

TEST_F(BadInputs, FolderNamedLikeAnImage) {
  fs::create_directory(in("folder.jpg"));
  expect_refused_either_way(in("folder.jpg"), "no image files");
}

TEST_F(BadInputs, MissingFile) {
  expect_refused_either_way(in("missing.jpg"), "no such file");
}

TEST_F(BadInputs, SymlinkLoop) {
  fs::create_symlink(in("loop_b.jpg"), in("loop_a.jpg"));
  fs::create_symlink(in("loop_a.jpg"), in("loop_b.jpg"));
  expect_refused_either_way(in("loop_a.jpg"), "symbolic links");
}

TEST_F(BadInputs, FileWithoutReadPermission) {
  const std::string locked = in("locked.png");
  test::write_image(locked, test::gradient_image(96, 72));
  ASSERT_EQ(chmod(locked.c_str(), 0), 0);
  expect_refused(paint_unprivileged(locked, style_), locked, "Permission denied");
  expect_refused(paint_unprivileged(content_, locked), locked, "Permission denied");
}

TEST_F(BadInputs, UnwritableOutputFolderLeavesThePreviousFileAlone) {
  const fs::path locked = out_ / "locked";
  fs::create_directory(locked);
  const std::string output = (locked / "result.png").string();
  test::write_bytes(output, "previous result");
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read |
                              fs::perms::others_exec);
  const auto result = paint_unprivileged(content_, style_, output, "--overwrite");
  EXPECT_TRUE(result.exit_code == 1 || result.exit_code == 2) << result.output;
  EXPECT_NE(result.output.find(output), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("Permission denied"), std::string::npos) << result.output;
  EXPECT_EQ(test::read_bytes(output), "previous result");
  EXPECT_EQ(test::list_folder(locked), std::vector<std::string>{"result.png"});
  fs::permissions(locked, fs::perms::owner_all);  // so that the folder can be cleaned up
}

TEST_F(BadInputs, FullDiskLeavesThePreviousFileAloneAndNoTemporaryFile) {
  // A file size limit of 1 KiB stands in for a full disk: writes past it fail with EFBIG
  // (SIGXFSZ ignored, as a shell script's `trap '' XFSZ` would).
  test::write_bytes(output_, "previous result");
  const auto result = test::run_command(
      "bash -c " +
      shell_quote("trap '' XFSZ; ulimit -f 1; exec " + shell_quote(NST_BINARY) + " --content " +
                  shell_quote(content_) + " --style " + shell_quote(style_) + " -o " +
                  shell_quote(output_) + " --overwrite --size 64 --iterations 3 --model " +
                  shell_quote(NST_TEST_MODEL)));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(
      result.output.find("cannot write image '" + output_ + "': write failed: File too large"),
      std::string::npos)
      << result.output;
  EXPECT_EQ(test::read_bytes(output_), "previous result");
  EXPECT_EQ(test::list_folder(out_), std::vector<std::string>{"result.png"});
}

TEST_F(BadInputs, ExtremeWeightsAndStepsNeverGiveANanImageSilently) {
  // Valid but extreme settings either paint a finite picture or stop with the iteration and
  // scale at which the loss stopped being finite.
  const std::vector<std::string> settings = {
      "--style-weight 1e38",
      "--content-weight 1e-30 --style-weight 1e30",
      "--lr 1e9",
      "--lr 1e-30",
      "--optimizer lbfgs --lr 1e6",
      "--tv-weight 1e30",
      // Shallow layers: at 512 channels each matrix square root takes seconds.
      "--style-loss w2 --style-weight 1e30 --style-layers relu1_1,relu2_1",
  };
  for (const auto& extra : settings) {
    fs::remove_all(out_);
    fs::create_directory(out_);
    const std::string report = (dir_.path() / "report.json").string();
    const auto result = paint(content_, style_, extra + " --report " + shell_quote(report));
    if (result.exit_code == 0) {
      const std::string json = test::read_bytes(report);
      EXPECT_EQ(json.find("nan"), std::string::npos) << extra << "\n" << json;
      EXPECT_EQ(json.find("inf"), std::string::npos) << extra << "\n" << json;
      EXPECT_FALSE(cv::imread(output_).empty()) << extra;
    } else {
      EXPECT_EQ(result.exit_code, 2) << extra << "\n" << result.output;
      EXPECT_NE(result.output.find("at iteration"), std::string::npos) << extra << "\n"
                                                                       << result.output;
      EXPECT_EQ(test::list_folder(out_), std::vector<std::string>{}) << extra;
    }
  }
}

TEST_F(BadInputs, OnePixelIsPaintedAtFullSize) {
  test::write_image(in("one.png"), cv::Mat(1, 1, CV_8UC3, cv::Scalar(10, 200, 30)));
  expect_painted(paint(in("one.png"), style_), 64, 64);
}

TEST_F(BadInputs, OnePixelHighOrWideIsTooThin) {
  test::write_image(in("row.png"), cv::Mat(1, 5000, CV_8UC3, cv::Scalar(90, 90, 90)));
  test::write_image(in("column.png"), cv::Mat(5000, 1, CV_8UC3, cv::Scalar(90, 90, 90)));
  expect_refused(paint(in("row.png"), style_), in("row.png"), "too small");
  expect_refused(paint(in("column.png"), style_), in("column.png"), "too small");
  expect_refused(paint(content_, in("row.png")), in("row.png"), "too small");
}

TEST_F(BadInputs, TooThinAtACoarseScaleIsRefusedBeforeAnyWork) {
  // 64×20 fits the layers (16 px) at --size 64, but its first scale of 32 px would be 32×10.
  test::write_image(in("wide.png"), test::gradient_image(64, 20));
  const auto result = paint(in("wide.png"), style_, "--min-scale 32");
  expect_refused(result, in("wide.png"), "at the scale of 32 px: resized to 32x10 it is too small");
  EXPECT_NE(result.output.find("--min-scale"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("iteration"), std::string::npos) << result.output;
  EXPECT_EQ(test::list_folder(out_), std::vector<std::string>{});
  // The style shrinks with the scales too.
  expect_refused(paint(content_, in("wide.png"), "--min-scale 32"), in("wide.png"),
                 "at the scale of 32 px");
}

TEST_F(BadInputs, GreyAndSixteenBitImagesArePainted) {
  cv::Mat grey;
  cv::cvtColor(test::gradient_image(96, 72), grey, cv::COLOR_BGR2GRAY);
  test::write_image(in("grey.png"), grey);
  expect_painted(paint(in("grey.png"), style_), 64, 48);
  cv::Mat deep;
  test::gradient_image(96, 72).convertTo(deep, CV_16UC3, 257.0);
  test::write_image(in("deep.png"), deep);
  const std::string output = (out_ / "deep.png").string();
  const cv::Mat painted =
      expect_painted(paint(in("deep.png"), in("deep.png"), "", output), 64, 48, output);
  EXPECT_EQ(painted.depth(), CV_8U);  // outputs are 8-bit
}

TEST_F(BadInputs, CmykJpegAndPalettePngAreReadInTheirColours) {
  // OpenCV writes neither; Pillow does. A pure red image in both.
  const auto made = test::run_command(
      std::string(NST_PYTHON) + " -c " +
      shell_quote("import sys; from PIL import Image\n"
                  "Image.new('RGB', (96, 72), (255, 0, 0)).convert('CMYK')"
                  ".save(sys.argv[1], quality=95)\n"
                  "Image.new('RGB', (96, 72), (255, 0, 0)).convert('P', palette=Image.ADAPTIVE)"
                  ".save(sys.argv[2])\n") +
      " " + shell_quote(in("cmyk.jpg")) + " " + shell_quote(in("palette.png")));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  for (const auto* name : {"cmyk.jpg", "palette.png"}) {
    const auto rgb = load_image(in(name), 0).rgb;
    ASSERT_EQ(rgb.sizes(), torch::IntArrayRef({1, 3, 72, 96})) << name;
    EXPECT_GT(rgb[0][0].mean().item<double>(), 230) << name << " red";
    EXPECT_LT(rgb[0][1].mean().item<double>(), 25) << name << " green";
    EXPECT_LT(rgb[0][2].mean().item<double>(), 25) << name << " blue";
    expect_painted(paint(in(name), in(name), "", (out_ / (std::string(name) + ".png")).string()),
                   64, 48, (out_ / (std::string(name) + ".png")).string());
  }
}

TEST_F(BadInputs, AlphaIsKeptInThePng) {
  cv::Mat bgra;
  cv::cvtColor(test::gradient_image(96, 72), bgra, cv::COLOR_BGR2BGRA);
  bgra(cv::Rect(0, 0, 48, 72)).forEach<cv::Vec4b>([](cv::Vec4b& p, const int*) { p[3] = 0; });
  test::write_image(in("alpha.png"), bgra);
  const cv::Mat painted = expect_painted(paint(in("alpha.png"), style_), 64, 48);
  ASSERT_EQ(painted.channels(), 4);
  std::vector<cv::Mat> planes;
  cv::split(painted, planes);
  EXPECT_EQ(cv::countNonZero(planes[3](cv::Rect(0, 0, 30, 48))), 0) << "transparent half";
  EXPECT_EQ(cv::countNonZero(planes[3](cv::Rect(34, 0, 30, 48))), 30 * 48) << "opaque half";
}

TEST_F(BadInputs, ExifRotatedJpegIsPaintedUpright) {
  // Stored 96×72 (landscape) with orientation 6: shown rotated, 72×96 (portrait).
  write(in("rotated.jpg"), test::jpeg_with_orientation(test::gradient_image(96, 72), 6));
  expect_painted(paint(in("rotated.jpg"), style_), 48, 64);
}

TEST_F(BadInputs, PathsWithSpacesAndNonAsciiCharacters) {
  const fs::path folder = in_ / "mes images à peindre";
  fs::create_directory(folder);
  const std::string content = (folder / "tortue de mer 🐢.png").string();
  const std::string style = (folder / "la vague ー 波.jpg").string();
  test::write_image(content, test::gradient_image(96, 72));
  test::write_image(style, test::stripes_image(64, 64));
  const std::string output = (out_ / "résultat final.png").string();
  expect_painted(paint(content, style, "", output), 64, 48, output);
  fs::remove(output);
  // Errors name such paths intact too.
  const std::string missing = (folder / "absente ü.png").string();
  expect_refused(paint(missing, style), missing, "no such file");
}

TEST_F(BadInputs, HeaderClaimingFiftyThousandSquaredPixels) {
  // A valid 8×8 PNG and JPEG whose headers were edited to claim 50000×50000.
  auto png = encoded(".png", test::gradient_image(8, 8));
  for (int i = 0; i < 4; ++i) {
    png[16 + i] = static_cast<unsigned char>(50000u >> (24 - 8 * i));
    png[20 + i] = static_cast<unsigned char>(50000u >> (24 - 8 * i));
  }
  write(in("huge.png"), png);
  auto jpeg = encoded(".jpg", test::gradient_image(8, 8));
  for (size_t i = 2; i + 8 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {  // baseline start of frame
      jpeg[i + 5] = jpeg[i + 7] = 50000 >> 8;
      jpeg[i + 6] = jpeg[i + 8] = 50000 & 0xFF;
      break;
    }
  }
  write(in("huge.jpg"), jpeg);
  for (const auto* name : {"huge.png", "huge.jpg"}) {
    expect_refused_either_way(in(name), "50000x50000 pixels");
  }
  // Without our limit, OpenCV's own (2^30 pixels) still refuses the PNG cleanly. (libjpeg
  // would decode the JPEG at 1/8 scale, padding the missing data with grey and saying so.)
  expect_refused(paint(in("huge.png"), style_, "--max-input-pixels 0"), in("huge.png"), "");
}

TEST_F(BadInputs, MaxInputPixelsIsAFlag) {
  expect_refused(paint(content_, style_, "--max-input-pixels 1000"), content_,
                 "96x72 pixels, more than the limit of 1000 pixels");
  expect_painted(paint(content_, style_, "--max-input-pixels 6912"), 64, 48);
}

TEST_F(BadInputs, SizeBeyondMemoryFailsUpFrontWithTheEstimate) {
  // Never tiled, the whole image's activations (hundreds of GB) are refused.
  const auto whole = paint(content_, style_, "--size 16000 --tile off");
  expect_refused(whole, content_, "16000x12000): it needs about");
  EXPECT_NE(whole.output.find(" GB of memory"), std::string::npos) << whole.output;
  EXPECT_NE(whole.output.find("or use --tile auto"), std::string::npos) << whole.output;
}

TEST_F(BadInputs, MemoryLimitsAreKeptOrRefusedWithTheirNumbers) {
  // The full-size buffers of 4096x3072 (about 2 GB) fit no tiling under 1 GB.
  const auto print = paint(content_, style_, "--size 4096 --memory-limit 1G");
  expect_refused(print, content_, "4096x3072): its full-size buffers alone");
  EXPECT_NE(print.output.find("--memory-limit allows 1.0 GB"), std::string::npos) << print.output;
  // The process alone takes more than 100 MB.
  expect_refused(paint(content_, style_, "--memory-limit 100Mi"), content_,
                 "--memory-limit allows 0.1 GB");
  // Bad values of the flags.
  for (const char* flag : {"--memory-limit 6X", "--memory-limit 0", "--tile 8", "--tile many"}) {
    const auto bad = paint(content_, style_, flag);
    EXPECT_NE(bad.exit_code, 0) << flag << "\n" << bad.output;
    EXPECT_NE(bad.output.find(std::string(flag).substr(0, std::string(flag).find(' '))),
              std::string::npos)
        << bad.output;
    EXPECT_EQ(test::list_folder(out_), std::vector<std::string>{}) << flag;
  }
  // A tile smaller than the deepest layer's halo.
  const auto small = paint(content_, style_, "--tile 64");
  EXPECT_NE(small.exit_code, 0) << small.output;
  EXPECT_NE(small.output.find("--tile 64 is smaller than the 96 px halo relu5_2 needs"),
            std::string::npos)
      << small.output;
}

}  // namespace
}  // namespace nst
