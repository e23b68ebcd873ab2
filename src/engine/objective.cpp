// The loss of a run, from the whole image's features or exactly one tile at a time.
// torch/linalg.h is not self-contained: torch/types.h must come first.
// clang-format off
#include <torch/types.h>
#include <torch/autograd.h>
#include <torch/linalg.h>
// clang-format on

#include "nst/engine/objective.h"

#include <algorithm>

#include "nst/engine/losses.h"

namespace nst {
namespace {

torch::Tensor region(const torch::Tensor& map, const PixelRect& rect) {
  return map.narrow(2, rect.top, rect.height()).narrow(3, rect.left, rect.width());
}

// The stride of a layer's cells in pixels.
int64_t stride_of(const std::string& layer) {
  return FeatureExtractor::min_input_side({layer});
}

// [1, C, h, w] → [C, h·w].
torch::Tensor flat(const torch::Tensor& map) {
  return map.reshape({map.size(1), -1});
}

// Where a core's cells lie in the whole image's map of that layer.
PixelRect in_whole_map(const Tile& tile, const PixelRect& cells, int64_t stride) {
  const int64_t top = tile.core.top / stride;
  const int64_t left = tile.core.left / stride;
  return {top, top + cells.height(), left, left + cells.width()};
}

// Maps of float32 for the layers' types float32, bfloat16 and half; float64 stays float64.
FeatureExtractor::Output wide_output(torch::ScalarType type) {
  return type == torch::kFloat64 ? FeatureExtractor::Output::kLayerType
                                 : FeatureExtractor::Output::kFloat32;
}

torch::ScalarType wide_type(torch::ScalarType type) {
  return type == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
}

}  // namespace

Objective::Objective(const StyleTransferOptions& options)
    : options_(options),
      style_layer_weights_(options.effective_style_layer_weights()),
      layers_(options.loss_layers()) {}

Objective::Losses Objective::losses(const torch::Tensor& image, const LayerMaps& features,
                                    const LayerMaps& content_targets,
                                    const LayerMaps& style_targets) const {
  const auto& content_layers = options_.content_layers();
  torch::Tensor content = torch::zeros({}, features.begin()->second.options());
  for (const auto& name : content_layers) {
    content = content + content_loss(features.at(name), content_targets.at(name));
  }
  // Averaged so that one layer gives exactly the TensorFlow tutorial's loss and more layers
  // do not change its scale.
  content = content / static_cast<double>(content_layers.size());

  torch::Tensor style_total = torch::zeros({}, content.options());
  const auto& style_layers = options_.style_layers();
  for (size_t i = 0; i < style_layers.size(); ++i) {
    const auto& name = style_layers[i];
    const auto& target = style_targets.at(name);
    style_total =
        style_total + style_layer_weights_[i] * (options_.style_loss() == StyleLoss::kW2
                                                     ? w2_style_loss(features.at(name), target)
                                                     : gram_style_loss(features.at(name), target));
  }
  auto total = options_.content_weight() * content + options_.style_weight() * style_total;
  if (options_.tv_weight() > 0) total = total + options_.tv_weight() * total_variation_loss(image);
  return {total, content, style_total};
}

std::map<std::string, Objective::Sums> Objective::style_sums(const FeatureExtractor& extractor,
                                                             torch::ScalarType type,
                                                             const torch::Tensor& image,
                                                             const TilePlan& plan,
                                                             const StopRequested& stop) const {
  torch::NoGradGuard no_grad;
  std::map<std::string, Sums> sums;
  for (const auto& tile : plan.tiles()) {
    const auto features = extractor.extract(region(image, tile.crop), options_.style_layers(), type,
                                            FeatureExtractor::Output::kLayerType, stop);
    for (const auto& [name, map] : features) {
      const auto cells = plan.core_cells(tile, stride_of(name), map.size(2), map.size(3));
      if (cells.height() <= 0 || cells.width() <= 0) continue;
      const auto f = flat(region(map, cells));
      // The products in the layers' type, as the whole image's Gram matrix is made; summed
      // over the tiles in float64.
      const auto products = torch::mm(f, f.t()).to(torch::kFloat64);
      const auto totals = f.to(torch::kFloat64).sum(1);
      auto& s = sums[name];
      s.products = s.products.defined() ? s.products.add_(products) : products;
      s.totals = s.totals.defined() ? s.totals.add_(totals) : totals;
      s.cells += f.size(1);
    }
  }
  return sums;
}

torch::Tensor Objective::style_loss_from_sums(const torch::Tensor& products,
                                              const torch::Tensor& totals, int64_t cells,
                                              const torch::Tensor& target) const {
  const double n = static_cast<double>(cells);
  const auto wide_target = target.to(products.scalar_type());
  if (options_.style_loss() != StyleLoss::kW2) return (products / n - wide_target).square().mean();
  // As w2_style_loss, with the mean and covariance from the sums.
  const int64_t channels = products.size(0);
  const auto mean = totals / n;
  const auto covariance = products / n - torch::outer(mean, mean);
  const auto target_root = wide_target.narrow(0, 1, channels);
  const auto cross = sqrtm_newton_schulz(target_root.mm(covariance).mm(target_root));
  const auto distance = (mean - wide_target[0]).square().sum() + covariance.trace() +
                        target_root.square().sum() - 2.0 * cross.trace();
  return distance / static_cast<double>(channels);
}

Objective::Evaluation Objective::evaluate_tiled(const FeatureExtractor& extractor,
                                                torch::ScalarType type, const torch::Tensor& image,
                                                const TilePlan& plan,
                                                const LayerMaps& content_targets,
                                                const LayerMaps& style_targets,
                                                const StopRequested& stop) const {
  const auto pixels = image.detach();
  const auto wide = torch::TensorOptions().dtype(torch::kFloat64).device(pixels.device());

  // Pass 1: the style loss from the sums over all cores, and its derivative with respect to
  // them (symmetrised: ∂L/∂F = (M + Mᵀ)·F for S = Σ F·Fᵀ, plus ∂L/∂(ΣF) at every cell).
  const auto sums = style_sums(extractor, type, pixels, plan, stop);
  struct Seed {
    torch::Tensor products;  // [C, C]
    torch::Tensor totals;    // [C, 1], or undefined
  };
  std::map<std::string, Seed> seeds;
  torch::Tensor style = torch::zeros({}, wide);
  const auto& style_layers = options_.style_layers();
  for (size_t i = 0; i < style_layers.size(); ++i) {
    const auto& name = style_layers[i];
    const auto& s = sums.at(name);
    const auto products = s.products.detach().requires_grad_(true);
    const auto totals = s.totals.detach().requires_grad_(true);
    const auto loss = style_layer_weights_[i] *
                      style_loss_from_sums(products, totals, s.cells, style_targets.at(name));
    const auto grads = torch::autograd::grad({loss * options_.style_weight()}, {products, totals},
                                             {}, false, false, /*allow_unused=*/true);
    seeds[name] = {grads[0] + grads[0].t(),
                   grads[1].defined() ? grads[1].unsqueeze(1) : torch::Tensor()};
    style = style + loss.detach();
  }

  // Pass 2: each crop forward with gradients, its backward seeded at the core's cells.
  auto gradient = torch::zeros_like(pixels);
  torch::Tensor content = torch::zeros({}, wide);
  const auto& content_layers = options_.content_layers();
  const double content_share = 1.0 / static_cast<double>(content_layers.size());
  for (const auto& tile : plan.tiles()) {
    const auto crop = region(pixels, tile.crop).clone().requires_grad_(true);
    const auto features =
        extractor.extract(crop, layers_, type, FeatureExtractor::Output::kLayerType, stop);
    std::vector<torch::Tensor> outputs;
    std::vector<torch::Tensor> grad_outputs;
    torch::Tensor content_part = torch::zeros({}, wide);
    for (const auto& name : content_layers) {
      const auto& map = features.at(name);
      const auto& target = content_targets.at(name);
      const auto cells = plan.core_cells(tile, stride_of(name), map.size(2), map.size(3));
      if (cells.height() <= 0 || cells.width() <= 0) continue;
      const auto difference =
          region(map, cells).to(torch::kFloat64) -
          region(target, in_whole_map(tile, cells, stride_of(name))).to(torch::kFloat64);
      content_part = content_part + content_share * difference.square().sum() /
                                        static_cast<double>(target.numel());
    }
    if (content_part.requires_grad()) {
      outputs.push_back(content_part * options_.content_weight());
      grad_outputs.push_back(torch::ones({}, wide));
    }
    for (const auto& name : style_layers) {
      const auto& map = features.at(name);
      const auto cells = plan.core_cells(tile, stride_of(name), map.size(2), map.size(3));
      if (cells.height() <= 0 || cells.width() <= 0) continue;
      const auto core = region(map, cells);
      const auto& seed = seeds.at(name);
      const auto f = flat(core);
      auto cell_seed = torch::mm(seed.products.to(f.scalar_type()), f);
      if (seed.totals.defined()) cell_seed = cell_seed + seed.totals.to(f.scalar_type());
      outputs.push_back(core);
      grad_outputs.push_back(cell_seed.view(core.sizes()));
    }
    if (!outputs.empty()) torch::autograd::backward(outputs, grad_outputs);
    if (crop.grad().defined()) region(gradient, tile.crop).add_(crop.grad());
    content = content + content_part.detach();
  }

  auto total = options_.content_weight() * content + options_.style_weight() * style;
  if (options_.tv_weight() > 0) {
    const auto whole = pixels.clone().requires_grad_(true);
    const auto tv = total_variation_loss(whole) * options_.tv_weight();
    tv.backward();
    gradient.add_(whole.grad());
    total = total + tv.detach().to(torch::kFloat64);
  }
  return {{total, content, style}, gradient};
}

Objective::Losses Objective::tiled_losses(const FeatureExtractor& extractor, torch::ScalarType type,
                                          const torch::Tensor& image, const TilePlan& plan,
                                          const LayerMaps& content_targets,
                                          const LayerMaps& style_targets,
                                          const StopRequested& stop) const {
  torch::NoGradGuard no_grad;
  const auto pixels = image.detach();
  const auto wide = torch::TensorOptions().dtype(torch::kFloat64).device(pixels.device());
  const auto sums = style_sums(extractor, type, pixels, plan, stop);
  torch::Tensor style = torch::zeros({}, wide);
  const auto& style_layers = options_.style_layers();
  for (size_t i = 0; i < style_layers.size(); ++i) {
    const auto& s = sums.at(style_layers[i]);
    style =
        style + style_layer_weights_[i] * style_loss_from_sums(s.products, s.totals, s.cells,
                                                               style_targets.at(style_layers[i]));
  }
  const auto& content_layers = options_.content_layers();
  const auto maps = tiled_features(extractor, type, pixels, plan, content_layers, stop);
  torch::Tensor content = torch::zeros({}, wide);
  for (const auto& name : content_layers) {
    content = content + content_loss(maps.at(name), content_targets.at(name)).to(torch::kFloat64);
  }
  content = content / static_cast<double>(content_layers.size());
  auto total = options_.content_weight() * content + options_.style_weight() * style;
  if (options_.tv_weight() > 0) {
    total = total + options_.tv_weight() * total_variation_loss(pixels).to(torch::kFloat64);
  }
  return {total, content, style};
}

Objective::LayerMaps Objective::tiled_features(const FeatureExtractor& extractor,
                                               torch::ScalarType type, const torch::Tensor& image,
                                               const TilePlan& plan,
                                               const std::vector<std::string>& layers,
                                               const StopRequested& stop) {
  torch::NoGradGuard no_grad;
  LayerMaps whole;
  for (const auto& tile : plan.tiles()) {
    const auto features =
        extractor.extract(region(image, tile.crop), layers, type, wide_output(type), stop);
    for (const auto& [name, map] : features) {
      const int64_t stride = stride_of(name);
      auto& out = whole[name];
      if (!out.defined()) {
        out = torch::zeros({1, map.size(1), plan.height() / stride, plan.width() / stride},
                           map.options());
      }
      const auto cells = plan.core_cells(tile, stride, map.size(2), map.size(3));
      if (cells.height() <= 0 || cells.width() <= 0) continue;
      region(out, in_whole_map(tile, cells, stride)).copy_(region(map, cells));
    }
  }
  return whole;
}

Objective::LayerMaps Objective::tiled_style_targets(const FeatureExtractor& extractor,
                                                    torch::ScalarType type,
                                                    const torch::Tensor& image,
                                                    const TilePlan& plan,
                                                    const StopRequested& stop) const {
  LayerMaps targets;
  for (const auto& [name, s] : style_sums(extractor, type, image, plan, stop)) {
    const double n = static_cast<double>(s.cells);
    if (options_.style_loss() != StyleLoss::kW2) {
      targets.emplace(name, (s.products / n).to(wide_type(type)));
      continue;
    }
    // As gaussian_statistics: the mean, and the covariance's root by eigendecomposition.
    const auto mean = s.totals / n;
    const auto covariance = s.products / n - torch::outer(mean, mean);
    const auto [values, vectors] = torch::linalg::eigh(covariance, "L");
    const auto root = vectors.mm(torch::diag(values.clamp_min(0).sqrt())).mm(vectors.t());
    targets.emplace(name, torch::cat({mean.unsqueeze(0), root}).to(wide_type(type)));
  }
  return targets;
}

}  // namespace nst
