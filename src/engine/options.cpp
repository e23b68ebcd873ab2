#include "nst/options.h"

#include <cmath>
#include <sstream>

#include "nst/error.h"
#include "nst/vgg.h"

namespace nst {
namespace {

[[noreturn]] void invalid(const std::string& why) {
  throw Error(ErrorCode::kInvalidOptions, why);
}

void check_layers(const std::vector<std::string>& layers, const char* what) {
  if (layers.empty()) invalid(std::string("no ") + what + " layers given");
  for (const auto& name : layers) {
    if (FeatureExtractor::layer_index(name) < 0) {
      invalid(std::string("unknown ") + what + " layer '" + name +
              "'; VGG19 layers are named conv1_1, relu1_1, conv1_2, … relu5_4, pool1 … pool5");
    }
  }
}

void check_non_negative(double value, const char* what) {
  if (!std::isfinite(value) || value < 0) {
    invalid(std::string(what) + " must be a finite number >= 0, not " + std::to_string(value));
  }
}

}  // namespace

const char* to_string(Optimizer optimizer) {
  return optimizer == Optimizer::kLbfgs ? "lbfgs" : "adam";
}

const char* to_string(Upsample upsample) {
  return upsample == Upsample::kResidual ? "residual" : "image";
}

const char* to_string(LrSchedule schedule) {
  return schedule == LrSchedule::kCosine ? "cosine" : "constant";
}

const char* to_string(ScaleMoments moments) {
  switch (moments) {
    case ScaleMoments::kReset:
      return "reset";
    case ScaleMoments::kRescale:
      return "rescale";
    case ScaleMoments::kCarry:
      return "carry";
  }
  return "?";
}

const char* to_string(Pooling pooling) {
  return pooling == Pooling::kAverage ? "avg" : "max";
}

const char* to_string(StyleLoss loss) {
  return loss == StyleLoss::kW2 ? "w2" : "gram";
}

const char* to_string(PreserveColours preserve) {
  switch (preserve) {
    case PreserveColours::kNone:
      return "none";
    case PreserveColours::kLuminance:
      return "luminance";
    case PreserveColours::kHistogram:
      return "histogram";
  }
  return "?";
}

const char* to_string(Init init) {
  switch (init) {
    case Init::kContent:
      return "content";
    case Init::kNoise:
      return "noise";
    case Init::kGray:
      return "gray";
    case Init::kImage:
      return "image";
  }
  return "?";
}

const char* to_string(Precision precision) {
  switch (precision) {
    case Precision::kAuto:
      return "auto";
    case Precision::kFloat32:
      return "fp32";
    case Precision::kBFloat16:
      return "bf16";
    case Precision::kFloat16:
      return "fp16";
  }
  return "?";
}

Precision parse_precision(const std::string& name) {
  for (const auto p :
       {Precision::kAuto, Precision::kFloat32, Precision::kBFloat16, Precision::kFloat16}) {
    if (name == to_string(p)) return p;
  }
  invalid("unknown precision '" + name + "'; use auto, fp32, bf16 or fp16");
}

StyleTransferOptions StyleTransferOptions::preset(const std::string& name) {
  // The best seed-objective quality per second measured (README, "Presets"): the seed's
  // objective, Adam with shorter memories (beta1 and beta2 0.9) and larger steps decaying along
  // a cosine, 200 steps, bfloat16 where native and faster.
  if (name == "default") return StyleTransferOptions();
  if (name == "seed") {
    // The seed tutorial (Keras VGG19 block5_conv2 / blockN_conv1 are relu5_2 / reluN_1).
    return StyleTransferOptions()
        .size(512)
        .content_layers({"relu5_2"})
        .style_layers({"relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"})
        .style_layer_weights({})
        .content_weight(1e3)
        .style_weight(1e-2)
        .iterations(1000)
        .learning_rate(5.0)
        .lr_schedule(LrSchedule::kConstant)
        .beta1(0.99)
        .beta2(0.999)
        .epsilon(0.1)
        .precision(Precision::kFloat32);
  }
  if (name == "fast") {
    // A preview in a few seconds on a CPU: 256 px, few steps, and no fifth block, so the
    // network is cut after relu4_2.
    return StyleTransferOptions()
        .size(256)
        .content_layers({"relu4_2"})
        .style_layers({"relu1_1", "relu2_1", "relu3_1", "relu4_1"})
        .learning_rate(10.0)
        .lr_schedule(LrSchedule::kConstant)
        .beta2(0.999)  // measured for these 30 steps; the default's 0.9 was chosen for longer runs
        .iterations(30);
  }
  std::string known;
  for (const auto& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
  invalid("unknown preset '" + name + "'; known presets: " + known);
}

const std::vector<std::string>& StyleTransferOptions::preset_names() {
  static const std::vector<std::string> names = {"default", "seed", "fast"};
  return names;
}

std::string StyleTransferOptions::describe_presets() {
  return "  default: the seed's objective (content relu5_2, style relu1_1..relu5_1 1/5 each,\n"
         "           weights 1e3/1e-2), Adam lr 20 down to 0.5 along a cosine, beta1 0.9,\n"
         "           beta2 0.9, eps 0.1, 200 iterations, precision auto, size 512\n"
         "  seed:    the seed tutorial: as default, but Adam lr 5 constant, beta1 0.99,\n"
         "           beta2 0.999, 1000 iterations, precision fp32\n"
         "  fast:    a preview in a few seconds on a CPU: as default, but Adam lr 10 constant,\n"
         "           beta2 0.999,\n"
         "           content relu4_2, style relu1_1..relu4_1 (1/4 each), 30 iterations, size 256\n";
}

void StyleTransferOptions::validate() const {
  if (size_ < 16) invalid("size must be at least 16 pixels, not " + std::to_string(size_));
  if (style_size_ != 0 && style_size_ < 16) {
    invalid("style size must be 0 (same as size) or at least 16 pixels, not " +
            std::to_string(style_size_));
  }
  check_layers(content_layers_, "content");
  check_layers(style_layers_, "style");
  if (!style_layer_weights_.empty() && style_layer_weights_.size() != style_layers_.size()) {
    invalid("got " + std::to_string(style_layer_weights_.size()) + " style layer weights for " +
            std::to_string(style_layers_.size()) + " style layers");
  }
  for (double w : style_layer_weights_) check_non_negative(w, "a style layer weight");
  check_non_negative(content_weight_, "the content weight");
  check_non_negative(style_weight_, "the style weight");
  if (iterations_ < 1) invalid("iterations must be at least 1");
  if (!std::isfinite(learning_rate_) || learning_rate_ <= 0) {
    invalid("the learning rate must be a finite number > 0");
  }
  if (!std::isfinite(final_learning_rate_) || final_learning_rate_ < 0) {
    invalid("the final learning rate must be a finite number >= 0");
  }
  if (!(beta1_ >= 0 && beta1_ < 1) || !(beta2_ >= 0 && beta2_ < 1)) {
    invalid("Adam's betas must lie in [0, 1)");
  }
  if (!std::isfinite(epsilon_) || epsilon_ <= 0) invalid("Adam's epsilon must be > 0");
  if (min_scale_ != 0 && min_scale_ < 16) {
    invalid("the smallest scale must be 0 (one scale) or at least 16 pixels, not " +
            std::to_string(min_scale_));
  }
  if (initial_iterations_ < 0) invalid("initial iterations must be 0 (as --iterations) or more");
  check_non_negative(tv_weight_, "the total-variation weight");
  if (!std::isfinite(style_scale_) || style_scale_ <= 0) {
    invalid("the style scale must be a number > 0");
  }
  if (style_size_ == 0 && effective_style_size() < 16) {
    invalid("the style scale makes the style image smaller than 16 pixels");
  }
  if (!(average_decay_ >= 0 && average_decay_ < 1)) {
    invalid("the average decay must lie in [0, 1); 0 turns averaging off");
  }
}

std::vector<int64_t> StyleTransferOptions::scale_sides() const {
  std::vector<int64_t> sides;
  if (min_scale_ > 0 && min_scale_ < size_) {
    // A coarse scale within half a step (a factor 2^(1/4)) of the size would be the full
    // picture again at nearly its full cost, so the schedule goes to the size from there.
    const double nearest = static_cast<double>(size_) / std::pow(2.0, 0.25);
    for (double side = static_cast<double>(min_scale_); side < nearest; side *= std::sqrt(2.0)) {
      sides.push_back(std::lround(side));
    }
  }
  sides.push_back(size_);
  return sides;
}

int64_t StyleTransferOptions::iterations_at(size_t index) const {
  return index == 0 && initial_iterations_ > 0 && scale_sides().size() > 1 ? initial_iterations_
                                                                           : iterations_;
}

int64_t StyleTransferOptions::effective_style_size() const {
  return style_size_ > 0 ? style_size_ : std::lround(style_scale_ * static_cast<double>(size_));
}

int64_t StyleTransferOptions::total_iterations() const {
  int64_t total = 0;
  for (size_t i = 0; i < scale_sides().size(); ++i) total += iterations_at(i);
  return total;
}

std::vector<double> StyleTransferOptions::effective_style_layer_weights() const {
  if (!style_layer_weights_.empty()) return style_layer_weights_;
  return std::vector<double>(style_layers_.size(), 1.0 / static_cast<double>(style_layers_.size()));
}

}  // namespace nst
