#include "nst/engine/transfer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "nst/engine/colour.h"
#include "nst/engine/device.h"
#include "nst/engine/error.h"
#include "nst/engine/image_size.h"
#include "nst/engine/loss_scaler.h"
#include "nst/engine/losses.h"
#include "nst/engine/optimizers.h"

namespace nst {
namespace {

using Clock = std::chrono::steady_clock;

// Steps between checks for a non-finite loss on a GPU, when nothing else has read a number back.
constexpr int64_t kFiniteCheckInterval = 50;

// A tiled step's cost over an untiled step's, per pixel the network reads: the first pass's
// forward and the second pass's forward and backward; 1.23-1.66 measured with
// scripts/bench_tiling.sh at 512 to 2048 px, 1.4 on the whole (doc/performance.md, "Tiles").
constexpr double kTiledStepCost = 1.4;

}  // namespace

double ProgressEvent::value(size_t index) const {
  if (values_.empty()) {
    TORCH_CHECK(losses_.defined(), "the event carries no losses");
    const auto host = losses_.to(torch::kCPU, torch::kFloat64).contiguous();
    values_.assign(host.data_ptr<double>(), host.data_ptr<double>() + host.numel());
  }
  return values_.at(index);
}

StyleTransfer::StyleTransfer(const FeatureExtractor& extractor, StyleTransferOptions options,
                             int64_t memory_limit_bytes)
    : extractor_(extractor.with_pooling(options.pooling())),
      options_(std::move(options)),
      objective_(options_),
      memory_limit_bytes_(memory_limit_bytes),
      memory_model_(options_, torch::kFloat32, extractor_.device().is_cuda()) {
  options_.validate();
  configure_arithmetic(extractor_.device(), options_.deterministic());
  layer_type_ = compute_type(options_.precision(), extractor_.device());
  if (!extractor_.supports(layer_type_)) {
    throw Error(ErrorCode::kInvalidOptions,
                std::string("precision ") + to_string(options_.precision()) +
                    " is not available on " + extractor_.device().str() +
                    "; fp16 needs CUDA, bf16 works everywhere");
  }
  if (layer_type_ == torch::kHalf) {
    // Half precision needs its loss scaled into range, which the tiles' seeds do not do.
    if (options_.tile() > 0) {
      throw Error(ErrorCode::kInvalidOptions,
                  "--tile works with fp32 and bf16 layers, not fp16; use --precision bf16");
    }
    options_.tile(kTileOff);
  }
  memory_model_ = MemoryModel(options_, layer_type_, extractor_.device().is_cuda());
  device_baseline_bytes_ = std::max<int64_t>(0, device_memory_in_use_bytes());
  budget_ = nst::memory_budget(extractor_.device(), memory_limit_bytes_);
}

torch::Tensor StyleTransfer::starting_image(const torch::Tensor& content,
                                            const torch::Tensor& init) const {
  switch (options_.init()) {
    case Init::kNoise: {
      // A generator of the run's own, drawn on the CPU: the same seed gives the same noise on
      // every device, and runs in other threads neither disturb it nor are disturbed.
      auto generator = at::make_generator<at::CPUGeneratorImpl>(options_.seed());
      return (torch::rand(content.sizes(), generator, torch::kFloat32) * 255.0)
          .to(content.device());
    }
    case Init::kGray:
      return torch::full_like(content, 128.0);
    case Init::kImage:
      if (!init.defined()) {
        throw Error(ErrorCode::kInvalidOptions, "the starting image was asked for but not given");
      }
      return resize_image(init.to(content.device(), torch::kFloat32), content.size(2),
                          content.size(3))
          .clone();
    case Init::kContent:
      break;
  }
  return content.clone();
}

// One scale of the optimisation: its size, targets, the image being optimised and what the
// scale keeps of it (the lowest-loss image, or the moving average). What each step measures
// stays on the device (no step waits for the GPU to read a number back), and is read at the
// scale's end, when a caller reads an event's losses, or every kFiniteCheckInterval steps.
struct StyleTransfer::Scale {
  // Bias-corrected exponential moving average of the image.
  class MovingAverage {
   public:
    explicit MovingAverage(double decay) : decay_(decay) {}

    void add(const torch::Tensor& image) {
      average_ = average_.defined() ? average_.mul_(decay_).add_(image, 1.0 - decay_)
                                    : image * (1.0 - decay_);
      correction_ = correction_ * decay_ + (1.0 - decay_);
    }
    bool empty() const { return !average_.defined(); }
    bool enabled() const { return decay_ > 0; }
    torch::Tensor value() const { return average_ / correction_; }

