// Header reading and structure checks on images OpenCV encodes, and on every cut-off prefix
// of them: the readers must never read out of bounds nor invent a size.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "nst/io/image_header.h"
#include "test_images.h"

namespace nst {
namespace {

std::vector<unsigned char> encode(const std::string& extension, const cv::Mat& image,
                                  const std::vector<int>& params = {}) {
  std::vector<unsigned char> bytes;
  EXPECT_TRUE(cv::imencode(extension, image, bytes, params)) << extension;
  return bytes;
}

struct Case {
  std::string extension;
  std::string format;
  std::vector<int> params;
  bool as_float = false;  // PFM and HDR hold floats
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {".png", "png", {}},
      {".jpg", "jpeg", {}},
      {".jpg", "jpeg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}},
      {".bmp", "bmp", {}},
      {".tif", "tiff", {}},
      {".webp", "webp", {cv::IMWRITE_WEBP_QUALITY, 80}},   // lossy
      {".webp", "webp", {cv::IMWRITE_WEBP_QUALITY, 101}},  // lossless
      {".ppm", "pnm", {}},
      {".pgm", "pnm", {}},
      {".ppm", "pnm", {cv::IMWRITE_PXM_BINARY, 0}},  // ASCII
      {".pam", "pnm", {}},
      {".ras", "sunras", {}},
      {".pfm", "pfm", {}, true},
      {".hdr", "hdr", {}, true},
  };
  return all;
}

cv::Mat sample(bool as_float) {
  cv::Mat image = test::gradient_image(37, 23);
  if (as_float) image.convertTo(image, CV_32FC3, 1.0 / 255);
  return image;
}

// The case's image encoded in its format: grey for PGM, float for PFM and HDR.
std::vector<unsigned char> encode(const Case& c) {
  cv::Mat image = sample(c.as_float);
  if (c.extension == ".pgm") cv::cvtColor(image, image, cv::COLOR_BGR2GRAY);
  return encode(c.extension, image, c.params);
}

TEST(ReadImageHeader, ReadsTheSizeOfEveryFormatOpenCvWrites) {
  for (const auto& c : cases()) {
    const auto header = read_image_header(encode(c));
    ASSERT_TRUE(header) << c.extension;
    EXPECT_EQ(header->format, c.format) << c.extension;
    EXPECT_EQ(header->width, 37) << c.extension;
    EXPECT_EQ(header->height, 23) << c.extension;
  }
}

TEST(ReadImageHeader, NeverInventsASizeFromACutOffHeader) {
  for (const auto& c : cases()) {
    const auto bytes = encode(c);
    for (size_t n = 0; n < std::min<size_t>(bytes.size(), 400); ++n) {
      const auto header = read_image_header({bytes.begin(), bytes.begin() + n});
      // A prefix may already hold the whole header; then the size must be the right one.
      if (header) {
        EXPECT_EQ(header->width, 37) << c.extension << " cut at " << n;
        EXPECT_EQ(header->height, 23) << c.extension << " cut at " << n;
      }
    }
  }
}

TEST(ReadImageHeader, FindsTheFrameAfterAnExifSegment) {
  const auto header = read_image_header(test::jpeg_with_orientation(sample(false), 6));
  ASSERT_TRUE(header);
  EXPECT_EQ(header->width, 37);  // as stored: the rotation is the decoder's business
  EXPECT_EQ(header->height, 23);
}

TEST(ReadImageHeader, KnowsNothingOfOtherBytes) {
  EXPECT_FALSE(read_image_header({}));
  EXPECT_FALSE(read_image_header({'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'}));
  EXPECT_FALSE(read_image_header({0xFF, 0xD8, 0xFF, 0xD9}));  // a JPEG with no frame
}

TEST(FindStructureProblem, AcceptsCompleteFiles) {
  for (const auto& c : cases()) {
    EXPECT_FALSE(find_structure_problem(encode(c))) << c.extension;
  }
  EXPECT_FALSE(find_structure_problem(test::jpeg_with_orientation(sample(false), 6)));
}

TEST(FindStructureProblem, FindsEveryCutOfAJpegOrPng) {
  for (const std::string extension : {".jpg", ".png"}) {
    const auto bytes = encode(extension, sample(false));
    // From the end of the PNG signature (shorter prefixes are not recognisably PNG or JPEG).
    for (size_t n = 8; n < bytes.size() - 1; n += 7) {
      const auto problem = find_structure_problem({bytes.begin(), bytes.begin() + n});
      ASSERT_TRUE(problem) << extension << " cut at " << n;
      EXPECT_NE(problem->find("truncated"), std::string::npos) << *problem;
    }
  }
}

TEST(FindStructureProblem, FindsACorruptPngChunk) {
  auto bytes = encode(".png", sample(false));
  bytes[bytes.size() / 2] ^= 0x55;  // inside IDAT
  const auto problem = find_structure_problem(bytes);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("'IDAT' fails its CRC check"), std::string::npos) << *problem;
}

}  // namespace
}  // namespace nst
