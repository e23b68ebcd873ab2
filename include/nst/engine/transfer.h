#pragma once

#include <torch/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nst/engine/loss_scaler.h"
#include "nst/engine/memory_plan.h"
#include "nst/engine/objective.h"
#include "nst/engine/options.h"
#include "nst/engine/precision.h"
#include "nst/engine/scales.h"
#include "nst/engine/vgg.h"

namespace nst {

/// What the style loss compares against, for each style layer at each scale: its Gram matrix,
/// or with `StyleLoss::kW2` its packed mean and covariance root (`gaussian_statistics`).
/// Computed once per style image and reusable by every run with that style and options.
struct StyleTargets {
  /// One map per scale, in the order of `StyleTransferOptions::scale_sides()`: layer → target.
  std::vector<std::map<std::string, torch::Tensor>> scales;
};

/// One step of the optimisation, as reported to the progress callback.
///
/// Its losses stay on the device until read: reading one waits for the device to finish the
/// step (on CUDA), and a callback that reads them only now and then (every --print-every steps)
/// lets the GPU run ahead instead of waiting at every step.
class ProgressEvent {
 public:
  int64_t iteration = 0;       ///< 1-based number of the step just taken, over all scales
  int64_t iterations = 0;      ///< total steps planned, over all scales
  size_t scale = 0;            ///< 0-based index of the current scale
  size_t scales = 1;           ///< number of scales
  double elapsed_seconds = 0;  ///< since the optimisation started
  /// Share of the run's estimated work done after this step, 0..1: steps weighted by their
  /// scale's pixels and tiles, so that a coarse-to-fine run's ETA is not misled by its cheap
  /// first scales.
  double work_done = 0;
  /// `work_done` before this run's first step: the earlier run's share when resumed, else 0.
  double work_at_start = 0;
  torch::Tensor image;  ///< the image after this step: [1, 3, H, W], RGB 0..255, detached

  /// Weighted total loss of the image before this step.
  double loss() const { return value(0); }
  /// Unweighted content loss of that image.
  double content_loss() const { return value(1); }
  /// Unweighted style loss of that image (layer weights applied).
  double style_loss() const { return value(2); }
  /// Lowest total loss seen so far at this scale.
  double best_loss() const { return value(3); }
  /// Whether a loss has been read (the device has then finished this step).
  bool losses_read() const { return !values_.empty(); }

  /// Sets the four losses above, in that order, as a float tensor of 4 on any device.
  void set_losses(torch::Tensor losses) {
    losses_ = std::move(losses);
    values_.clear();
  }

 private:
  double value(size_t index) const;

  torch::Tensor losses_;
  mutable std::vector<double> values_;  // losses_ on the host, once read
};

/// Where a run takes up an earlier one's work: the image it had reached after `iteration` steps
/// over all scales (any size; resized to the scale it resumes in).
struct ResumePoint {
  int64_t iteration = 0;  ///< 0: start from the beginning
  torch::Tensor image;    ///< [1, 3, H, W] RGB 0..255
};

/// What keeps a frame of a clip close to the frame before it (Ruder et al. 2016): that frame's
/// painting carried along the optical flow onto this one, where the flow can be trusted, and
/// the weight of the temporal loss (`temporal_loss`) in the total. Both maps have the
/// content's size; each scale reads them resized to its own.
struct TemporalTarget {
  torch::Tensor warped;       ///< [1, 3, H, W] RGB 0..255
  torch::Tensor consistency;  ///< [1, 1, H, W] in [0, 1]
  double weight = 0;          ///< 0: no temporal loss

