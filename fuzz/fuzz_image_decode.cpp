// libFuzzer target: arbitrary bytes through the image loading and preprocessing path
// (header and structure checks, OpenCV decode, EXIF orientation, alpha, resize, conversion to
// the engine's tensor). A thrown nst::Error is the expected way to refuse junk; anything else
// (a crash, a sanitizer report, an image that breaks the loader's promises, a temporary file
// OpenCV left behind) is a finding.
#include <torch/types.h>
#include <torch/utils.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <opencv2/core/utility.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <string>
#include <vector>

#include "nst/engine/error.h"
#include "nst/io/image_io.h"

namespace {

// The loader's promises: RGB in 0..255, the longer side at the requested length, and an alpha
// plane, if any, of the image's size.
void check(const nst::Image& image, int64_t long_side) {
  const auto& rgb = image.rgb;
  const bool shape_ok = rgb.dim() == 4 && rgb.size(0) == 1 && rgb.size(1) == 3 &&
                        std::max(rgb.size(2), rgb.size(3)) == long_side;
  const bool values_ok = rgb.isfinite().all().item<bool>() && rgb.min().item<float>() >= 0 &&
                         rgb.max().item<float>() <= 255;
  const bool alpha_ok =
      image.alpha.empty() || (image.alpha.rows == rgb.size(2) && image.alpha.cols == rgb.size(3));
  if (!shape_ok || !values_ok || !alpha_ok) __builtin_trap();
}

// OpenCV decodes some formats from a temporary file; each input's must be gone after it.
std::string temporary_folder;

bool temporary_files_left() {
  std::error_code ec;
  return !std::filesystem::is_empty(temporary_folder, ec) && !ec;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // As the CLI does: OpenCV's own decoders held to the pixel limit, and kept quiet.
  setenv("OPENCV_IO_MAX_IMAGE_PIXELS", "262144", /*overwrite=*/1);
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  // Inputs are tiny: waking thread pools for each would cost more than the work.
  cv::setNumThreads(0);
  torch::set_num_threads(1);
  char folder[] = "/tmp/nst-fuzz-opencv.XXXXXX";
  if (mkdtemp(folder) == nullptr) return 1;
  temporary_folder = folder;
  setenv("OPENCV_TEMP_PATH", folder, /*overwrite=*/1);
  std::atexit([] { rmdir(temporary_folder.c_str()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<unsigned char> bytes(data, data + size);
  constexpr int64_t kLongSide = 48;
  try {
    check(nst::decode_image(bytes, "fuzz input", kLongSide, /*max_pixels=*/262144), kLongSide);
  } catch (const nst::Error&) {
    // refused with a message: fine
  }
  if (temporary_files_left()) __builtin_trap();  // a file left in /tmp for every such input
  return 0;
}
