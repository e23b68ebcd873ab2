#pragma once

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nst/engine/options.h"
#include "nst/engine/tiling.h"

// The memory model: what a run at a given size is estimated to need at its peak, whole or in
// tiles, and the tiles `--tile auto` chooses to stay within a budget.
namespace nst {

/// The memory a run may take, and what set it.
struct MemoryBudget {
  enum class Source { kNone, kLimit, kAvailable, kAddressSpace, kDeviceFree };

  int64_t bytes = -1;  ///< -1 where nothing says (no limit given and none readable)
  Source source = Source::kNone;
  std::string device;  ///< with kDeviceFree, e.g. "cuda:0"

  bool known() const { return bytes >= 0; }
  /// "memory" or "GPU memory": what a refusal says the run needs.
  std::string memory() const { return source == Source::kDeviceFree ? "GPU memory" : "memory"; }
  /// What the budget is, for messages: "4.2 GB is available", "--memory-limit allows 6.0 GB",
  /// "the address-space limit (ulimit -v) leaves 2.1 GB", "7.9 GB is free on cuda:0".
  std::string describe() const;
};

/// The budget of a run on `device`: `limit_bytes` (from --memory-limit; 0 for none), lowered
/// to what the machine has. On the CPU that is the memory the process may still take plus what
/// it holds (`available_memory_bytes`, `resident_memory_bytes`) and its address space
/// (`ulimit -v`); on CUDA the device's free memory plus `reusable_device_bytes` (what
/// LibTorch's cache holds for this process).
MemoryBudget memory_budget(const torch::Device& device, int64_t limit_bytes,
                           int64_t reusable_device_bytes = 0);

/// How a step at one image size is computed, and the peak memory it is estimated to need.
struct MemoryPlan {
  int64_t height = 0;
  int64_t width = 0;
  int64_t core = 0;   ///< side of the tiles' cores; 0 when the image is computed whole
  int64_t halo = 0;   ///< the margin each core is read with; 0 when whole
  int64_t tiles = 0;  ///< how many tiles; 0 when whole
  /// Pixels the network reads per step over the image's pixels: 1 whole, more when tiled (each
  /// crop's halo is read again).
  double work = 1;
  int64_t peak_bytes = 0;  ///< estimated peak resident memory (CPU) or device memory (GPU)
  /// The part of `peak_bytes` that no tiling lowers: the process (or the GPU's workspaces),
  /// the full-size images and optimiser state, the content targets and L-BFGS's history.
  int64_t whole_image_bytes = 0;

  bool tiled() const { return core > 0; }
  /// The tiles of a tiled plan; none when the image is computed whole.
  std::optional<TilePlan> tile_plan() const;
};

/// Estimates of peak memory, fitted to peak resident memory measured on the CPU (see
/// doc/performance.md, "Memory" and "Tiles"), for the options' layers in `layer_type`.
class MemoryModel {
 public:
  /// The smallest core `--tile auto` considers: below it a step reads more than six times its
  /// pixels, for little memory saved (the full-size buffers stay).
  static constexpr int64_t kSmallestAutoCore = 128;

  MemoryModel(const StyleTransferOptions& options, torch::ScalarType layer_type, bool on_gpu);

  /// The image computed whole.
  MemoryPlan whole(int64_t height, int64_t width) const;

  /// The image in cores of `core` pixels (rounded up to the deepest layer's stride) with the
  /// halo the layers need; whole when one core covers it.
  MemoryPlan tiled(int64_t height, int64_t width, int64_t core) const;

  /// What `options.tile()` asks for: that core, whole (`kTileOff`), or with `kTileAuto` whole
  /// when that fits `budget`, else the core that fits with the least work (ties: the larger),
  /// else the smallest core (which does not fit either: `check_memory` says so).
  MemoryPlan plan(int64_t height, int64_t width, const MemoryBudget& budget) const;

  /// The smallest core `--tile N` accepts: the halo (rounded to the stride), below which a
  /// step reads more than nine times its pixels.
  int64_t smallest_core() const;

  /// The stride of the deepest layer: core sides are multiples of it.
  int64_t stride() const { return stride_; }
  /// The halo the layers need.
  int64_t halo() const { return halo_; }

 private:
  // One axis of a tile grid (`TilePlan`'s): how many tiles, the longest crop and the crops'
  // summed length.
  struct AxisTiles {
    int64_t count = 0;
    int64_t largest_crop = 0;
    int64_t crop_total = 0;
  };
  static AxisTiles axis_tiles(int64_t length, int64_t core, int64_t halo);

  StyleTransferOptions options_;
  std::vector<std::string> layers_;
  double bytes_per_activation_;
  double base_bytes_;
  int64_t stride_;
  int64_t halo_;
};

/// The plan in words: "4096x3072 in 48 tiles of 512 px (halo 96; each step reads 1.9 times
/// the pixels), about 2.7 GB at peak; --memory-limit allows 6.0 GB" or "512x480 whole, about
/// 0.9 GB at peak; 20.1 GB is available".
std::string describe_plan(const MemoryPlan& plan, const MemoryBudget& budget);

/// "1.2 GB": bytes in gigabytes with one decimal.
std::string gigabytes(int64_t bytes);

/// Parses a memory size as Kubernetes writes them: a number with an optional unit, K, M, G or T
/// for powers of 1000 and Ki, Mi, Gi or Ti for powers of 1024, optionally followed by "B"
/// ("6G" = "6GB" = 6e9 bytes, the GB the messages print; "6Gi" = 6 × 2^30; "1.5G"); a plain
/// number is bytes. Throws `nst::Error(kInvalidOptions)` naming `text` otherwise.
int64_t parse_memory_size(const std::string& text);

}  // namespace nst
