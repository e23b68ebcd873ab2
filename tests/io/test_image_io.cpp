#include <gtest/gtest.h>
#include <sys/stat.h>
#include <torch/types.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "nst/engine/error.h"
#include "nst/io/image_io.h"
#include "test_images.h"

namespace nst {
namespace {
namespace fs = std::filesystem;
using test::TempDir;

// Runs `action`, expecting nst::Error with `code` and `path` in its message.
template <typename Action>
void expect_error(ErrorCode code, const std::string& path, Action action) {
  try {
    action();
    ADD_FAILURE() << "no nst::Error for " << path;
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), code) << error.what();
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
}

// A random-looking but deterministic 8-bit [1, 3, H, W] tensor.
torch::Tensor integer_image(int64_t height, int64_t width) {
  torch::manual_seed(11);
  return torch::randint(0, 256, {1, 3, height, width}).to(torch::kFloat32);
}

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

TEST(ImageIo, PngRoundTripKeepsPixels) {
  TempDir dir;
  const auto rgb = integer_image(20, 30);
  save_image(dir.file("out.png"), rgb);
  const Image loaded = load_image(dir.file("out.png"), 0);
  ASSERT_EQ(loaded.rgb.sizes(), torch::IntArrayRef({1, 3, 20, 30}));
  EXPECT_EQ(loaded.rgb.scalar_type(), torch::kFloat32);
  EXPECT_LE(max_difference(loaded.rgb, rgb), 1.0);
  EXPECT_TRUE(loaded.alpha.empty());
}

TEST(ImageIo, ChannelOrderIsRgbInTensorsAndBgrInOpenCv) {
  TempDir dir;
  cv::Mat bgr(4, 4, CV_8UC3, cv::Scalar(10, 20, 230));  // mostly red
  test::write_image(dir.file("red.png"), bgr);
  const Image loaded = load_image(dir.file("red.png"), 0);
  EXPECT_EQ(loaded.rgb[0][0][0][0].item<float>(), 230.0f);
  EXPECT_EQ(loaded.rgb[0][1][0][0].item<float>(), 20.0f);
  EXPECT_EQ(loaded.rgb[0][2][0][0].item<float>(), 10.0f);
  const cv::Mat back = tensor_to_bgr8(loaded.rgb);
  EXPECT_EQ(back.at<cv::Vec3b>(3, 3), cv::Vec3b(10, 20, 230));
}

TEST(ImageIo, TensorToBgr8RoundsAndClamps) {
  auto rgb = torch::zeros({1, 3, 1, 3});
  rgb[0][0] = torch::tensor({-5.0f, 127.6f, 300.0f});
  rgb[0][1] = torch::tensor({0.4f, 254.5f, 1e9f});
  const cv::Mat bgr = tensor_to_bgr8(rgb);
  ASSERT_EQ(bgr.type(), CV_8UC3);
  EXPECT_EQ(bgr.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));
  EXPECT_EQ(bgr.at<cv::Vec3b>(0, 1)[2], 128);
  EXPECT_EQ(bgr.at<cv::Vec3b>(0, 2), cv::Vec3b(0, 255, 255));
}

TEST(ImageIo, ResizeKeepsTheAspectRatio) {
  TempDir dir;
  test::write_image(dir.file("wide.png"), test::gradient_image(200, 100));
  test::write_image(dir.file("tall.png"), test::gradient_image(100, 200));
  EXPECT_EQ(load_image(dir.file("wide.png"), 64).rgb.sizes(), torch::IntArrayRef({1, 3, 32, 64}));
  EXPECT_EQ(load_image(dir.file("tall.png"), 64).rgb.sizes(), torch::IntArrayRef({1, 3, 64, 32}));
  // Upscaling is allowed too, and stays within 0..255 despite bicubic overshoot.
  test::write_image(dir.file("small.png"), test::stripes_image(16, 12));
  const auto big = load_image(dir.file("small.png"), 64).rgb;
  EXPECT_EQ(big.sizes(), torch::IntArrayRef({1, 3, 48, 64}));
  EXPECT_GE(big.min().item<double>(), 0.0);
  EXPECT_LE(big.max().item<double>(), 255.0);
}

