// StyleTransfer's memory estimate and check: what a content of a given size needs, and whether
// it fits where the run will be.
#include <algorithm>
#include <iomanip>
#include <sstream>

#include "nst/engine/cuda_driver.h"
#include "nst/engine/error.h"
#include "nst/engine/optimizers.h"
#include "nst/engine/system_limits.h"
#include "nst/engine/transfer.h"

namespace nst {
namespace {

// The process with LibTorch and the model loaded, on the CPU (measured), and on a GPU a margin for
// cuDNN's and cuBLAS's workspaces (the model is on the device before a run; not measured).
constexpr double kProcessBaseBytes = 350e6;
constexpr double kDeviceWorkspaceBytes = 512e6;

std::string gigabytes(int64_t bytes) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / 1e9 << " GB";
  return out.str();
}

}  // namespace

int64_t StyleTransfer::estimate_memory_bytes(int64_t height, int64_t width) const {
  // Fitted to peak resident memory measured on the CPU at 256 and 512 px (relu5_2 deepest):
  // the process with LibTorch and the model loaded, plus bytes per activation value at peak
  // (forward values kept for backward, gradients, kernel scratch), with about 12 % to spare.
  const double base_bytes = device().is_cuda() ? kDeviceWorkspaceBytes : kProcessBaseBytes;
  const double bytes_per_activation = layer_type_ == torch::kFloat32 ? 4.5 : 3.8;
  const auto& layers = objective_.layers();
  const double image_bytes = 3.0 * static_cast<double>(height * width) * 4;  // one float32 image
  double bytes = base_bytes;
  if (const auto tiles = tile_plan(height, width)) {
    // One crop's activations, plus what stays whole: the image, its gradient, Adam's two
    // moments, the best and the average image, the content, the gradient being summed and a
    // crop's copies, about ten images, and the content targets (not yet measured: an upper
    // bound).
    const int64_t crop = tiles->core() + 2 * tiles->halo();
    bytes += bytes_per_activation * static_cast<double>(FeatureExtractor::activation_count(
                                        layers, std::min(height, crop), std::min(width, crop)));
    bytes += 10 * image_bytes;
    const auto& names = FeatureExtractor::layer_names();
    for (const auto& name : options_.content_layers()) {
      const int index = FeatureExtractor::layer_index(name);
      const int64_t before = index > 0 ? FeatureExtractor::activation_count(
                                             {names[static_cast<size_t>(index - 1)]}, height, width)
                                       : 0;
      bytes += 4.0 * static_cast<double>(FeatureExtractor::activation_count({name}, height, width) -
                                         before);
    }
  } else {
    bytes += bytes_per_activation *
             static_cast<double>(FeatureExtractor::activation_count(layers, height, width));
  }
  if (options_.optimizer() == Optimizer::kLbfgs) {
    // Two float32 image-sized vectors per remembered step.
    bytes += 2.0 * static_cast<double>(options_.tile() > 0 ? kTiledLbfgsHistory : kLbfgsHistory) *
             image_bytes;
  }
  return static_cast<int64_t>(bytes);
}

int64_t StyleTransfer::device_memory_in_use_bytes() const {
  if (!device().is_cuda()) return -1;
  const auto info = cuda_device_info(device().has_index() ? device().index() : 0);
  return info ? info->total_bytes - info->free_bytes : -1;
}

void StyleTransfer::check_memory(int64_t height, int64_t width, const std::string& name) const {
  const int64_t needed = estimate_memory_bytes(height, width);
  const auto refuse = [&](const std::string& memory, const std::string& what_is_left) {
    throw Error(ErrorCode::kOutOfMemory, "cannot paint '" + name + "' at --size " +
                                             std::to_string(options_.size()) + " (" +
                                             std::to_string(width) + "x" + std::to_string(height) +
                                             "): it needs about " + gigabytes(needed) + " of " +
                                             memory + " and " + what_is_left + "; lower --size");
  };
  if (device().is_cuda()) {
    const auto info = cuda_device_info(device().has_index() ? device().index() : 0);
    if (!info) return;  // no driver to ask: no check
    // LibTorch keeps what earlier jobs freed in its cache, counted as in use on the device but
    // free for this one: all that this process took since the engine was made.
    const int64_t in_use = info->total_bytes - info->free_bytes;
    const int64_t cached = std::max<int64_t>(0, in_use - device_baseline_bytes_);
    const int64_t available = info->free_bytes + cached;
    if (needed > available) {
      refuse("GPU memory", gigabytes(available) + " is free on " + device().str());
    }
    return;
  }
  // `ulimit -v` counts address space, which LibTorch's allocations take as they come: past it
  // the job would fail halfway, inside an allocation.
  if (const int64_t left = address_space_left_bytes(); left >= 0 && needed > left) {
    refuse("memory", "the address-space limit (ulimit -v) leaves " + gigabytes(left));
  }
  const int64_t free_bytes = available_memory_bytes();
  if (free_bytes <= 0) return;  // unknown here: no check
  // What this process holds already counts towards its peak, so it is available to the job.
  const int64_t available = free_bytes + resident_memory_bytes();
  if (needed > available) refuse("memory", gigabytes(available) + " is available");
}

}  // namespace nst