  bool active() const { return weight > 0 && warped.defined() && consistency.defined(); }
};

/// Called after every step. Returning false stops the run; the best image so far is kept.
using ProgressCallback = std::function<bool(const ProgressEvent&)>;

/// What one scale of the optimisation ended with.
struct ScaleOutcome {
  int64_t width = 0;
  int64_t height = 0;
  int64_t iterations = 0;   ///< steps taken at this scale
  double loss = 0;          ///< weighted total loss of the scale's result
  double content_loss = 0;  ///< unweighted content loss of the scale's result
  double style_loss = 0;    ///< unweighted style loss of the scale's result
  int64_t tile_core = 0;    ///< side of the tiles' cores; 0 when computed whole
  int64_t tiles = 0;        ///< how many tiles; 0 when computed whole
};

/// The outcome of `StyleTransfer::run`.
struct TransferResult {
  /// [1, 3, H, W] RGB 0..255 on the CPU: the last scale's result, the moving average of the
  /// image or, without averaging, the lowest-loss image seen.
  torch::Tensor image;
  /// The same at the last scale visited, at that scale's size and before any colour
  /// preservation: what a resumed run goes on from (a stopped run's last scale may be a
  /// coarse one).
  torch::Tensor scale_image;
  int64_t iterations = 0;            ///< steps actually taken, over all scales
  double loss = 0;                   ///< weighted total loss of `image`
  double content_loss = 0;           ///< unweighted content loss of `image`
  double style_loss = 0;             ///< unweighted style loss of `image`
  double seconds = 0;                ///< wall time of the optimisation
  bool cancelled = false;            ///< the progress callback stopped the run early
  std::vector<ScaleOutcome> scales;  ///< one per scale visited
};

/// The optimisation of Gatys et al.: Adam over the output's pixels (RGB, 0..255) from the
/// content image, minimising content_weight·content + style_weight·style, pixels clamped
/// to 0..255 after every step (or L-BFGS, see `PixelOptimizer`). Coarse to fine over
/// `scale_sides()`: each scale starts from the previous result upsampled, Adam's moment
/// estimates as `scale_moments()` says. A scale's
/// result is the moving average of the image (`average_decay` > 0) or its lowest-loss image.
/// With `PreserveColours::kLuminance` the result takes the content's chroma (its losses are
/// those of the image before that); `kHistogram` is for the caller, who matches the style's
/// colours to the content before `style_targets`.
class StyleTransfer {
 public:
  /// Validates `options` (throws `nst::Error`) and keeps a copy of `extractor` that shares its
  /// weights, with the pooling `options` ask for. The memory budget `--tile auto` plans with is
  /// taken now: `memory_limit_bytes` (0 for none) within what the machine has
  /// (`memory_budget`), so every job of a batch is planned alike.
  StyleTransfer(const FeatureExtractor& extractor, StyleTransferOptions options,
                int64_t memory_limit_bytes = 0);

  /// Gram matrices of `style_rgb255` ([1, 3, H, W], RGB, 0..255) at the style layers, for each
  /// scale: the style as given for the last scale, shrunk in proportion for the others.
  /// `stop` is asked between the network's layers (throwing `nst::Stopped`).
  StyleTargets style_targets(const torch::Tensor& style_rgb255,
                             const StopRequested& stop = {}) const;

  /// One style from several: per scale and layer, the weighted average of the targets'
  /// statistics (Gram matrices; or means and covariances for W2). `weights` sum to 1.
  StyleTargets blend_targets(const std::vector<StyleTargets>& targets,
                             const std::vector<double>& weights) const;

  /// Paints `content_rgb255` ([1, 3, H, W], RGB, 0..255) in the style of `style`; the result
  /// has the content's size, and the scales are the same fractions of it as `scale_sides()` are
  /// of `size`. Throws `nst::Error(kNumerical)` if the loss stops being finite, saying
  /// at which iteration and scale. With `Init::kImage`, `init_rgb255` ([1, 3, h, w], any size,
  /// resized to fit) is the starting image; it must be given then. With `resume`, the run
  /// starts at the scale and step after `resume.iteration`, from `resume.image` (the
  /// optimiser's moments, the moving average and the best image start afresh there; the
  /// learning-rate schedule goes on from that step), and counts its iterations from there.
  /// With an active `temporal` target, the total loss also holds its weighted temporal loss
  /// (a frame of a clip: see `TemporalTarget`).
  TransferResult run(const torch::Tensor& content_rgb255, const StyleTargets& style,
                     const ProgressCallback& progress = {}, const torch::Tensor& init_rgb255 = {},
                     const ResumePoint& resume = {}, const TemporalTarget& temporal = {}) const;

