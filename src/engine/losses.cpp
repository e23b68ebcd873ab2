#include "nst/engine/losses.h"

#include <torch/autograd.h>
#include <torch/linalg.h>

namespace nst {
namespace {

// [1, C, H, W] or [C, H, W] → [C, H·W].
torch::Tensor flatten_channels(const torch::Tensor& features) {
  const int64_t channels = features.size(features.dim() - 3);
  return features.reshape({channels, -1});
}

// bfloat16 and half values as float32; other types as they are.
torch::Tensor widen(const torch::Tensor& t) {
  const auto type = t.scalar_type();
  return type == torch::kBFloat16 || type == torch::kHalf ? t.to(torch::kFloat32) : t;
}

// Features may be bfloat16 or half: the products then run in that type (accumulating in float32
// inside the matrix kernels, several times faster than float32 products of float32 copies), and
// the Gram matrix, its difference from the target and the loss are float32.
class GramStyleLoss : public torch::autograd::Function<GramStyleLoss> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& features,
                               const torch::Tensor& target_gram) {
    const auto flat = flatten_channels(features);
    const auto difference = widen(torch::mm(flat, flat.t())).div_(flat.size(1)).sub_(target_gram);
    ctx->save_for_backward({features, difference});
    return difference.square().mean();
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_output) {
    const auto saved = ctx->get_saved_variables();
    const auto& features = saved[0];
    const auto& difference = saved[1];
    const auto flat = flatten_channels(features);
    const double channels = static_cast<double>(flat.size(0));
    const double scale = 4.0 / (channels * channels * static_cast<double>(flat.size(1)));
    // Scaling the small C×C factor instead of the C×(H·W) product saves a pass over memory.
    const auto grad =
        torch::mm((difference * (grad_output[0] * scale)).to(flat.scalar_type()), flat);
    return {grad.view(features.sizes()), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor gram_matrix(const torch::Tensor& features) {
  const auto flat = flatten_channels(features);
  return widen(torch::mm(flat, flat.t())) / flat.size(1);
}

torch::Tensor content_loss(const torch::Tensor& features, const torch::Tensor& target) {
  return torch::mse_loss(widen(features), widen(target));
}

torch::Tensor style_loss(const torch::Tensor& gram, const torch::Tensor& target_gram) {
  return torch::mse_loss(gram, target_gram);
}

torch::Tensor total_variation_loss(const torch::Tensor& image) {
  using torch::indexing::None;
  using torch::indexing::Slice;
  const auto vertical = image.index({Slice(), Slice(), Slice(1, None), Slice()}) -
                        image.index({Slice(), Slice(), Slice(None, -1), Slice()});
  const auto horizontal = image.index({Slice(), Slice(), Slice(), Slice(1, None)}) -
                          image.index({Slice(), Slice(), Slice(), Slice(None, -1)});
  return vertical.square().mean() + horizontal.square().mean();
}

torch::Tensor temporal_loss(const torch::Tensor& image, const torch::Tensor& warped,
                            const torch::Tensor& consistency) {
  TORCH_CHECK(image.dim() == 4 && image.sizes() == warped.sizes(),
              "temporal_loss: the image and the warped frame must both be [1, C, H, W]");
  TORCH_CHECK(consistency.dim() == 4 && consistency.size(1) == 1 &&
                  consistency.size(2) == image.size(2) && consistency.size(3) == image.size(3),
              "temporal_loss: the consistency must be [1, 1, H, W] of the image's size");
  const auto type = torch::promote_types(image.scalar_type(), torch::kFloat32);
  const auto difference = image.to(type) - warped.to(type);
  return (consistency.to(type) * difference.square()).sum() / static_cast<double>(image.numel());
}

torch::Tensor gram_style_loss(const torch::Tensor& features, const torch::Tensor& target_gram) {
  return GramStyleLoss::apply(features, target_gram);
}

torch::Tensor sqrtm_newton_schulz(const torch::Tensor& matrix, int iterations) {
  const int64_t n = matrix.size(0);
  const auto identity = torch::eye(n, matrix.options());
  // Scaled to norm 1 the iteration converges for any positive semi-definite matrix.
  const auto norm = matrix.norm().clamp_min(1e-12);
  auto y = matrix / norm;
  auto z = identity;
  for (int i = 0; i < iterations; ++i) {
    const auto t = 0.5 * (3.0 * identity - z.mm(y));
    y = y.mm(t);
    z = t.mm(z);
  }
  return y * norm.sqrt();
}

torch::Tensor gaussian_statistics(const torch::Tensor& features) {
  const auto flat = flatten_channels(features).to(torch::kFloat64);
  const auto mean = flat.mean(1, true);
  const auto centred = flat - mean;
  const auto covariance = centred.mm(centred.t()) / flat.size(1);
  const auto [values, vectors] = torch::linalg::eigh(covariance, "L");
  const auto root = vectors.mm(torch::diag(values.clamp_min(0).sqrt())).mm(vectors.t());
  return torch::cat({mean.t(), root}).to(features.scalar_type());
}

torch::Tensor w2_style_loss(const torch::Tensor& features, const torch::Tensor& target) {
  // The covariance's square root needs float32's precision.
  const auto flat = widen(flatten_channels(features));
  const int64_t channels = flat.size(0);
  const auto mean = flat.mean(1);
  const auto centred = flat - mean.unsqueeze(1);
  const auto covariance = centred.mm(centred.t()) / flat.size(1);
  const auto target_mean = target[0];
  const auto target_root = target.narrow(0, 1, channels);
  const auto cross = sqrtm_newton_schulz(target_root.mm(covariance).mm(target_root));
  const auto distance = (mean - target_mean).square().sum() + covariance.trace() +
                        target_root.square().sum() - 2.0 * cross.trace();
  return distance / static_cast<double>(channels);
}

}  // namespace nst
