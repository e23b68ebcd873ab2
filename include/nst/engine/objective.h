#pragma once

#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

#include "nst/engine/options.h"
#include "nst/engine/stop.h"
#include "nst/engine/tiling.h"
#include "nst/engine/vgg.h"

namespace nst {

/// The loss a run minimises, as the options define it: content_weight × the content loss
/// (averaged over the content layers) + style_weight × the style loss (the layers' weighted
/// sum, Gram or W2) + tv_weight × the total variation; computed from the whole image's
/// features, or exactly one tile at a time (`evaluate_tiled`) for images whose activations do
/// not fit in memory.
class Objective {
 public:
  /// Layer → tensor: feature maps, content targets ([1, C, h, w]) or style targets (Gram
  /// matrices, or packed means and covariance roots for W2).
  using LayerMaps = std::map<std::string, torch::Tensor>;

  struct Losses {
    torch::Tensor total;    ///< weighted
    torch::Tensor content;  ///< unweighted
    torch::Tensor style;    ///< unweighted, the layers' weights applied
  };

  /// A tiled evaluation: the losses (float64 scalars) and their gradient with respect to the
  /// image (its shape and type).
  struct Evaluation {
    Losses losses;
    torch::Tensor gradient;
  };

  explicit Objective(const StyleTransferOptions& options);

  /// Every layer the losses read: the content layers, then the style layers not among them.
  const std::vector<std::string>& layers() const { return layers_; }

  /// The losses of `image` from its `features` at `layers()`, differentiable.
  Losses losses(const torch::Tensor& image, const LayerMaps& features,
                const LayerMaps& content_targets, const LayerMaps& style_targets) const;

  /// The losses of `image` ([1, 3, H, W] RGB 0..255) and their gradient, computed tile by tile
  /// over `plan`, with the layers in `type`: a first pass without gradients sums each style
  /// layer's statistics over the cores (Σ F·Fᵀ, and Σ F for W2), which gives the style loss and
  /// its derivative with respect to those sums; a second pass runs each crop with gradients and
  /// seeds its backward pass at the core's cells alone (that derivative carried to the cells,
  /// and the content loss of the cells), adding each crop's input gradient into the image's.
  /// The total variation is computed on the whole image (three channels, no network). With an
  /// exact plan the result equals `losses` and its gradient up to rounding. `content_targets`
  /// are whole-image maps (`tiled_features`).
  Evaluation evaluate_tiled(const FeatureExtractor& extractor, torch::ScalarType type,
                            const torch::Tensor& image, const TilePlan& plan,
                            const LayerMaps& content_targets, const LayerMaps& style_targets,
                            const StopRequested& stop = {}) const;

  /// The losses of `evaluate_tiled` alone (float64 scalars), without the gradient's pass: the
  /// style sums, and the content layers' maps one tile at a time (those only as deep as the
  /// content layers).
  Losses tiled_losses(const FeatureExtractor& extractor, torch::ScalarType type,
                      const torch::Tensor& image, const TilePlan& plan,
                      const LayerMaps& content_targets, const LayerMaps& style_targets,
                      const StopRequested& stop = {}) const;

  /// The whole image's feature maps at `layers`, one tile at a time (float32, or `type` if
  /// wider), without gradients.
  static LayerMaps tiled_features(const FeatureExtractor& extractor, torch::ScalarType type,
                                  const torch::Tensor& image, const TilePlan& plan,
                                  const std::vector<std::string>& layers,
                                  const StopRequested& stop = {});

  /// The style targets of `image` at the style layers (as `StyleTransfer::style_targets`
  /// makes for one scale), one tile at a time.
  LayerMaps tiled_style_targets(const FeatureExtractor& extractor, torch::ScalarType type,
                                const torch::Tensor& image, const TilePlan& plan,
                                const StopRequested& stop = {}) const;

 private:
  // Per style layer, the sums over all cores' cells: Σ F·Fᵀ [C, C], Σ F [C] and the count.
  struct Sums {
    torch::Tensor products;
    torch::Tensor totals;
    int64_t cells = 0;
  };
  std::map<std::string, Sums> style_sums(const FeatureExtractor& extractor, torch::ScalarType type,
                                         const torch::Tensor& image, const TilePlan& plan,
                                         const StopRequested& stop) const;
  // One style layer's loss from its sums (Gram: mean((S/N − A)²); W2 from the mean ΣF/N and
  // covariance S/N − μμᵀ), differentiable with respect to them.
  torch::Tensor style_loss_from_sums(const torch::Tensor& products, const torch::Tensor& totals,
                                     int64_t cells, const torch::Tensor& target) const;

  StyleTransferOptions options_;
  std::vector<double> style_layer_weights_;
  std::vector<std::string> layers_;
};

}  // namespace nst