   private:
    double decay_;
    torch::Tensor average_;
    double correction_ = 0;
  };

  size_t index = 0;
  int64_t height = 0;
  int64_t width = 0;
  torch::Tensor content;          // the content at this scale
  std::optional<TilePlan> tiles;  // the tiles its loss is computed in, if any
  std::map<std::string, torch::Tensor> content_targets;
  const std::map<std::string, torch::Tensor>* style_targets = nullptr;
  torch::Tensor warped;       // the temporal target at this scale, if any (RGB 0..255)
  torch::Tensor consistency;  // and where it holds ([1, 1, h, w], 0..1)
  double temporal_weight = 0;
  torch::Tensor image;        // the leaf the optimiser changes
  torch::Tensor best;         // the image the lowest loss was measured on
  torch::Tensor best_losses;  // its [total, content, style] losses (float32, +inf before any)
  torch::Tensor first_bad;    // the first iteration whose loss was not finite (int64, -1: none)
  torch::Tensor bad_loss;     // that loss
  MovingAverage average;
  torch::Tensor result;  // set by end_scale: the average, or the best image, clamped
  ScaleOutcome outcome;

  explicit Scale(double decay) : average(decay) {}
};

StyleTransfer::Scale StyleTransfer::begin_scale(size_t index, const MemoryPlan& plan,
                                                const torch::Tensor& full,
                                                const StyleTargets& style, const Scale* previous,
                                                const torch::Tensor& init,
                                                const torch::Tensor& resumed) const {
  // Scales are fractions of the image as given (`scale_plans`), so an image of another size
  // than `size` is still painted at its own size.
  const int64_t height = plan.height;
  const int64_t width = plan.width;
  Scale scale(options_.average_decay());
  scale.index = index;
  scale.height = height;
  scale.width = width;
  scale.content = resize_image(full, height, width);
  scale.tiles = plan.tile_plan();
  if (scale.tiles) {
    scale.content_targets = Objective::tiled_features(extractor_, layer_type_, scale.content,
                                                      *scale.tiles, options_.content_layers());
  } else {
    torch::NoGradGuard no_grad;
    scale.content_targets =
        extractor_.extract(scale.content, options_.content_layers(), layer_type_);
  }
  scale.style_targets = &style.scales[index];
  if (resumed.defined()) {
    scale.image = resize_image(resumed.to(full.device(), torch::kFloat32), height, width);
  } else if (previous == nullptr) {
    scale.image = starting_image(scale.content, init);
  } else if (options_.upsample() == Upsample::kResidual) {
    scale.image = add_upsampled_change(scale.content, previous->result, previous->content);
  } else {
    scale.image = resize_image(previous->result, height, width).contiguous();
  }
  // L-BFGS flattens the image's gradient as a view, which needs contiguous memory.
  scale.image = scale.image.contiguous();
  scale.image.set_requires_grad(true);
  scale.best = scale.image.detach().clone();
  const auto on_device = torch::TensorOptions().device(scale.image.device());
  scale.best_losses =
      torch::full({3}, std::numeric_limits<float>::infinity(), on_device.dtype(torch::kFloat32));
  scale.first_bad = torch::full({}, -1, on_device.dtype(torch::kInt64));
  scale.bad_loss = torch::zeros({}, on_device.dtype(torch::kFloat32));
  scale.outcome = {width, height, 0, std::numeric_limits<double>::infinity(), 0, 0};
  if (scale.tiles) {
    scale.outcome.tile_core = scale.tiles->core();
    scale.outcome.tiles = static_cast<int64_t>(scale.tiles->tiles().size());
  }
  return scale;
}

torch::Tensor StyleTransfer::measure(Scale& scale, ProgressEvent& event, LossScaler& scaler) const {
  Objective::Losses loss;
  torch::Tensor gradient;
  if (scale.tiles) {
    auto evaluation = objective_.evaluate_tiled(extractor_, layer_type_, scale.image, *scale.tiles,
                                                scale.content_targets, *scale.style_targets);
    loss = evaluation.losses;
    gradient = evaluation.gradient;
    if (scale.warped.defined()) {
      // Pixels alone, no network: the whole image's term and its gradient, as the total
      // variation's in the tiled pass.
      const auto image = scale.image.detach().requires_grad_(true);
      const auto temporal = temporal_term(scale, image);
      temporal.backward();
      gradient = gradient + image.grad();
      loss.total = loss.total + temporal.detach().to(loss.total.scalar_type());
    }
  } else {
    const auto features = extractor_.extract(scale.image, objective_.layers(), layer_type_,
                                             FeatureExtractor::Output::kLayerType);
    loss = objective_.losses(scale.image, features, scale.content_targets, *scale.style_targets);
    if (scale.warped.defined()) loss.total = loss.total + temporal_term(scale, scale.image);
    gradient = scaler.gradient(loss.total, scale.image);
  }
  torch::NoGradGuard no_grad;
  const auto measured = torch::stack({loss.total, loss.content, loss.style}).to(torch::kFloat32);
  const auto total = measured[0];
  // Kept on the device: a NaN is never better, so the best image stays a finite one.
  const auto better = total < scale.best_losses[0];
  scale.best.copy_(torch::where(better, scale.image, scale.best));
  scale.best_losses.copy_(torch::where(better, measured, scale.best_losses));
  const auto first_bad = torch::logical_not(torch::isfinite(total)) & (scale.first_bad < 0);
  scale.first_bad.copy_(
      torch::where(first_bad, torch::full_like(scale.first_bad, event.iteration), scale.first_bad));
  scale.bad_loss.copy_(torch::where(first_bad, total, scale.bad_loss));
  event.set_losses(torch::cat({measured, scale.best_losses.narrow(0, 0, 1)}));
  ++scale.outcome.iterations;
  return gradient;
}

void StyleTransfer::check_finite(const Scale& scale, int64_t scales) const {
  const int64_t iteration = scale.first_bad.item<int64_t>();
  if (iteration < 0) return;
  throw Error(ErrorCode::kNumerical,
              "the loss became " + std::to_string(scale.bad_loss.item<double>()) +
                  " at iteration " + std::to_string(iteration) + " (scale " +
                  std::to_string(scale.index + 1) + " of " + std::to_string(scales) + ", " +
                  std::to_string(scale.width) + "x" + std::to_string(scale.height) +
                  "); try a lower learning rate or weights");
}

torch::Tensor StyleTransfer::temporal_term(const Scale& scale, const torch::Tensor& image) const {
  if (!scale.warped.defined()) return {};
  return scale.temporal_weight * temporal_loss(image, scale.warped, scale.consistency);
}

void StyleTransfer::end_scale(Scale& scale) const {
  torch::NoGradGuard no_grad;
  if (scale.average.empty()) {
    // L-BFGS does not keep its pixels in range as it goes.
    scale.result = scale.best.clamp(0.0, 255.0);
    const auto best = scale.best_losses.to(torch::kCPU, torch::kFloat64);
    scale.outcome.loss = best[0].item<double>();
    scale.outcome.content_loss = best[1].item<double>();
    scale.outcome.style_loss = best[2].item<double>();
    return;
  }
  scale.result = scale.average.value();
  const auto loss =
      scale.tiles
          ? objective_.tiled_losses(extractor_, layer_type_, scale.result, *scale.tiles,
                                    scale.content_targets, *scale.style_targets)
          : objective_.losses(scale.result,
                              extractor_.extract(scale.result, objective_.layers(), layer_type_),
                              scale.content_targets, *scale.style_targets);
  scale.outcome.loss = loss.total.item<double>();
  if (scale.warped.defined())
    scale.outcome.loss += temporal_term(scale, scale.result).item<double>();
  scale.outcome.content_loss = loss.content.item<double>();
  scale.outcome.style_loss = loss.style.item<double>();
}

std::vector<double> StyleTransfer::work_shares(const std::vector<MemoryPlan>& plans) const {
  std::vector<double> shares;
  double total = 0;
  for (size_t index = 0; index < plans.size(); ++index) {
    const MemoryPlan& plan = plans[index];
    const double per_step = static_cast<double>(plan.height * plan.width) *
                            (plan.tiled() ? kTiledStepCost * plan.work : 1.0);
    shares.push_back(per_step * static_cast<double>(options_.iterations_at(index)));
    total += shares.back();
  }
  for (auto& share : shares) share = total > 0 ? share / total : 0;
  return shares;
}

TransferResult StyleTransfer::run(const torch::Tensor& content_rgb255, const StyleTargets& style,
                                  const ProgressCallback& progress,
                                  const torch::Tensor& init_rgb255, const ResumePoint& resume,
                                  const TemporalTarget& temporal) const {
  const auto start = Clock::now();
  const auto full = content_rgb255.to(extractor_.device(), torch::kFloat32);
  const size_t scales = options_.scale_sides().size();
  TORCH_CHECK(style.scales.size() == scales, "style targets were computed for other options (",
              style.scales.size(), " scales, expected ", scales, ")");
  const int64_t total = options_.total_iterations();
  if (temporal.active()) {
    TORCH_CHECK(temporal.warped.dim() == 4 && temporal.warped.size(2) == full.size(2) &&
                    temporal.warped.size(3) == full.size(3) &&
                    temporal.consistency.size(2) == full.size(2) &&
                    temporal.consistency.size(3) == full.size(3),
                "the temporal target must have the content's size");
  }
  const std::vector<MemoryPlan> plans = scale_plans(full.size(2), full.size(3));
  // L-BFGS's history is sized once for the run, by its largest scale.
  const auto optimizer =
      make_optimizer(options_, plans.back().tiled() ? kTiledLbfgsHistory : kLbfgsHistory);
  // Half-precision layers need their gradients scaled into range (see LossScaler).
  LossScaler scaler(layer_type_ == torch::kHalf);
  const bool eager_checks = !extractor_.device().is_cuda();

  // A resumed run starts in the scale of the step after the one it resumes from.
  size_t first = 0;
  int64_t iteration = std::min(std::max<int64_t>(resume.iteration, 0), total);
  int64_t first_done = iteration;
  while (first + 1 < scales && first_done >= options_.iterations_at(first)) {
    first_done -= options_.iterations_at(first);
    ++first;
  }
  const std::vector<double> shares = work_shares(plans);
  double work_before = 0;  // the shares of the scales before the current one
  for (size_t index = 0; index < first; ++index) work_before += shares[index];
  const double work_at_start =
      work_before + shares[first] * static_cast<double>(first_done) /
                        static_cast<double>(std::max<int64_t>(1, options_.iterations_at(first)));

  TransferResult result;
  std::unique_ptr<Scale> previous;
  for (size_t index = first; index < scales && !result.cancelled; ++index) {
    const bool resuming = index == first && iteration > 0;
    auto scale = std::make_unique<Scale>(begin_scale(index, plans[index], full, style,
                                                     previous.get(), init_rgb255,
                                                     resuming ? resume.image : torch::Tensor()));
    if (temporal.active()) {
      scale->temporal_weight = temporal.weight;
      scale->warped = resize_image(temporal.warped.to(full.device(), torch::kFloat32),
                                   scale->height, scale->width);
      scale->consistency = resample(temporal.consistency.to(full.device(), torch::kFloat32),
                                    scale->height, scale->width)
                               .clamp(0.0, 1.0);
    }
    const int64_t steps = options_.iterations_at(index);
    const int64_t done = index == first ? first_done : 0;
    optimizer->begin_scale(scale->image, index,
                           previous ? previous->height * previous->width : int64_t{0}, steps, done);
    for (int64_t step = done + 1; step <= steps; ++step) {
      ProgressEvent event;
      event.iteration = ++iteration;
      event.iterations = total;
      event.scale = index;
      event.scales = scales;
      event.work_at_start = work_at_start;
      event.work_done = std::min(1.0, work_before + shares[index] * static_cast<double>(step) /
                                                        static_cast<double>(steps));
      // The loss is measured on the image before the step: `measure` keeps that one.
      optimizer->step(scale->image, [&] { return measure(*scale, event, scaler); });
      if (scale->average.enabled()) {
        torch::NoGradGuard no_grad;
        scale->average.add(optimizer->keeps_pixels_in_range() ? scale->image
                                                              : scale->image.clamp(0.0, 255.0));
      }
      event.image = scale->image.detach();
      event.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
      // On the CPU a number read costs nothing, so a non-finite loss ends the run at once; on a
      // GPU it is caught when the device is waited for anyway, or every so many steps.
      if (eager_checks || iteration % kFiniteCheckInterval == 0) {
        check_finite(*scale, static_cast<int64_t>(scales));
      }
      const bool go_on = !progress || progress(event);
      if (!eager_checks && event.losses_read()) check_finite(*scale, static_cast<int64_t>(scales));
      if (!go_on) {
        result.cancelled = iteration < total;
        break;
      }
    }
    work_before += shares[index];
    check_finite(*scale, static_cast<int64_t>(scales));
    end_scale(*scale);
    result.iterations = iteration;
    result.scales.push_back(scale->outcome);
    previous = std::move(scale);
  }

  // Cut short at a coarse scale, the result is still delivered at the size asked for.
  auto image = resize_image(previous->result, full.size(2), full.size(3)).clamp(0.0, 255.0);
  if (options_.preserve_colours() == PreserveColours::kLuminance) {
    image = keep_content_colours(image, full);
  }
  result.image = image.to(torch::kCPU);
  result.scale_image = previous->result.clamp(0.0, 255.0).to(torch::kCPU);
  result.loss = result.scales.back().loss;
  result.content_loss = result.scales.back().content_loss;
  result.style_loss = result.scales.back().style_loss;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace nst
