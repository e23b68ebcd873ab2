#pragma once

#include <torch/arg.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nst/engine/named_values.h"

namespace nst {

/// Arithmetic of the VGG layers. Gram matrices, losses and the image stay float32 always.
enum class Precision {
  kAuto,      ///< bfloat16 on CPUs where it is faster (AMX, or AMD's AVX512-BF16) and on GPUs of
              ///< compute capability 8.0 and later, else float32
  kFloat32,   ///< float32
  kBFloat16,  ///< bfloat16 (CPU or CUDA)
  kFloat16,   ///< half (CUDA only)
};

template <>
struct EnumNames<Precision> {
  static constexpr NamedValue<Precision> values[] = {{Precision::kAuto, "auto"},
                                                     {Precision::kFloat32, "fp32"},
                                                     {Precision::kBFloat16, "bf16"},
                                                     {Precision::kFloat16, "fp16"}};
};

/// The image the optimisation starts from.
enum class Init {
  kContent,  ///< the content image
  kNoise,    ///< uniform noise in 0..255 from the seeded generator
  kGray,     ///< mid-grey (128)
  kImage,    ///< an image the caller passes to `StyleTransfer::run`
};

template <>
struct EnumNames<Init> {
  static constexpr NamedValue<Init> values[] = {{Init::kContent, "content"},
                                                {Init::kNoise, "noise"},
                                                {Init::kGray, "gray"},
                                                {Init::kImage, "image"}};
};

/// Whether and how the content's colours are kept.
enum class PreserveColours {
  kNone,       ///< the style's colours
  kLuminance,  ///< transfer luminance only: the result's luminance with the content's chroma
  kHistogram,  ///< match the style image's colour statistics to the content's before the run
};

template <>
struct EnumNames<PreserveColours> {
  static constexpr NamedValue<PreserveColours> values[] = {
      {PreserveColours::kNone, "none"},
      {PreserveColours::kLuminance, "luminance"},
      {PreserveColours::kHistogram, "histogram"}};
};

/// How the pixels are optimised.
enum class Optimizer {
  kAdam,   ///< Adam, pixels clamped to 0..255 after every step
  kLbfgs,  ///< L-BFGS as in neural-style: history 100, no line search, tolerances off
};

template <>
struct EnumNames<Optimizer> {
  static constexpr NamedValue<Optimizer> values[] = {{Optimizer::kAdam, "adam"},
                                                     {Optimizer::kLbfgs, "lbfgs"}};
};

/// What each scale after the first starts from.
enum class Upsample {
  kImage,     ///< the previous scale's result, upsampled
  kResidual,  ///< the content at this scale plus the previous result's difference from the
              ///< content at its scale, upsampled: the stylisation carries over, and the
              ///< content's finer detail, which no coarser scale could hold, is there from the
              ///< start
};

template <>
struct EnumNames<Upsample> {
  static constexpr NamedValue<Upsample> values[] = {{Upsample::kImage, "image"},
                                                    {Upsample::kResidual, "residual"}};
};

/// How Adam's learning rate changes over the steps of each scale.
enum class LrSchedule {
  kConstant,  ///< `learning_rate` throughout
  kCosine,    ///< half a cosine from `learning_rate` at the first step to `final_learning_rate`
              ///< at the last
};

template <>
struct EnumNames<LrSchedule> {
  static constexpr NamedValue<LrSchedule> values[] = {{LrSchedule::kConstant, "constant"},
                                                      {LrSchedule::kCosine, "cosine"}};
};

/// What Adam's moment estimates do when a scale ends and the next, larger one begins.
enum class ScaleMoments {
  kReset,    ///< start again from zero, as a new Adam would
  kRescale,  ///< resized to the new scale and multiplied by the ratio of pixel counts (the
             ///< first moment) or its square (the second), as the per-pixel gradients shrink
  kCarry,    ///< resized to the new scale, values kept
};

template <>
struct EnumNames<ScaleMoments> {
  static constexpr NamedValue<ScaleMoments> values[] = {{ScaleMoments::kReset, "reset"},
                                                        {ScaleMoments::kRescale, "rescale"},
                                                        {ScaleMoments::kCarry, "carry"}};
};

/// How VGG's pooling layers downsample.
enum class Pooling {
  kMax,      ///< max pooling, as the network was trained
  kAverage,  ///< 2×2 average pooling, rescaled so each pool's output keeps max pooling's magnitude
};

template <>
struct EnumNames<Pooling> {
  static constexpr NamedValue<Pooling> values[] = {{Pooling::kMax, "max"},
                                                   {Pooling::kAverage, "avg"}};
};

/// What the style loss compares.
enum class StyleLoss {
  kGram,  ///< Gram matrices, mean((G − A)²), as Gatys et al.
  kW2,    ///< means and covariances, by the 2-Wasserstein distance between Gaussians
};

template <>
struct EnumNames<StyleLoss> {
  static constexpr NamedValue<StyleLoss> values[] = {{StyleLoss::kGram, "gram"},
                                                     {StyleLoss::kW2, "w2"}};
};

/// The precision named by `name` ("auto", "fp32", "bf16", "fp16"); throws `nst::Error` otherwise.
Precision parse_precision(const std::string& name);

/// `StyleTransferOptions::tile` values that are not a core side: choose by the memory budget,
/// or never tile.
inline constexpr int64_t kTileAuto = -1;
inline constexpr int64_t kTileOff = 0;

/// Every setting of the style-transfer algorithm, with its default and unit. Setters chain:
/// `StyleTransferOptions().iterations(200).style_weight(1e-1)`.
///
/// Pixel-valued settings are in RGB 0..255 units, the units of the image being optimised,
/// whatever normalisation the model applies internally.
struct StyleTransferOptions {
  /// Long side, in pixels, the content image is resized to (aspect ratio kept). Default 512.
  TORCH_ARG(int64_t, size) = 512;
  /// Long side, in pixels, of the style image; 0 means the same as `size`. Default 0.
  TORCH_ARG(int64_t, style_size) = 0;
  /// VGG19 layers whose feature maps the content loss compares. Default {relu5_2}, the tutorial's.
  TORCH_ARG(std::vector<std::string>, content_layers) = {"relu5_2"};
  /// VGG19 layers whose Gram matrices the style loss compares. Default relu1_1 … relu5_1.
  TORCH_ARG(std::vector<std::string>, style_layers) = {"relu1_1", "relu2_1", "relu3_1", "relu4_1",
                                                       "relu5_1"};
  /// Weight of each style layer, in the order of `style_layers`; empty means 1/n each.
  TORCH_ARG(std::vector<double>, style_layer_weights) = {};
  /// Multiplier of the content loss in the total loss. Default 1e3.
  TORCH_ARG(double, content_weight) = 1e3;
  /// Multiplier of the style loss in the total loss. Default 1e-2.
  TORCH_ARG(double, style_weight) = 1e-2;
  /// Number of Adam steps (per scale). Default 200: a fifth of the tutorial's 1000, so that the
  /// default takes at most a fifth of the tutorial's time where bf16 is no faster than fp32.
  TORCH_ARG(int64_t, iterations) = 200;
  /// Adam learning rate (at each scale's first step with the cosine schedule), in pixel units
  /// (0..255). Default 20.
  TORCH_ARG(double, learning_rate) = 20.0;
  /// How the learning rate changes over each scale's steps. Default cosine: large steps while
  /// the picture forms, small ones to settle (measured better than any constant rate at the
  /// same number of steps; see doc/performance.md, "Presets").
  TORCH_ARG(LrSchedule, lr_schedule) = LrSchedule::kCosine;
  /// Adam's learning rate at the last step of each scale with the cosine schedule, in pixel
  /// units. Default 0.5.
  TORCH_ARG(double, final_learning_rate) = 0.5;
  /// Adam's learning rate at the first step of each scale after the first, in pixel units;
  /// 0 means `learning_rate`. A later scale starts from a picture already formed, which the
  /// first scale's large steps would scramble before its few steps could settle it. Default 0.
  TORCH_ARG(double, scale_learning_rate) = 0.0;
  /// Adam's decay of the first-moment estimate. Default 0.9: with the tutorial's 0.99 the
  /// momentum lags a hundred steps behind, and short runs end worse (see doc/performance.md).
  TORCH_ARG(double, beta1) = 0.9;
  /// Adam's decay of the second-moment estimate. Default 0.9: the gradients shrink by orders
  /// of magnitude as the picture forms, and with the tutorial's 0.999 the estimate remembers
  /// the early large ones for hundreds of steps, so later steps come out far smaller than the
  /// rate says (at 200 steps, 0.9 ended 14–23 % lower on the tutorial's objective; see
  /// doc/performance.md).
  TORCH_ARG(double, beta2) = 0.9;
  /// Adam's epsilon, in units of the loss gradient per pixel. Default 0.1, the tutorial's: it
  /// damps the steps of pixels whose gradient is tiny, and measured a little better than 1e-8.
  TORCH_ARG(double, epsilon) = 0.1;
  /// Seed of LibTorch's random generator, so runs are repeatable. Default 0.
  TORCH_ARG(uint64_t, seed) = 0;
  /// Same seed, same bytes on CUDA too: cuDNN's and cuBLAS's deterministic algorithms, no
  /// autotuning (see `configure_arithmetic`). The CPU's kernels are deterministic either way.
  /// Default false; the CLI turns it on with --deterministic or an explicit --seed.
  TORCH_ARG(bool, deterministic) = false;
  /// Long side, in pixels, of the first and coarsest scale; each next scale is √2 larger, the
  /// last is `size`. Each scale starts from the previous result, upsampled. 0 (or >= size):
  /// one scale only. Default 0.
  TORCH_ARG(int64_t, min_scale) = 0;
  /// Steps at the first scale when there are several; 0 means `iterations`. The scales between
  /// the first and the last take steps in geometric progression from these to `iterations`
  /// (neural-style's multi-resolution scripts halve them at each doubling of the side), so the
  /// larger, costlier scales only refine what the coarser ones formed. Default 0.
  TORCH_ARG(int64_t, initial_iterations) = 0;
  /// Decay of the exponential moving average of the image (bias-corrected, restarted at each
  /// scale) that is kept as each scale's result; 0 keeps the lowest-loss image instead.
  /// Default 0.
  TORCH_ARG(double, average_decay) = 0.0;
  /// Arithmetic of the VGG layers. Default auto: bfloat16 where it is faster (a 512 px step
  /// 2.75× faster on one 2-core Xeon, the loss within 0.7 %, but 1.4× slower on another; see
  /// `cpu_bf16_is_faster`) and on GPUs with bfloat16 tensor cores, else float32.
  TORCH_ARG(Precision, precision) = Precision::kAuto;
  /// Weight of the total-variation loss, mean squared difference of neighbouring pixels (in
  /// 0..255 units), which smooths high-frequency noise. Default 0.
  TORCH_ARG(double, tv_weight) = 0.0;
  /// The image the optimisation starts from. Default the content.
  TORCH_ARG(Init, init) = Init::kContent;
  /// Long side of the style image as a multiple of `size`, when `style_size` is 0. Default 1.
  TORCH_ARG(double, style_scale) = 1.0;
  /// How the pixels are optimised; with L-BFGS an iteration is one function evaluation and
  /// `learning_rate` is its step length (neural-style uses 1). Default Adam.
  TORCH_ARG(Optimizer, optimizer) = Optimizer::kAdam;
  /// What the style loss compares. Default Gram matrices.
  TORCH_ARG(StyleLoss, style_loss) = StyleLoss::kGram;
  /// What each scale after the first starts from.
  TORCH_ARG(Upsample, upsample) = Upsample::kImage;
  /// What Adam's moment estimates do at each new scale. Default reset.
  TORCH_ARG(ScaleMoments, scale_moments) = ScaleMoments::kReset;
  /// Max pooling, or average pooling (Gatys et al. report smoother results with it).
  TORCH_ARG(Pooling, pooling) = Pooling::kMax;
  /// Side, in pixels, of the square cores the loss and its gradient are computed in, one at a
  /// time, each with a halo that covers the deepest layer's receptive field (`TilePlan`): the
  /// result is the whole image's, up to rounding, and the network's activations are those of
  /// one tile. Rounded up to the deepest layer's stride (16 for relu5_x); at least the halo
  /// (`MemoryModel::smallest_core`). A scale no larger than one core is computed whole.
  /// L-BFGS keeps `kTiledLbfgsHistory` steps when tiled. `kTileOff`: always whole.
  /// Default `kTileAuto`: whole where the estimate fits the memory budget, else the core that
  /// fits with the least work (`MemoryModel::plan`).
  TORCH_ARG(int64_t, tile) = kTileAuto;
  /// Whether and how to keep the content's colours. Default none.
  TORCH_ARG(PreserveColours, preserve_colours) = PreserveColours::kNone;

