#include "nst/engine/optimizers.h"

#include <torch/nn/functional/upsampling.h>

#include <cmath>

namespace nst {
namespace {

namespace F = torch::nn::functional;

// torch.optim.Adam (no weight decay, no AMSGrad) written out, so that its moment estimates can
// follow the image from one scale to the next, and pixels are clamped to 0..255 after each step.
// The optimisers keep their own copy of the options: a caller's options may not outlive them.
class Adam final : public PixelOptimizer {
 public:
  explicit Adam(const StyleTransferOptions& options) : options_(options) {}

  void begin_scale(const torch::Tensor& image, size_t index, int64_t previous_pixels, int64_t steps,
                   int64_t done) override {
    first_rate_ = options_.learning_rate_at(index);
    scale_steps_ = steps;
    scale_step_ = done;
    const bool fresh = !m_.defined() || options_.scale_moments() == ScaleMoments::kReset;
    if (fresh) {
      m_ = torch::zeros_like(image);
      v_ = torch::zeros_like(image);
      steps_ = 0;
      return;
    }
    // Bilinear keeps the second moment non-negative where bicubic could overshoot below zero.
    const auto resize = F::InterpolateFuncOptions()
                            .size(std::vector<int64_t>{image.size(2), image.size(3)})
                            .mode(torch::kBilinear)
                            .align_corners(false);
    m_ = F::interpolate(m_, resize);
    v_ = F::interpolate(v_, resize).clamp_min_(0.0);
    if (options_.scale_moments() == ScaleMoments::kRescale && previous_pixels > 0) {
      // The losses are means over pixels, so each pixel's gradient shrinks in proportion to
      // the pixel count: the moments are brought to the gradients they will now average.
      const double ratio =
          static_cast<double>(previous_pixels) / static_cast<double>(image.size(2) * image.size(3));
      m_.mul_(ratio);
      v_.mul_(ratio * ratio);
    }
  }

  void step(torch::Tensor& image, const GradientClosure& measure) override {
    const auto gradient = measure();
    torch::NoGradGuard no_grad;
    ++steps_;
    const double beta1 = options_.beta1(), beta2 = options_.beta2();
    m_.mul_(beta1).add_(gradient, 1.0 - beta1);
    v_.mul_(beta2).addcmul_(gradient, gradient, 1.0 - beta2);
    const double correction1 = 1.0 - std::pow(beta1, static_cast<double>(steps_));
    const double correction2 = 1.0 - std::pow(beta2, static_cast<double>(steps_));
    const auto denominator = (v_.sqrt() / std::sqrt(correction2)).add_(options_.epsilon());
    image.addcdiv_(m_, denominator, -learning_rate() / correction1);
    ++scale_step_;
    image.clamp_(0.0, 255.0);
  }

  bool keeps_pixels_in_range() const override { return true; }

 private:
  // The rate of this step of the scale: constant, or half a cosine from the scale's first rate
  // to the last over its steps, so each scale starts with large steps and settles at its end.
  double learning_rate() const {
    const double first = first_rate_;
    if (options_.lr_schedule() == LrSchedule::kConstant || scale_steps_ < 2) return first;
    const double last = options_.final_learning_rate();
    const double progress =
        static_cast<double>(scale_step_) / static_cast<double>(scale_steps_ - 1);
    return last + 0.5 * (first - last) * (1.0 + std::cos(M_PI * progress));
  }

  const StyleTransferOptions options_;
  torch::Tensor m_;
  torch::Tensor v_;
  int64_t steps_ = 0;        // since the moments were last reset, for the bias corrections
  double first_rate_ = 0.0;  // this scale's rate at its first step
  int64_t scale_steps_ = 0;
  int64_t scale_step_ = 0;
};

// neural-style's L-BFGS: history 100, no line search, tolerances off. LibTorch's LBFGS keeps its
// history between calls of `step`, so one iteration per call is the same method as one call of
// many iterations, and each call evaluates the closure exactly once. The image is not clamped
// between evaluations (L-BFGS's curvature pairs would no longer hold).
class Lbfgs final : public PixelOptimizer {
 public:
  Lbfgs(const StyleTransferOptions& options, int64_t history)
      : options_(options), history_(history) {}

  void begin_scale(const torch::Tensor& image, size_t /*index*/, int64_t /*previous_pixels*/,
                   int64_t /*steps*/, int64_t /*done*/) override {
    // Curvature pairs of another size mean nothing at this one: the history starts again.
    lbfgs_ = std::make_unique<torch::optim::LBFGS>(
        std::vector<torch::Tensor>{image}, torch::optim::LBFGSOptions(options_.learning_rate())
                                               .max_iter(1)
                                               .max_eval(1)
                                               .tolerance_grad(-1)
                                               .tolerance_change(-1)
                                               .history_size(history_));
  }

  void step(torch::Tensor& image, const GradientClosure& measure) override {
    lbfgs_->step([&] {
      image.mutable_grad() = measure();
      // LBFGS only compares losses with its tolerances, which are off: any value will do.
      return torch::zeros({}, image.options());
    });
  }

  bool keeps_pixels_in_range() const override { return false; }

 private:
  const StyleTransferOptions options_;
  const int64_t history_;
  std::unique_ptr<torch::optim::LBFGS> lbfgs_;
};

}  // namespace

std::unique_ptr<PixelOptimizer> make_optimizer(const StyleTransferOptions& options,
                                               int64_t lbfgs_history) {
  if (options.optimizer() == Optimizer::kLbfgs) {
    return std::make_unique<Lbfgs>(options, lbfgs_history);
  }
  return std::make_unique<Adam>(options);
}

}  // namespace nst