TEST(ImageIo, GreyImagesLoadAsRgb) {
  TempDir dir;
  cv::Mat grey(6, 8, CV_8UC1);
  for (int y = 0; y < grey.rows; ++y) {
    for (int x = 0; x < grey.cols; ++x) grey.at<uchar>(y, x) = static_cast<uchar>(30 * y + x);
  }
  test::write_image(dir.file("grey.png"), grey);
  const auto rgb = load_image(dir.file("grey.png"), 0).rgb;
  ASSERT_EQ(rgb.sizes(), torch::IntArrayRef({1, 3, 6, 8}));
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(rgb[0][c][5][7].item<float>(), 157.0f) << "channel " << c;
    EXPECT_EQ(rgb[0][c][0][0].item<float>(), 0.0f) << "channel " << c;
  }
}

TEST(ImageIo, SixteenBitImagesAreScaledTo255) {
  TempDir dir;
  // B full, G zero, R half (128·257 maps to exactly 128).
  cv::Mat deep(5, 7, CV_16UC3, cv::Scalar(65535, 0, 128 * 257));
  test::write_image(dir.file("deep.png"), deep);
  const auto rgb = load_image(dir.file("deep.png"), 0).rgb;
  ASSERT_EQ(rgb.sizes(), torch::IntArrayRef({1, 3, 5, 7}));
  EXPECT_NEAR(rgb[0][0].mean().item<double>(), 128.0, 1e-3);
  EXPECT_NEAR(rgb[0][1].mean().item<double>(), 0.0, 1e-3);
  EXPECT_NEAR(rgb[0][2].mean().item<double>(), 255.0, 1e-3);

  cv::Mat deep_grey(5, 7, CV_16UC1, cv::Scalar(100 * 257));
  test::write_image(dir.file("deep_grey.png"), deep_grey);
  const auto grey = load_image(dir.file("deep_grey.png"), 0).rgb;
  ASSERT_EQ(grey.sizes(), torch::IntArrayRef({1, 3, 5, 7}));
  EXPECT_NEAR(grey.min().item<double>(), 100.0, 1e-3);
  EXPECT_NEAR(grey.max().item<double>(), 100.0, 1e-3);
}

cv::Mat alpha_ramp(int width, int height) {
  cv::Mat alpha(height, width, CV_8UC1);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x)
      alpha.at<uchar>(y, x) = static_cast<uchar>((x * 255) / (width - 1));
  }
  return alpha;
}

cv::Mat with_alpha(const cv::Mat& bgr, const cv::Mat& alpha) {
  cv::Mat bgra;
  cv::merge(std::vector<cv::Mat>{bgr, alpha}, bgra);
  return bgra;
}

TEST(ImageIo, AlphaIsLoadedAside) {
  TempDir dir;
  const cv::Mat bgr = test::gradient_image(16, 10);
  const cv::Mat alpha = alpha_ramp(16, 10);
  test::write_image(dir.file("rgba.png"), with_alpha(bgr, alpha));
  const Image loaded = load_image(dir.file("rgba.png"), 0);
  ASSERT_EQ(loaded.rgb.sizes(), torch::IntArrayRef({1, 3, 10, 16}));
  ASSERT_EQ(loaded.alpha.type(), CV_8UC1);
  ASSERT_EQ(loaded.alpha.size(), cv::Size(16, 10));
  EXPECT_EQ(cv::norm(loaded.alpha, alpha, cv::NORM_INF), 0.0);
  // Colour is not premultiplied or otherwise touched by the alpha.
  EXPECT_EQ(cv::norm(tensor_to_bgr8(loaded.rgb), bgr, cv::NORM_INF), 0.0);
}

