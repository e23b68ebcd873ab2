#include "nst/engine/memory_plan.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "nst/engine/cuda_driver.h"
#include "nst/engine/error.h"
#include "nst/engine/optimizers.h"
#include "nst/engine/system_limits.h"
#include "nst/engine/tiling.h"
#include "nst/engine/vgg.h"

namespace nst {
namespace {

// The process with LibTorch and the model loaded, on the CPU (measured), and on a GPU a margin
// for cuDNN's and cuBLAS's workspaces (the model is on the device before a run; not measured).
constexpr double kProcessBaseBytes = 350e6;
constexpr double kDeviceWorkspaceBytes = 512e6;

// Full-size float32 images a tiled run holds at its peak: the image, its gradient, Adam's two
// moments, the best or the average image, the content at this scale and at full size, the
// gradient being summed, the previous scale's result, and a crop's copies.
constexpr double kTiledFullSizeImages = 10;

// Values of `name`'s own feature map on a `height` × `width` input.
double map_values(const std::string& name, int64_t height, int64_t width) {
  const int index = FeatureExtractor::layer_index(name);
  const int64_t before =
      index > 0
          ? FeatureExtractor::activation_count(
                {FeatureExtractor::layer_names()[static_cast<size_t>(index - 1)]}, height, width)
          : 0;
  return static_cast<double>(FeatureExtractor::activation_count({name}, height, width) - before);
}

double image_bytes(int64_t height, int64_t width) {
  return 3.0 * static_cast<double>(height) * static_cast<double>(width) * 4;  // float32
}

}  // namespace

std::string gigabytes(int64_t bytes) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / 1e9 << " GB";
  return out.str();
}

std::optional<TilePlan> MemoryPlan::tile_plan() const {
  if (!tiled()) return std::nullopt;
  return TilePlan(height, width, core, halo);
}

std::string describe_plan(const MemoryPlan& plan, const MemoryBudget& budget) {
  std::ostringstream text;
  text << plan.width << "x" << plan.height;
  if (plan.tiled()) {
    text << " in " << plan.tiles << " tiles of " << plan.core << " px (halo " << plan.halo
         << "; each step reads " << std::fixed << std::setprecision(1) << plan.work
         << " times the pixels)";
  } else {
    text << " whole";
  }
  text << ", about " << gigabytes(plan.peak_bytes) << " at peak";
  if (budget.known()) text << "; " << budget.describe();
  return text.str();
}

int64_t parse_memory_size(const std::string& text) {
  const auto refuse = [&] {
    throw Error(ErrorCode::kInvalidOptions,
                "memory size '" + text +
                    "' is not a number of bytes with an optional unit K, M, G, T (powers of "
                    "1000) or Ki, Mi, Gi, Ti (powers of 1024), e.g. 6G or 512Mi");
  };
  size_t used = 0;
  double number = 0;
  try {
    number = std::stod(text, &used);
  } catch (const std::exception&) {
    refuse();
  }
  std::string unit = text.substr(used);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  double scale = 1;
  if (!unit.empty()) {
    const std::string prefixes = "KMGT";
    const auto position = prefixes.find(static_cast<char>(std::toupper(unit[0])));
    const bool binary = unit.size() == 2 && unit[1] == 'i';
    if (position == std::string::npos || (unit.size() != 1 && !binary)) refuse();
    scale = std::pow(binary ? 1024.0 : 1000.0, static_cast<double>(position + 1));
  }
  const double bytes = number * scale;
  if (!std::isfinite(bytes) || bytes < 1 || bytes > 9e18) refuse();
  return static_cast<int64_t>(bytes);
}

std::string MemoryBudget::describe() const {
  switch (source) {
    case Source::kLimit:
      return "--memory-limit allows " + gigabytes(bytes);
    case Source::kAvailable:
      return gigabytes(bytes) + " is available";
    case Source::kAddressSpace:
      return "the address-space limit (ulimit -v) leaves " + gigabytes(bytes);
    case Source::kDeviceFree:
      return gigabytes(bytes) + " is free on " + device;
    case Source::kNone:
      break;
  }
  return "nothing limits it";
}

MemoryBudget memory_budget(const torch::Device& device, int64_t limit_bytes,
                           int64_t reusable_device_bytes) {
  MemoryBudget budget;
  using Source = MemoryBudget::Source;
  const auto consider = [&](int64_t bytes, Source source) {
    if (bytes < 0 || (budget.known() && bytes >= budget.bytes)) return;
    budget.bytes = bytes;
    budget.source = source;
  };
  if (limit_bytes > 0) consider(limit_bytes, Source::kLimit);
  if (device.is_cuda()) {
    if (const auto info = cuda_device_info(device.has_index() ? device.index() : 0)) {
      consider(info->free_bytes + reusable_device_bytes, Source::kDeviceFree);
      budget.device = device.str();
    }
    return budget;
  }
  // What the process holds already counts towards its peak, so it is available to the run.
  const int64_t resident = resident_memory_bytes();
  if (const int64_t free_bytes = available_memory_bytes(); free_bytes > 0) {
    consider(free_bytes + resident, Source::kAvailable);
  }
  // `ulimit -v` counts address space, which LibTorch's allocations take as they come: past it a
  // run would fail halfway, inside an allocation.
  if (const int64_t left = address_space_left_bytes(); left >= 0) {
    consider(left, Source::kAddressSpace);
  }
  return budget;
}

