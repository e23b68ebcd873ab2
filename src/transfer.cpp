#include "nst/transfer.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "nst/error.h"
#include "nst/losses.h"

namespace nst {

StyleTransfer::StyleTransfer(const FeatureExtractor& extractor, StyleTransferOptions options)
    : extractor_(extractor), options_(std::move(options)) {
  options_.validate();
  style_layer_weights_ = options_.effective_style_layer_weights();
  all_layers_ = options_.content_layers();
  for (const auto& name : options_.style_layers()) {
    if (std::find(all_layers_.begin(), all_layers_.end(), name) == all_layers_.end()) {
      all_layers_.push_back(name);
    }
  }
}

StyleTargets StyleTransfer::style_targets(const torch::Tensor& style_rgb255) const {
  torch::NoGradGuard no_grad;
  StyleTargets targets;
  for (auto& [name, features] : extractor_.extract(style_rgb255, options_.style_layers())) {
    targets.grams.emplace(name, gram_matrix(features));
  }
  return targets;
}

StyleTransfer::Losses StyleTransfer::losses(
    const std::map<std::string, torch::Tensor>& features,
    const std::map<std::string, torch::Tensor>& content_targets, const StyleTargets& style) const {
  const auto& content_layers = options_.content_layers();
  torch::Tensor content = torch::zeros({}, features.begin()->second.options());
  for (const auto& name : content_layers) {
    content = content + content_loss(features.at(name), content_targets.at(name));
  }
  // Averaged so that one layer gives exactly the seed tutorial's loss and more layers do not
  // change its scale.
  content = content / static_cast<double>(content_layers.size());

  torch::Tensor style_total = torch::zeros({}, content.options());
  const auto& style_layers = options_.style_layers();
  for (size_t i = 0; i < style_layers.size(); ++i) {
    const auto& name = style_layers[i];
    style_total = style_total + style_layer_weights_[i] *
                                    gram_style_loss(features.at(name), style.grams.at(name));
  }
  auto total = options_.content_weight() * content + options_.style_weight() * style_total;
  return {total, content, style_total};
}

TransferResult StyleTransfer::run(const torch::Tensor& content_rgb255, const StyleTargets& style,
                                  const ProgressCallback& progress) const {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  torch::manual_seed(options_.seed());

  const auto content = content_rgb255.to(extractor_.device(), torch::kFloat32);
  std::map<std::string, torch::Tensor> content_targets;
  {
    torch::NoGradGuard no_grad;
    content_targets = extractor_.extract(content, options_.content_layers());
  }

  torch::Tensor image = content.clone().set_requires_grad(true);
  torch::optim::Adam optimizer({image}, torch::optim::AdamOptions(options_.learning_rate())
                                            .betas({options_.beta1(), options_.beta2()})
                                            .eps(options_.epsilon()));

  TransferResult result;
  result.loss = std::numeric_limits<double>::infinity();
  torch::Tensor best = content.clone();
  const int64_t iterations = options_.iterations();
  for (int64_t iteration = 1; iteration <= iterations; ++iteration) {
    optimizer.zero_grad();
    const auto features = extractor_.extract(image, all_layers_);
    const Losses loss = losses(features, content_targets, style);
    loss.total.backward();

    ProgressEvent event;
    event.iteration = iteration;
    event.iterations = iterations;
    event.loss = loss.total.item<double>();
    event.content_loss = loss.content.item<double>();
    event.style_loss = loss.style.item<double>();
    if (!std::isfinite(event.loss)) {
      throw Error(ErrorCode::kNumerical, "the loss became " + std::to_string(event.loss) +
                                             " at iteration " + std::to_string(iteration) +
                                             "; try a lower learning rate or weights");
    }
    // The loss was measured on the image before this step, so that is the one to keep.
    if (event.loss < result.loss) {
      torch::NoGradGuard no_grad;
      best.copy_(image);
      result.loss = event.loss;
      result.content_loss = event.content_loss;
      result.style_loss = event.style_loss;
    }
    optimizer.step();
    {
      torch::NoGradGuard no_grad;
      image.clamp_(0.0, 255.0);
    }
    result.iterations = iteration;
    event.best_loss = result.loss;
    event.image = image.detach();
    event.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (progress && !progress(event)) {
      result.cancelled = iteration < iterations;
      break;
    }
  }
  result.image = best.to(torch::kCPU);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace nst
