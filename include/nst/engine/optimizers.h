#pragma once

#include <torch/optim/lbfgs.h>
#include <torch/types.h>

#include <functional>
#include <memory>

#include "nst/engine/options.h"

namespace nst {

/// Curvature pairs L-BFGS remembers, as neural-style.
constexpr int64_t kLbfgsHistory = 100;
/// L-BFGS's history when the image is tiled (`MemoryPlan::tiled`): each remembered
/// step is two image-sized vectors, which at print sizes would outgrow the tiles' savings.
constexpr int64_t kTiledLbfgsHistory = 10;

/// Measures the loss at the image as it is now and returns its gradient with respect to the
/// image (same shape). Whatever else it measured (losses, the best image) it keeps itself.
using GradientClosure = std::function<torch::Tensor()>;

/// An optimiser over an image's pixels, stepped over a closure as `torch::optim` optimisers
/// are: each `step` calls `measure` exactly once, so a step is one function evaluation whatever
/// the method, and iterations of Adam and L-BFGS cost the same.
class PixelOptimizer {
 public:
  virtual ~PixelOptimizer() = default;

  /// Starts scale `index` (0-based) of `steps` steps: `image` ([1, 3, H, W], float32, the
  /// tensor `step` will change) is the starting image, and `previous_pixels` the pixel count of
  /// the scale before (0 for the first, or where a resumed run starts). The optimiser carries,
  /// rescales or drops its state as its options say. `done` of the steps were taken by an
  /// earlier run (resumed): schedules go on from there.
  virtual void begin_scale(const torch::Tensor& image, size_t index, int64_t previous_pixels,
                           int64_t steps, int64_t done = 0) = 0;

  /// Measures the gradient at `image` with `measure`, then changes `image` in place.
  virtual void step(torch::Tensor& image, const GradientClosure& measure) = 0;

  /// Whether `step` keeps pixels within 0..255 (else the caller clamps the result it keeps).
  virtual bool keeps_pixels_in_range() const = 0;
};

/// The optimiser `options.optimizer()` names, with its settings from `options`; L-BFGS
/// remembers `lbfgs_history` steps (`kTiledLbfgsHistory` when the run is tiled).
std::unique_ptr<PixelOptimizer> make_optimizer(const StyleTransferOptions& options,
                                               int64_t lbfgs_history = kLbfgsHistory);

}  // namespace nst
