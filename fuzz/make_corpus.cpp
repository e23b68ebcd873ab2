// Writes the fuzzer's starting corpus: one small image in each format and variant OpenCV decodes
// (and the loader treats specially: EXIF orientation, alpha, grey, 16-bit, float), then checks
// that each file decodes back to its size. Usage: nst_fuzz_corpus FOLDER
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

namespace {

cv::Mat gradient(int width, int height) {
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = {static_cast<uint8_t>(255 * x / width),
                                   static_cast<uint8_t>(255 * y / height),
                                   static_cast<uint8_t>((x * 7 + y * 13) % 256)};
    }
  }
  return image;
}

// A JPEG with an EXIF segment saying "rotate 90° clockwise to display" (orientation 6).
std::vector<unsigned char> rotated_jpeg(const cv::Mat& image) {
  std::vector<unsigned char> jpeg;
  cv::imencode(".jpg", image, jpeg);
  // clang-format off
  const std::vector<unsigned char> segment = {
      0xFF, 0xE1, 0, 34, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', '*', 0, 8, 0, 0, 0,
      1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0};
  // clang-format on
  jpeg.insert(jpeg.begin() + 2, segment.begin(), segment.end());
  return jpeg;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FOLDER\n", argv[0]);
    return 2;
  }
  const std::filesystem::path folder = argv[1];
  std::filesystem::create_directories(folder);

  const cv::Mat colour = gradient(20, 14);
  cv::Mat grey, alpha, deep, floats;
  cv::cvtColor(colour, grey, cv::COLOR_BGR2GRAY);
  cv::cvtColor(colour, alpha, cv::COLOR_BGR2BGRA);
  colour.convertTo(deep, CV_16UC3, 257.0);
  colour.convertTo(floats, CV_32FC3, 1.0 / 255);

  struct Entry {
    std::string name;
    cv::Mat image;
    std::vector<int> params;
  };
  const std::vector<Entry> entries = {
      {"colour.png", colour, {}},
      {"grey.png", grey, {}},
      {"alpha.png", alpha, {}},
      {"deep.png", deep, {}},
      {"colour.jpg", colour, {}},
      {"progressive.jpg", colour, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}},
      {"grey.jpg", grey, {}},
      {"colour.bmp", colour, {}},
      {"alpha.tif", alpha, {}},
      {"deep.tif", deep, {}},
      {"lossy.webp", colour, {cv::IMWRITE_WEBP_QUALITY, 80}},
      {"lossless.webp", alpha, {cv::IMWRITE_WEBP_QUALITY, 101}},
      {"colour.ppm", colour, {}},
      {"grey.pgm", grey, {}},
      {"colour.pam", colour, {}},
      {"colour.ras", colour, {}},
      {"floats.pfm", floats, {}},
      {"floats.hdr", floats, {}},
  };
  int failures = 0;
  auto write = [&](const std::string& name, const std::vector<unsigned char>& bytes,
                   cv::Size expected) {
    std::ofstream(folder / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    const cv::Mat back = cv::imdecode(bytes, cv::IMREAD_UNCHANGED | cv::IMREAD_ANYDEPTH);
    if (back.size() != expected) {
      std::fprintf(stderr, "%s does not decode back to its size\n", name.c_str());
      ++failures;
    }
  };
  for (const auto& entry : entries) {
    std::vector<unsigned char> bytes;
    if (!cv::imencode(entry.name.substr(entry.name.find('.')), entry.image, bytes, entry.params)) {
      std::fprintf(stderr, "cannot encode %s\n", entry.name.c_str());
      ++failures;
      continue;
    }
    write(entry.name, bytes, entry.image.size());
  }
  write("rotated.jpg", rotated_jpeg(colour), colour.size());  // IMREAD_UNCHANGED: not rotated
  std::printf("%zu starting inputs in %s\n", entries.size() + 1, folder.c_str());
  return failures == 0 ? 0 : 1;
}
