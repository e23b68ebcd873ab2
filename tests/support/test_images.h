#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "test_helpers.h"

// Test images as OpenCV matrices, for the tests of image I/O, batches and the CLI (the engine's
// tests use test_tensors.h instead).
namespace nst::test {

/// `image` as an 8-bit BGR matrix.
cv::Mat to_bgr(const Pixels& image);

/// `gradient_pixels` as an 8-bit BGR matrix.
cv::Mat gradient_image(int width, int height);

/// `stripes_pixels` as an 8-bit BGR matrix.
cv::Mat stripes_image(int width, int height);

/// Smooth random texture (8-bit BGR, full range): uniform noise from `seed` blurred by a
/// Gaussian of `sigma` pixels into blobs that optical flow can follow.
cv::Mat texture_image(int width, int height, int seed, double sigma);

/// Writes `image` with cv::imwrite; throws std::runtime_error if OpenCV fails.
void write_image(const std::string& path, const cv::Mat& image,
                 const std::vector<int>& params = {});

/// Writes an 8-bit BGR image as binary PPM (P6, RGB order on disk).
void write_ppm(const std::string& path, const cv::Mat& bgr);

/// A JPEG of `image` with an EXIF APP1 segment right after SOI carrying `orientation` (1–8).
std::vector<unsigned char> jpeg_with_orientation(const cv::Mat& image, uint16_t orientation);

}  // namespace nst::test
