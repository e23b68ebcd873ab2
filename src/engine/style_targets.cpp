// The style side of a run: each style's targets (Gram matrices, or means and covariances) at
// every scale, computed once and shared by every job that uses the style, and blends of them.
// torch/linalg.h is not self-contained: torch/types.h must come first.
// clang-format off
#include <torch/types.h>
#include <torch/linalg.h>
// clang-format on

#include "nst/engine/losses.h"
#include "nst/engine/transfer.h"

namespace nst {

StyleTargets StyleTransfer::style_targets(const torch::Tensor& style_rgb255,
                                          const StopRequested& stop) const {
  torch::NoGradGuard no_grad;
  const auto style = style_rgb255.to(extractor_.device(), torch::kFloat32);
  StyleTargets targets;
  for (const auto& [height, width] : scale_shapes(options_, style.size(2), style.size(3))) {
    if (const auto tiles = memory_plan(height, width).tile_plan()) {
      targets.scales.push_back(objective_.tiled_style_targets(
          extractor_, layer_type_, resize_image(style, height, width), *tiles, stop));
      continue;
    }
    std::map<std::string, torch::Tensor> grams;
    for (auto& [name, features] :
         extractor_.extract(resize_image(style, height, width), options_.style_layers(),
                            layer_type_, FeatureExtractor::Output::kFloat32, stop)) {
      grams.emplace(name, options_.style_loss() == StyleLoss::kW2 ? gaussian_statistics(features)
                                                                  : gram_matrix(features));
    }
    targets.scales.push_back(std::move(grams));
  }
  return targets;
}

StyleTargets StyleTransfer::blend_targets(const std::vector<StyleTargets>& targets,
                                          const std::vector<double>& weights) const {
  TORCH_CHECK(!targets.empty() && targets.size() == weights.size(), "blend: one weight per style");
  StyleTargets blended;
  for (size_t scale = 0; scale < targets[0].scales.size(); ++scale) {
    std::map<std::string, torch::Tensor> layers;
    for (const auto& [name, first] : targets[0].scales[scale]) {
      if (options_.style_loss() == StyleLoss::kW2) {
        // Mean and covariance average linearly; the packed form holds the covariance's root.
        const int64_t channels = first.size(1);
        // In double: the covariance's square root is taken again from its square.
        const auto wide = first.options().dtype(torch::kFloat64);
        torch::Tensor mean = torch::zeros({1, channels}, wide);
        torch::Tensor covariance = torch::zeros({channels, channels}, wide);
        for (size_t i = 0; i < targets.size(); ++i) {
          const auto t = targets[i].scales[scale].at(name).to(torch::kFloat64);
          const auto root = t.narrow(0, 1, channels);
          mean += weights[i] * t.narrow(0, 0, 1);
          covariance += weights[i] * root.mm(root);
        }
        const auto [values, vectors] = torch::linalg::eigh(covariance, "L");
        const auto root = vectors.mm(torch::diag(values.clamp_min(0).sqrt())).mm(vectors.t());
        layers.emplace(name, torch::cat({mean, root}).to(first.scalar_type()));
      } else {
        torch::Tensor sum = torch::zeros_like(first);
        for (size_t i = 0; i < targets.size(); ++i) {
          sum += weights[i] * targets[i].scales[scale].at(name);
        }
        layers.emplace(name, sum);
      }
    }
    blended.scales.push_back(std::move(layers));
  }
  return blended;
}

}  // namespace nst
