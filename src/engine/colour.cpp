#include "nst/engine/colour.h"

#include <torch/linalg.h>

namespace nst {
namespace {

// BT.601 full-range coefficients, rows Y, Cb, Cr.
torch::Tensor forward_matrix(const torch::TensorOptions& options) {
  return torch::tensor({0.299, 0.587, 0.114, -0.168736, -0.331264, 0.5, 0.5, -0.418688, -0.081312},
                       options)
      .view({3, 3});
}

// Applies a 3×3 matrix to the channels of [1, 3, H, W].
torch::Tensor mix_channels(const torch::Tensor& matrix, const torch::Tensor& image) {
  return torch::einsum("ij,bjhw->bihw", {matrix, image});
}

torch::Tensor chroma_offset(const torch::TensorOptions& options) {
  return torch::tensor({0.0, 128.0, 128.0}, options).view({1, 3, 1, 1});
}

// Symmetric square root (or inverse square root) of a 3×3 covariance.
torch::Tensor symmetric_power(const torch::Tensor& covariance, double power) {
  const auto [values, vectors] = torch::linalg::eigh(covariance, "L");
  const auto scaled = values.clamp_min(1e-5).pow(power);
  return vectors.matmul(torch::diag(scaled)).matmul(vectors.t());
}

}  // namespace

torch::Tensor rgb_to_ycbcr(const torch::Tensor& rgb) {
  return mix_channels(forward_matrix(rgb.options()), rgb) + chroma_offset(rgb.options());
}

torch::Tensor ycbcr_to_rgb(const torch::Tensor& ycbcr) {
  const auto inverse = torch::linalg::inv(forward_matrix(ycbcr.options().dtype(torch::kFloat64)))
                           .to(ycbcr.scalar_type());
  return mix_channels(inverse, ycbcr - chroma_offset(ycbcr.options()));
}

torch::Tensor keep_content_colours(const torch::Tensor& painted, const torch::Tensor& content) {
  using torch::indexing::Slice;
  auto mixed = rgb_to_ycbcr(content);
  mixed.index_put_({Slice(), Slice(0, 1)}, rgb_to_ycbcr(painted).index({Slice(), Slice(0, 1)}));
  return ycbcr_to_rgb(mixed).clamp(0.0, 255.0);
}

torch::Tensor match_colour_statistics(const torch::Tensor& style, const torch::Tensor& content) {
  const auto as_rows = [](const torch::Tensor& image) {
    return image.reshape({3, -1}).to(torch::kFloat64);
  };
  const auto s = as_rows(style), c = as_rows(content);
  const auto s_mean = s.mean(1, true), c_mean = c.mean(1, true);
  const auto s_centred = s - s_mean, c_centred = c - c_mean;
  const auto s_cov = s_centred.matmul(s_centred.t()) / s.size(1);
  const auto c_cov = c_centred.matmul(c_centred.t()) / c.size(1);
  const auto transform = symmetric_power(c_cov, 0.5).matmul(symmetric_power(s_cov, -0.5));
  return (transform.matmul(s_centred) + c_mean)
      .view(style.sizes())
      .to(style.scalar_type())
      .clamp(0.0, 255.0);
}

}  // namespace nst
