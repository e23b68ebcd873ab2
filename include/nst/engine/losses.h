#pragma once

#include <torch/types.h>

namespace nst {

/// Gram matrix of a feature map: G = F·Fᵀ / (H·W), with F the [C, H·W] view of a
/// [1, C, H, W] (or [C, H, W]) tensor. Returns [C, C]; bfloat16 and half features give a
/// float32 matrix (the product accumulates in float32).
torch::Tensor gram_matrix(const torch::Tensor& features);

/// Content loss: mean((F − P)²) over all elements, in float32 for bfloat16 or half inputs.
torch::Tensor content_loss(const torch::Tensor& features, const torch::Tensor& target);

/// Style loss of one layer from Gram matrices: mean((G − A)²).
torch::Tensor style_loss(const torch::Tensor& gram, const torch::Tensor& target_gram);

/// Total variation of an image [1, C, H, W]: mean squared difference of vertically neighbouring
/// pixels plus that of horizontally neighbouring ones.
torch::Tensor total_variation_loss(const torch::Tensor& image);

/// Temporal loss of a video frame (Ruder, Dosovitskiy and Brox, 2016): Σ c·(x − ω)² / (C·H·W),
/// with x the frame's image [1, C, H, W], ω the previous painted frame carried along the flow
/// onto this one (the same shape) and c the flow's consistency [1, 1, H, W] in [0, 1], which
/// frees the pixels the flow cannot vouch for. Computed in float32 at least.
torch::Tensor temporal_loss(const torch::Tensor& image, const torch::Tensor& warped,
                            const torch::Tensor& consistency);

/// mean((gram_matrix(features) − target_gram)²) as one autograd node. Same value and gradient as
/// `style_loss(gram_matrix(features), target_gram)`, but its backward is a single matrix product
/// (∂L/∂F = 4·(G − A)·F / (C²·H·W), using G's symmetry) where autograd's generic one needs two.
/// bfloat16 or half features keep their type through both products (the loss and `target_gram`
/// are float32), so no float32 copy of a full-size feature map is made.
torch::Tensor gram_style_loss(const torch::Tensor& features, const torch::Tensor& target_gram);

/// Square root of a symmetric positive semi-definite [C, C] matrix by `iterations` coupled
/// Newton–Schulz steps: only matrix products, so autograd differentiates through it.
torch::Tensor sqrtm_newton_schulz(const torch::Tensor& matrix, int iterations = 12);

/// The Gaussian a feature map's channels follow, packed as [C + 1, C]: row 0 the mean, rows 1..C
/// the square root of the covariance (by eigendecomposition; for style targets).
torch::Tensor gaussian_statistics(const torch::Tensor& features);

/// Squared 2-Wasserstein distance between the Gaussian of `features` and the packed `target`
/// of `gaussian_statistics`, divided by the channel count:
/// (|μ − μₜ|² + tr Σ + tr Σₜ − 2 tr (Σₜ^½ Σ Σₜ^½)^½) / C, the square root by Newton–Schulz.
torch::Tensor w2_style_loss(const torch::Tensor& features, const torch::Tensor& target);

}  // namespace nst
