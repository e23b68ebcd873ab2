// StyleTransfer's memory plan and check: how a content of a given size is computed, what it
// needs, and whether it fits where the run will be.
#include <algorithm>

#include "nst/engine/cuda_driver.h"
#include "nst/engine/error.h"
#include "nst/engine/scales.h"
#include "nst/engine/transfer.h"

namespace nst {

MemoryPlan StyleTransfer::memory_plan(int64_t height, int64_t width) const {
  return memory_model_.plan(height, width, budget_);
}

int64_t StyleTransfer::estimate_memory_bytes(int64_t height, int64_t width) const {
  return memory_plan(height, width).peak_bytes;
}

MemoryBudget StyleTransfer::memory_budget_now() const {
  // LibTorch keeps what earlier jobs freed in its cache, counted as in use on the device but
  // free for this one: all that this process took since the engine was made.
  const int64_t cached =
      std::max<int64_t>(0, device_memory_in_use_bytes() - device_baseline_bytes_);
  return nst::memory_budget(device(), memory_limit_bytes_, device().is_cuda() ? cached : 0);
}

std::vector<MemoryPlan> StyleTransfer::scale_plans(int64_t height, int64_t width) const {
  std::vector<MemoryPlan> plans;
  for (const auto& [h, w] : scale_shapes(options_, height, width))
    plans.push_back(memory_plan(h, w));
  return plans;
}

int64_t StyleTransfer::device_memory_in_use_bytes() const {
  if (!device().is_cuda()) return -1;
  const auto info = cuda_device_info(device().has_index() ? device().index() : 0);
  return info ? info->total_bytes - info->free_bytes : -1;
}

void StyleTransfer::check_memory(int64_t height, int64_t width, const std::string& name) const {
  const MemoryPlan plan = memory_plan(height, width);
  const MemoryBudget budget = memory_budget_now();
  if (!budget.known() || plan.peak_bytes <= budget.bytes) return;
  const std::string job = "cannot paint '" + name + "' at --size " +
                          std::to_string(options_.size()) + " (" + std::to_string(width) + "x" +
                          std::to_string(height) + "): ";
  if (plan.whole_image_bytes > budget.bytes) {
    throw Error(ErrorCode::kOutOfMemory,
                job +
                    "its full-size buffers alone (the image, its gradient and optimiser state, "
                    "the content targets) need about " +
                    gigabytes(plan.whole_image_bytes) + " of " + budget.memory() + ", and " +
                    budget.describe() + ", so no tiling fits it; lower --size");
  }
  std::string how;
  std::string advice = "lower --size";
  if (plan.tiled() && options_.tile() == kTileAuto) {
    how = " even in tiles of " + std::to_string(plan.core) +
          " px, the smallest --tile auto uses (the full-size buffers take " +
          gigabytes(plan.whole_image_bytes) + " of it),";
  } else if (plan.tiled()) {
    how = " in tiles of " + std::to_string(plan.core) + " px";
    advice += " or --tile, or use --tile auto";
  } else if (options_.tile() == kTileOff) {
    advice += " or use --tile auto";
  }
  throw Error(ErrorCode::kOutOfMemory, job + "it needs about " + gigabytes(plan.peak_bytes) +
                                           " of " + budget.memory() + how + " and " +
                                           budget.describe() + "; " + advice);
}

}  // namespace nst
