#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "nst/engine/vgg.h"
#include "test_helpers.h"

// What the engine's tests need and the engine does not provide: images as tensors and the test
// model from its file (the engine reads no files).
namespace nst::test {

/// `image` as the engine takes it: [1, 3, H, W] float32 RGB 0..255.
inline torch::Tensor to_tensor(const Pixels& image) {
  return torch::tensor(std::vector<uint8_t>(image.rgb.begin(), image.rgb.end()))
      .reshape({1, image.height, image.width, 3})
      .permute({0, 3, 1, 2})
      .to(torch::kFloat32)
      .contiguous();
}

/// The model file at `path` loaded on `device`.
inline FeatureExtractor load_model_file(const std::string& path,
                                        torch::Device device = torch::kCPU) {
  const std::string bytes = read_bytes(path);
  return FeatureExtractor::load_bytes(std::vector<unsigned char>(bytes.begin(), bytes.end()), path,
                                      device);
}

}  // namespace nst::test
