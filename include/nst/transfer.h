#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>

#include "nst/options.h"
#include "nst/vgg.h"

namespace nst {

/// What the style loss compares against: the Gram matrix of each style layer. Computed once
/// per style image and reusable by every run with that style.
struct StyleTargets {
  std::map<std::string, torch::Tensor> grams;  ///< layer name → [C, C]
};

/// One step of the optimisation, as reported to the progress callback.
struct ProgressEvent {
  int64_t iteration = 0;       ///< 1-based number of the step just taken
  int64_t iterations = 0;      ///< total steps planned
  double loss = 0;             ///< weighted total loss of the image before this step
  double content_loss = 0;     ///< unweighted content loss of that image
  double style_loss = 0;       ///< unweighted style loss of that image (layer weights applied)
  double best_loss = 0;        ///< lowest total loss seen so far
  double elapsed_seconds = 0;  ///< since the optimisation started
  torch::Tensor image;         ///< the image after this step: [1, 3, H, W], RGB 0..255, detached
};

/// Called after every step. Returning false stops the run; the best image so far is kept.
using ProgressCallback = std::function<bool(const ProgressEvent&)>;

/// The outcome of `StyleTransfer::run`.
struct TransferResult {
  torch::Tensor image;      ///< [1, 3, H, W] RGB 0..255 on the CPU: the lowest-loss image seen
  int64_t iterations = 0;   ///< steps actually taken
  double loss = 0;          ///< weighted total loss of `image`
  double content_loss = 0;  ///< unweighted content loss of `image`
  double style_loss = 0;    ///< unweighted style loss of `image`
  double seconds = 0;       ///< wall time of the optimisation
  bool cancelled = false;   ///< the progress callback stopped the run early
};

/// The optimisation of Gatys et al.: Adam over the output's pixels (RGB, 0..255) from the
/// content image, minimising content_weight·content + style_weight·style, pixels clamped
/// to 0..255 after every step, keeping the lowest-loss image.
class StyleTransfer {
 public:
  /// Validates `options` (throws `nst::Error`) and keeps a reference to `extractor`, which
  /// must outlive this object.
  StyleTransfer(const FeatureExtractor& extractor, StyleTransferOptions options);

  /// Gram matrices of `style_rgb255` ([1, 3, H, W], RGB, 0..255) at the style layers.
  StyleTargets style_targets(const torch::Tensor& style_rgb255) const;

  /// Paints `content_rgb255` ([1, 3, H, W], RGB, 0..255) in the style of `style`. Throws
  /// `nst::Error(kNumerical)` if the loss stops being finite.
  TransferResult run(const torch::Tensor& content_rgb255, const StyleTargets& style,
                     const ProgressCallback& progress = {}) const;

  /// The options in use.
  const StyleTransferOptions& options() const { return options_; }

 private:
  struct Losses {
    torch::Tensor total;
    torch::Tensor content;
    torch::Tensor style;
  };
  Losses losses(const std::map<std::string, torch::Tensor>& features,
                const std::map<std::string, torch::Tensor>& content_targets,
                const StyleTargets& style) const;

  const FeatureExtractor& extractor_;
  StyleTransferOptions options_;
  std::vector<double> style_layer_weights_;
  std::vector<std::string> all_layers_;  // content layers then style layers, no duplicates
};

}  // namespace nst