  /// How a run on a `height`×`width` content (its largest scale) is computed, whole or in tiles
  /// (`options().tile()`, with `--tile auto` planned within the budget taken when the engine was
  /// made), and its estimated peak memory (`MemoryModel`; on the CPU calibrated against measured
  /// peaks, see doc/performance.md, "Memory").
  MemoryPlan memory_plan(int64_t height, int64_t width) const;
  /// `memory_plan(height, width).peak_bytes`.
  int64_t estimate_memory_bytes(int64_t height, int64_t width) const;
  /// The budget `memory_plan` plans in, taken when the engine was made.
  const MemoryBudget& memory_budget() const { return budget_; }
  /// The budget now: the memory limit within what the machine has left (on CUDA, counting
  /// what LibTorch's cache holds from earlier runs of this engine as free).
  MemoryBudget memory_budget_now() const;
  /// Refuses, before any work, a content that would not fit: throws `nst::Error(kOutOfMemory)`
  /// naming `name`, the size, the estimate and the budget now when the plan's peak exceeds it
  /// (and says when the full-size buffers alone do, which no tiling helps). No check where no
  /// budget is known.
  void check_memory(int64_t height, int64_t width, const std::string& name) const;
  /// Device memory in use now, all processes counted, on this engine's CUDA device; -1 on the
  /// CPU or without an NVIDIA driver to ask.
  int64_t device_memory_in_use_bytes() const;
  /// The options in use.
  const StyleTransferOptions& options() const { return options_; }

  /// Device the network runs on.
  torch::Device device() const { return extractor_.device(); }

  /// The type the VGG layers compute in.
  torch::ScalarType layer_type() const { return layer_type_; }

 private:
  // How each scale of a `height` × `width` content is computed (`scale_shapes`), planned once
  // per run: --tile auto searches the cores for each.
  std::vector<MemoryPlan> scale_plans(int64_t height, int64_t width) const;
  torch::Tensor starting_image(const torch::Tensor& content, const torch::Tensor& init) const;

  struct Scale;
  // Scale `index` of `full`, computed as `plan` says: its content, targets and starting image
  // (from `previous`'s result, or the starting image for the first).
  // `resumed`, when defined, is the image the first scale of this run starts from.
  Scale begin_scale(size_t index, const MemoryPlan& plan, const torch::Tensor& full,
                    const StyleTargets& style, const Scale* previous, const torch::Tensor& init,
                    const torch::Tensor& resumed = {}) const;
  // Each scale's estimated share of the run's work: its steps times its pixels, times the
  // tiles' extra reading when tiled (`plans`, one per scale).
  std::vector<double> work_shares(const std::vector<MemoryPlan>& plans) const;
  // The loss of the scale's image and its gradient (through `scaler`); keeps the image if its
  // loss is the lowest yet, notes a non-finite loss and gives the event its losses, all on the
  // device.
  torch::Tensor measure(Scale& scale, ProgressEvent& event, LossScaler& scaler) const;
  // Throws nst::Error(kNumerical) if a loss measured at this scale was not finite.
  void check_finite(const Scale& scale, int64_t scales) const;
  // Sets the scale's result and its losses.
  void end_scale(Scale& scale) const;
  // The scale's weighted temporal loss of `image`, differentiable; undefined without a temporal
  // target.
  torch::Tensor temporal_term(const Scale& scale, const torch::Tensor& image) const;

  FeatureExtractor extractor_;  // shares the caller's weights; pools as options_.pooling() says
  StyleTransferOptions options_;
  Objective objective_;
  torch::ScalarType layer_type_ = torch::kFloat32;
  int64_t device_baseline_bytes_ = 0;  // CUDA: device memory in use when this engine was made
  int64_t memory_limit_bytes_ = 0;     // --memory-limit; 0 for none
  MemoryModel memory_model_;
  MemoryBudget budget_;  // what --tile auto plans with, taken when the engine was made
};

}  // namespace nst