MemoryModel::MemoryModel(const StyleTransferOptions& options, torch::ScalarType layer_type,
                         bool on_gpu)
    : options_(options),
      layers_(options.loss_layers()),
      // Fitted to peak resident memory measured on the CPU at 256 and 512 px (relu5_2
      // deepest): bytes per activation value at peak (forward values kept for backward,
      // gradients, kernel scratch), with about 12 % to spare.
      bytes_per_activation_(layer_type == torch::kFloat32 || layer_type == torch::kFloat64 ? 4.5
                                                                                           : 3.8),
      base_bytes_(on_gpu ? kDeviceWorkspaceBytes : kProcessBaseBytes),
      stride_(TilePlan::stride_for(layers_)),
      halo_(TilePlan::halo_for(layers_)) {}

int64_t MemoryModel::smallest_core() const {
  return TilePlan::smallest_core(layers_);
}

MemoryPlan MemoryModel::whole(int64_t height, int64_t width) const {
  MemoryPlan plan;
  plan.height = height;
  plan.width = width;
  double fixed = base_bytes_;
  if (options_.optimizer() == Optimizer::kLbfgs) {
    fixed += 2.0 * static_cast<double>(kLbfgsHistory) * image_bytes(height, width);
  }
  plan.whole_image_bytes = static_cast<int64_t>(fixed);
  plan.peak_bytes = static_cast<int64_t>(
      fixed + bytes_per_activation_ *
                  static_cast<double>(FeatureExtractor::activation_count(layers_, height, width)));
  return plan;
}

MemoryModel::AxisTiles MemoryModel::axis_tiles(int64_t length, int64_t core, int64_t halo) {
  AxisTiles axis;
  for (int64_t start = 0; start < length; start += core) {
    const int64_t crop = std::min(length, start + core + halo) - std::max<int64_t>(0, start - halo);
    ++axis.count;
    axis.largest_crop = std::max(axis.largest_crop, crop);
    axis.crop_total += crop;
  }
  return axis;
}

MemoryPlan MemoryModel::tiled(int64_t height, int64_t width, int64_t core) const {
  core = (std::max<int64_t>(core, 1) + stride_ - 1) / stride_ * stride_;
  if (core >= height && core >= width) return whole(height, width);
  // The tiles form a grid, so their crops follow from each axis alone: `TilePlan`'s tiles,
  // counted without listing them (a huge image has millions of small tiles, and `plan` weighs
  // hundreds of cores).
  const AxisTiles rows = axis_tiles(height, core, halo_);
  const AxisTiles columns = axis_tiles(width, core, halo_);
  MemoryPlan plan;
  plan.height = height;
  plan.width = width;
  plan.core = core;
  plan.halo = halo_;
  plan.tiles = rows.count * columns.count;
  const int64_t crop_height = rows.largest_crop;
  const int64_t crop_width = columns.largest_crop;
  plan.work = static_cast<double>(rows.crop_total) * static_cast<double>(columns.crop_total) /
              static_cast<double>(height * width);

  double fixed = base_bytes_ + kTiledFullSizeImages * image_bytes(height, width);
  // The content targets, whole: each content layer's map in float32.
  for (const auto& name : options_.content_layers()) fixed += 4.0 * map_values(name, height, width);
  if (options_.optimizer() == Optimizer::kLbfgs) {
    fixed += 2.0 * static_cast<double>(kTiledLbfgsHistory) * image_bytes(height, width);
  }
  plan.whole_image_bytes = static_cast<int64_t>(fixed);
  // One crop's activations at a time (the largest crop's bound every crop's), as a whole
  // image's; and what the second pass adds to them: its seeds, a map of each style layer's size
  // over the core, and the gradients autograd makes of them over the whole crop (float32 at
  // most). Measured peaks were 62-92 % of this at 512 to 4096 px with cores of 256 to 1008
  // (doc/performance.md, "Tiles").
  double seeds = 0;
  for (const auto& name : options_.style_layers()) {
    seeds += 4.0 * (map_values(name, std::min(core, height), std::min(core, width)) +
                    map_values(name, crop_height, crop_width));
  }
  plan.peak_bytes = static_cast<int64_t>(fixed + seeds +
                                         bytes_per_activation_ *
                                             static_cast<double>(FeatureExtractor::activation_count(
                                                 layers_, crop_height, crop_width)));
  return plan;
}

MemoryPlan MemoryModel::plan(int64_t height, int64_t width, const MemoryBudget& budget) const {
  const int64_t tile = options_.tile();
  if (tile == kTileOff) return whole(height, width);
  if (tile != kTileAuto) return tiled(height, width, tile);
  MemoryPlan best = whole(height, width);
  if (!budget.known() || best.peak_bytes <= budget.bytes) return best;
  // From the largest core that tiles the image down to the smallest worth it: the first
  // that fits with the least work (a core just below a side reads its halo twice for little).
  const int64_t largest = (std::max(height, width) + stride_ - 1) / stride_ * stride_ - stride_;
  const int64_t smallest = std::max(smallest_core(), kSmallestAutoCore);
  bool found = false;
  for (int64_t core = largest; core >= smallest; core -= stride_) {
    const MemoryPlan candidate = tiled(height, width, core);
    if (candidate.peak_bytes > budget.bytes) continue;
    if (!found || candidate.work < best.work - 1e-9) best = candidate;
    found = true;
  }
  return found ? best : tiled(height, width, smallest);
}

}  // namespace nst