 public:
  /// The settings of a named preset: "default" (the defaults above), "tutorial" (the
  /// TensorFlow tutorial step for step: content relu5_2, Adam lr 5, beta1 0.99, eps 0.1, 1000
  /// iterations, fp32) or "fast" (a preview in seconds on a CPU: 256 px, 30 iterations, no
  /// fifth block). Throws `nst::Error` for an unknown name.
  static StyleTransferOptions preset(const std::string& name);

  /// Names accepted by `preset()`.
  static const std::vector<std::string>& preset_names();

  /// One line per preset saying what it sets, for `--help`.
  static std::string describe_presets();

  /// Every layer name the losses may use exists, weights are finite and non-negative, counts
  /// match, and Adam's settings are in range. Throws `nst::Error(kInvalidOptions)` otherwise.
  void validate() const;

  /// Every layer a loss reads: the content layers, then the style layers not among them.
  std::vector<std::string> loss_layers() const;

  /// The style weight of each style layer: `style_layer_weights`, or 1/n each when empty.
  std::vector<double> effective_style_layer_weights() const;

  /// Long sides of the scales, coarse to fine: from `min_scale`, each √2 larger, ending at
  /// `size`; just `size` when `min_scale` is 0 or not below `size`.
  std::vector<int64_t> scale_sides() const;

  /// Steps at scale `index` (0-based) of `scale_sides()`: `initial_iterations` at the first,
  /// `iterations` at the last, in geometric progression between (rounded, at least 1).
  int64_t iterations_at(size_t index) const;

  /// Adam's learning rate at the first step of scale `index` (0-based): `learning_rate` at the
  /// first scale, `scale_learning_rate` (or `learning_rate` where that is 0) at the others.
  double learning_rate_at(size_t index) const;

  /// Steps over all scales.
  int64_t total_iterations() const;

  /// Long side the style image is loaded at: `style_size`, or `style_scale` × `size`.
  int64_t effective_style_size() const;
};

}  // namespace nst