TEST(ImageIo, AlphaIsResizedWithTheImage) {
  TempDir dir;
  test::write_image(dir.file("rgba.png"),
                    with_alpha(test::gradient_image(40, 20), alpha_ramp(40, 20)));
  const Image loaded = load_image(dir.file("rgba.png"), 20);
  EXPECT_EQ(loaded.rgb.sizes(), torch::IntArrayRef({1, 3, 10, 20}));
  EXPECT_EQ(loaded.alpha.size(), cv::Size(20, 10));
}

TEST(ImageIo, SixteenBitAlphaIsScaledTo255) {
  TempDir dir;
  cv::Mat bgra(4, 4, CV_16UC4, cv::Scalar(0, 0, 65535, 128 * 257));
  test::write_image(dir.file("deep_rgba.png"), bgra);
  const Image loaded = load_image(dir.file("deep_rgba.png"), 0);
  ASSERT_EQ(loaded.alpha.type(), CV_8UC1);
  EXPECT_EQ(cv::norm(loaded.alpha, cv::Mat(4, 4, CV_8UC1, cv::Scalar(128)), cv::NORM_INF), 0.0);
}

TEST(ImageIo, PngKeepsAlphaAndJpegDropsIt) {
  TempDir dir;
  const cv::Mat bgr = test::gradient_image(16, 10);
  const cv::Mat alpha = alpha_ramp(16, 10);
  const auto rgb = bgr_to_tensor(bgr);

  save_image(dir.file("out.png"), rgb, alpha);
  const cv::Mat png = cv::imread(dir.file("out.png"), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(png.channels(), 4);
  std::vector<cv::Mat> planes;
  cv::split(png, planes);
  EXPECT_EQ(cv::norm(planes[3], alpha, cv::NORM_INF), 0.0);
  EXPECT_TRUE(keeps_alpha(dir.file("out.png")));

  EXPECT_NO_THROW(save_image(dir.file("out.jpg"), rgb, alpha));
  const cv::Mat jpg = cv::imread(dir.file("out.jpg"), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(jpg.empty());
  EXPECT_EQ(jpg.channels(), 3);
  EXPECT_EQ(jpg.size(), cv::Size(16, 10));
  EXPECT_FALSE(keeps_alpha(dir.file("out.jpg")));
}

TEST(ImageIo, KeepsAlphaByExtension) {
  EXPECT_TRUE(keeps_alpha("a.png"));
  EXPECT_TRUE(keeps_alpha("dir.x/a.PNG"));
  EXPECT_TRUE(keeps_alpha("a.tiff"));
  EXPECT_TRUE(keeps_alpha("a.webp"));
  EXPECT_FALSE(keeps_alpha("a.jpg"));
  EXPECT_FALSE(keeps_alpha("a.jpeg"));
  EXPECT_FALSE(keeps_alpha("a.bmp"));
  EXPECT_FALSE(keeps_alpha("png"));
}

// Mean RGB of a block of a [1, 3, H, W] tensor.
std::vector<double> block_mean(const torch::Tensor& rgb, int64_t y, int64_t x, int64_t size) {
  const auto block = rgb[0].slice(1, y, y + size).slice(2, x, x + size);
  return {block[0].mean().item<double>(), block[1].mean().item<double>(),
          block[2].mean().item<double>()};
}

TEST(ImageIo, ExifOrientationIsHonoured) {
  // 48 wide, 32 high, grey with a red block in the top-left corner.
  cv::Mat source(32, 48, CV_8UC3, cv::Scalar(128, 128, 128));
  source(cv::Rect(0, 0, 12, 12)).setTo(cv::Scalar(0, 0, 255));
  const auto bytes = test::jpeg_with_orientation(source, 6);  // rotate 90° clockwise to display

  const Image image = decode_image(bytes, "rotated.jpg", 0);
  ASSERT_EQ(image.rgb.sizes(), torch::IntArrayRef({1, 3, 48, 32}));
  const auto top_right = block_mean(image.rgb, 2, 32 - 10, 8);
  EXPECT_GT(top_right[0], 200) << "red block expected top-right";
  EXPECT_LT(top_right[1], 60);
  EXPECT_LT(top_right[2], 60);
  const auto top_left = block_mean(image.rgb, 2, 2, 8);
  EXPECT_NEAR(top_left[0], 128, 20) << "grey expected top-left";

  // The resize happens after the rotation: the long side is now the height.
  EXPECT_EQ(decode_image(bytes, "rotated.jpg", 24).rgb.sizes(), torch::IntArrayRef({1, 3, 24, 16}));
}

TEST(ImageIo, ExifOrientationOneChangesNothing) {
  cv::Mat source(32, 48, CV_8UC3, cv::Scalar(128, 128, 128));
  source(cv::Rect(0, 0, 12, 12)).setTo(cv::Scalar(0, 0, 255));
  const Image image = decode_image(test::jpeg_with_orientation(source, 1), "upright.jpg", 0);
  ASSERT_EQ(image.rgb.sizes(), torch::IntArrayRef({1, 3, 32, 48}));
  EXPECT_GT(block_mean(image.rgb, 2, 2, 8)[0], 200);
}

TEST(CheckOutputPath, AcceptsAWritablePathAndLeavesNothingBehind) {
  TempDir dir;
  EXPECT_NO_THROW(check_output_path(dir.file("out.png")));
  EXPECT_NO_THROW(check_output_path(dir.file("OUT.JPG")));
  EXPECT_NO_THROW(check_output_path(dir.file("out.jpeg")));
  EXPECT_TRUE(test::list_folder(dir.path()).empty());
}

TEST(CheckOutputPath, RejectsAnUnknownExtension) {
  TempDir dir;
  const auto path = dir.file("out.xyz");
  expect_error(ErrorCode::kImageWrite, path, [&] { check_output_path(path); });
}

TEST(CheckOutputPath, RejectsAPathWithoutExtension) {
  TempDir dir;
  const auto path = dir.file("out");
  expect_error(ErrorCode::kImageWrite, path, [&] { check_output_path(path); });
}

TEST(CheckOutputPath, RejectsAMissingFolder) {
  TempDir dir;
  const auto path = dir.file("missing/out.png");
  expect_error(ErrorCode::kImageWrite, path, [&] { check_output_path(path); });
}

TEST(CheckOutputPath, RejectsARegularFileAsFolder) {
  TempDir dir;
  test::write_bytes(dir.file("plain"), "not a folder");
  const auto path = dir.file("plain/out.png");
  expect_error(ErrorCode::kImageWrite, path, [&] { check_output_path(path); });
}

TEST(CheckOutputPath, RejectsAnExistingFolder) {
  TempDir dir;
  fs::create_directory(dir.file("folder.png"));
  const auto path = dir.file("folder.png");
  expect_error(ErrorCode::kImageWrite, path, [&] { check_output_path(path); });
}

TEST(SaveImage, LeavesOnlyTheOutputInTheFolder) {
  TempDir dir;
  save_image(dir.file("out.png"), integer_image(8, 8));
  save_image(dir.file("out.jpg"), integer_image(8, 8));
  EXPECT_EQ(test::list_folder(dir.path()), (std::vector<std::string>{"out.jpg", "out.png"}));
}

TEST(SaveImage, ReplacesAnExistingFileByRenaming) {
  TempDir dir;
  const auto path = dir.file("out.png");
  test::write_bytes(path, "old contents");
  // A second name for the old file: an in-place rewrite would change what it shows.
  fs::create_hard_link(path, dir.file("old_link"));

  const auto rgb = integer_image(12, 9);
  save_image(path, rgb);
  EXPECT_EQ(test::read_bytes(dir.file("old_link")), "old contents");
  const Image loaded = load_image(path, 0);
  EXPECT_LE(max_difference(loaded.rgb, rgb), 1.0);
  EXPECT_EQ(test::list_folder(dir.path()), (std::vector<std::string>{"old_link", "out.png"}));
}

TEST(SaveImage, CreatesFilesWithUsualPermissions) {
  TempDir dir;
  const auto path = dir.file("out.png");
  save_image(path, integer_image(4, 4));
  struct stat info {};
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  const mode_t mask = umask(0);
  umask(mask);
  EXPECT_EQ(info.st_mode & 0777, 0666 & ~mask);
}

TEST(SaveImage, RefusesABadPathWithoutWritingAnything) {
  TempDir dir;
  const auto path = dir.file("out.xyz");
  expect_error(ErrorCode::kImageWrite, path, [&] { save_image(path, integer_image(4, 4)); });
  const auto missing = dir.file("missing/out.png");
  expect_error(ErrorCode::kImageWrite, missing, [&] { save_image(missing, integer_image(4, 4)); });
  EXPECT_TRUE(test::list_folder(dir.path()).empty());
}

TEST(SaveImage, AFailedEncodeLeavesThePreviousFileAlone) {
  TempDir dir;
  const auto path = dir.file("wide.jpg");
  test::write_bytes(path, "previous");
  // JPEG cannot hold a side over 65535 pixels.
  expect_error(ErrorCode::kImageWrite, path, [&] {
    save_image(path, torch::zeros({1, 3, 1, 70000}));
  });
  EXPECT_EQ(test::read_bytes(path), "previous");
  EXPECT_EQ(test::list_folder(dir.path()), std::vector<std::string>{"wide.jpg"});
}

TEST(LoadImage, ReportsAMissingFile) {
  TempDir dir;
  const auto path = dir.file("missing.png");
  expect_error(ErrorCode::kImageRead, path, [&] { load_image(path, 0); });
}

TEST(LoadImage, ReportsAFolder) {
  TempDir dir;
  fs::create_directory(dir.file("folder.png"));
  const auto path = dir.file("folder.png");
  expect_error(ErrorCode::kImageRead, path, [&] { load_image(path, 0); });
}

TEST(LoadImage, ReportsAnEmptyFile) {
  TempDir dir;
  const auto path = dir.file("empty.png");
  test::write_bytes(path, "");
  expect_error(ErrorCode::kImageRead, path, [&] { load_image(path, 64); });
}

TEST(LoadImage, ReportsATextFileNamedPng) {
  TempDir dir;
  const auto path = dir.file("text.png");
  test::write_bytes(path, "this is not an image\n");
  expect_error(ErrorCode::kImageRead, path, [&] { load_image(path, 64); });
}

TEST(LoadImage, ReportsATruncatedPng) {
  TempDir dir;
  std::vector<unsigned char> png;
  ASSERT_TRUE(cv::imencode(".png", test::stripes_image(64, 64), png));
  const auto path = dir.file("cut.png");
  test::write_bytes(path, std::string(png.begin(), png.begin() + png.size() / 3));
  expect_error(ErrorCode::kImageRead, path, [&] { load_image(path, 0); });
}

TEST(DecodeImage, NamesTheGivenNameInErrors) {
  const std::vector<unsigned char> junk = {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'g'};
  expect_error(ErrorCode::kImageRead, "memory.png", [&] { decode_image(junk, "memory.png", 0); });
}

// Runs `action`, expecting nst::Error whose message holds each of `parts`.
template <typename Action>
void expect_message(const std::vector<std::string>& parts, Action action) {
  try {
    action();
    ADD_FAILURE() << "no nst::Error";
  } catch (const Error& error) {
    for (const auto& part : parts) {
      EXPECT_NE(std::string(error.what()).find(part), std::string::npos)
          << "expected '" << part << "' in: " << error.what();
    }
  }
}

// A PNG whose IHDR claims `width`×`height`, with a correct CRC, and no pixel data for them.
std::vector<unsigned char> png_claiming(uint32_t width, uint32_t height) {
  std::vector<unsigned char> png;
  EXPECT_TRUE(cv::imencode(".png", test::gradient_image(8, 8), png));
  for (int i = 0; i < 4; ++i) {
    png[16 + i] = static_cast<unsigned char>(width >> (24 - 8 * i));
    png[20 + i] = static_cast<unsigned char>(height >> (24 - 8 * i));
  }
  const uLong crc = crc32(crc32(0L, Z_NULL, 0), png.data() + 12, 17);
  for (int i = 0; i < 4; ++i) png[29 + i] = static_cast<unsigned char>(crc >> (24 - 8 * i));
  return png;
}

TEST(DecodeImage, RefusesAHugeHeaderBeforeDecoding) {
  expect_message({"huge.png", "50000x50000 pixels (2500.0 MP)", "limit of 100000000 pixels",
                  "--max-input-pixels"},
                 [] { decode_image(png_claiming(50000, 50000), "huge.png", 64); });
}

TEST(DecodeImage, HonoursALowerPixelLimit) {
  std::vector<unsigned char> png;
  ASSERT_TRUE(cv::imencode(".png", test::gradient_image(100, 50), png));
  EXPECT_NO_THROW(decode_image(png, "ok.png", 0, 5000));
  expect_message({"small.png", "100x50", "limit of 4999 pixels"},
                 [&] { decode_image(png, "small.png", 0, 4999); });
}

TEST(DecodeImage, WithoutALimitTheDecoderStillRefusesAnImpossibleHeader) {
  expect_message({"huge.png"}, [] { decode_image(png_claiming(50000, 50000), "huge.png", 64, 0); });
}

TEST(DecodeImage, RefusesAZeroSizedHeader) {
  expect_message({"empty.png", "0x7"}, [] { decode_image(png_claiming(0, 7), "empty.png", 0); });
}

TEST(DecodeImage, ReportsATruncatedJpegInsteadOfDecodingHalf) {
  std::vector<unsigned char> jpeg;
  ASSERT_TRUE(cv::imencode(".jpg", test::stripes_image(64, 64), jpeg));
  jpeg.resize(jpeg.size() * 2 / 3);
  expect_message({"cut.jpg", "truncated"}, [&] { decode_image(jpeg, "cut.jpg", 0); });
}

TEST(DecodeImage, NonFinitePixelsOfFloatFormatsBecomeFinite) {
  // Found by fuzzing: a PFM may hold NaN and infinities, which would make every loss NaN.
  cv::Mat floats(8, 8, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5));
  floats.at<cv::Vec3f>(1, 1) = {std::nanf(""), INFINITY, -INFINITY};
  std::vector<unsigned char> pfm;
  ASSERT_TRUE(cv::imencode(".pfm", floats, pfm));
  const auto rgb = decode_image(pfm, "odd.pfm", 0).rgb;
  EXPECT_TRUE(rgb.isfinite().all().item<bool>());
  EXPECT_GE(rgb.min().item<float>(), 0.0f);
  EXPECT_LE(rgb.max().item<float>(), 255.0f);
}

TEST(DecodeImage, LargeJpegsDecodeReducedAndLookTheSame) {
  // 800×600 to a long side of 100: decoded at 1/4 (200×150) by libjpeg, then shrunk.
  const cv::Mat source = test::gradient_image(800, 600);
  std::vector<unsigned char> jpeg;
  ASSERT_TRUE(cv::imencode(".jpg", source, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95}));
  const auto reduced = decode_image(jpeg, "big.jpg", 100).rgb;
  ASSERT_EQ(reduced.sizes(), torch::IntArrayRef({1, 3, 75, 100}));
  cv::Mat expected;
  cv::resize(cv::imdecode(jpeg, cv::IMREAD_COLOR), expected, {100, 75}, 0, 0, cv::INTER_AREA);
  const auto difference = (reduced - bgr_to_tensor(expected)).abs();
  EXPECT_LT(difference.mean().item<double>(), 1.5);
  EXPECT_LT(difference.max().item<double>(), 12.0);
}

}  // namespace
}  // namespace nst
