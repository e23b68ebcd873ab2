#include "nst/engine/settings.h"

#include <cmath>
#include <cstdio>

#include "nst/engine/error.h"

namespace nst {
namespace {

using O = StyleTransferOptions;
using V = SettingValue;

std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", value);
  return text;
}

Bounds closed(double low, double high) {
  return Bounds{low, high};
}

Bounds positive() {
  Bounds bounds;
  bounds.low = 0;
  bounds.low_open = true;
  return bounds;
}

Bounds non_negative() {
  Bounds bounds;
  bounds.low = 0;
  return bounds;
}

// [0, 1): decays and Adam's betas.
Bounds unit_interval() {
  Bounds bounds{0, 1};
  bounds.high_open = true;
  return bounds;
}

Bounds zero_or(Bounds bounds) {
  bounds.or_zero = true;
  return bounds;
}

const Bounds kSide = closed(16, 16384);  // pixels: relu5_1 needs 16; beyond 16384, no machine
const Bounds kSteps = closed(1, 1e6);

// The enum value a word names; the command line checks the words first, so this throws only
// for callers that did not.
template <class Enum>
Enum word(const V& value) {
  const auto& text = std::get<std::string>(value);
  if (const auto named = value_named<Enum>(text)) return *named;
  std::string known;
  for (const auto& name : names_of<Enum>()) known += (known.empty() ? "" : ", ") + name;
  throw Error(ErrorCode::kInvalidOptions, "unknown value '" + text + "'; use one of " + known);
}

int64_t integer(const V& value) {
  return std::get<int64_t>(value);
}
double real(const V& value) {
  return std::get<double>(value);
}

std::vector<Setting> make_settings() {
  return {
      {"size",
       "--size",
       "Long side of the output in pixels",
       SettingType::kInteger,
       kSide,
       {},
       [](const O& o) -> V { return o.size(); },
       [](O& o, const V& v) { o.size(integer(v)); }},
      {"style_size",
       "--style-size",
       "Long side of the style image in pixels",
       SettingType::kInteger,
       kSide,
       {},
       [](const O& o) -> V { return o.effective_style_size(); },
       [](O& o, const V& v) { o.style_size(integer(v)); },
       "--size x --style-scale"},
      {"style_scale",
       "--style-scale",
       "Long side of the style image as a multiple of --size, unless --style-size is given",
       SettingType::kReal,
       positive(),
       {},
       [](const O& o) -> V { return o.style_scale(); },
       [](O& o, const V& v) { o.style_scale(real(v)); }},
      {"iterations",
       "--iterations",
       "Optimisation steps at each scale (at the last, with --initial-iterations)",
       SettingType::kInteger,
       kSteps,
       {},
       [](const O& o) -> V { return o.iterations(); },
       [](O& o, const V& v) { o.iterations(integer(v)); }},
      // Before --lr: L-BFGS brings its own step length, which an explicit --lr then overrides.
      {"optimizer",
       "--optimizer",
       "adam, or lbfgs (as neural-style: an iteration is a function evaluation, and --lr is "
       "the step length, 1 unless given)",
       SettingType::kChoice,
       {},
       names_of<Optimizer>(),
       [](const O& o) -> V { return std::string(to_string(o.optimizer())); },
       [](O& o, const V& v) {
         o.optimizer(word<Optimizer>(v));
         if (o.optimizer() == Optimizer::kLbfgs) o.learning_rate(1.0);
       }},
      {"learning_rate",
       "--lr",
       "Adam's learning rate, in 0..255 pixel units",
       SettingType::kReal,
       positive(),
       {},
       [](const O& o) -> V { return o.learning_rate(); },
       [](O& o, const V& v) { o.learning_rate(real(v)); }},
      {"lr_schedule",
       "--lr-schedule",
       "How Adam's learning rate changes over each scale's steps: constant, or cosine (half a "
       "cosine from --lr down to --lr-final)",
       SettingType::kChoice,
       {},
       names_of<LrSchedule>(),
       [](const O& o) -> V { return std::string(to_string(o.lr_schedule())); },
       [](O& o, const V& v) { o.lr_schedule(word<LrSchedule>(v)); }},
      {"final_learning_rate",
       "--lr-final",
       "Adam's learning rate at each scale's last step with --lr-schedule cosine",
       SettingType::kReal,
       non_negative(),
       {},
       [](const O& o) -> V { return o.final_learning_rate(); },
       [](O& o, const V& v) { o.final_learning_rate(real(v)); }},
      {"scale_learning_rate",
       "--scale-lr",
       "Adam's learning rate at the first step of each scale after the first (with "
       "--lr-schedule cosine, down to --lr-final over the scale's steps)",
       SettingType::kReal,
       positive(),
       {},
       [](const O& o) -> V { return o.learning_rate_at(1); },
       [](O& o, const V& v) { o.scale_learning_rate(real(v)); },
       "--lr"},
      {"beta1",
       "--adam-beta1",
       "Adam's first-moment decay",
       SettingType::kReal,
       unit_interval(),
       {},
       [](const O& o) -> V { return o.beta1(); },
       [](O& o, const V& v) { o.beta1(real(v)); }},
      {"beta2",
       "--adam-beta2",
       "Adam's second-moment decay",
       SettingType::kReal,
       unit_interval(),
       {},
       [](const O& o) -> V { return o.beta2(); },
       [](O& o, const V& v) { o.beta2(real(v)); }},
      {"epsilon",
       "--adam-epsilon",
       "Adam's epsilon, in gradient units: larger values damp small gradients' steps",
       SettingType::kReal,
       positive(),
       {},
       [](const O& o) -> V { return o.epsilon(); },
       [](O& o, const V& v) { o.epsilon(real(v)); }},
      {"content_weight",
       "--content-weight",
       "Weight of the content loss",
       SettingType::kReal,
       non_negative(),
       {},
       [](const O& o) -> V { return o.content_weight(); },
       [](O& o, const V& v) { o.content_weight(real(v)); }},
      {"style_weight",
       "--style-weight",
       "Weight of the style loss",
       SettingType::kReal,
       non_negative(),
       {},
       [](const O& o) -> V { return o.style_weight(); },
       [](O& o, const V& v) { o.style_weight(real(v)); }},
      {"content_layers",
       "--content-layers",
       "Comma-separated VGG19 layers for the content loss (e.g. relu4_2)",
       SettingType::kLayers,
       {},
       {},
       [](const O& o) -> V { return o.content_layers(); },
       [](O& o, const V& v) { o.content_layers(std::get<std::vector<std::string>>(v)); }},
      // Before --style-layer-weights: new layers drop the old layers' weights.
      {"style_layers",
       "--style-layers",
       "Comma-separated VGG19 layers for the style loss (weights: --style-layer-weights)",
       SettingType::kLayers,
       {},
       {},
       [](const O& o) -> V { return o.style_layers(); },
       [](O& o, const V& v) {
         o.style_layers(std::get<std::vector<std::string>>(v));
         o.style_layer_weights({});
       }},
      {"style_layer_weights",
       "--style-layer-weights",
       "Comma-separated weights of the style layers, in their order",
       SettingType::kReals,
       non_negative(),
       {},
       [](const O& o) -> V { return o.effective_style_layer_weights(); },
       [](O& o, const V& v) { o.style_layer_weights(std::get<std::vector<double>>(v)); },
       "equal"},
      {"tv_weight",
       "--tv-weight",
       "Weight of the total-variation loss, which smooths pixel noise",
       SettingType::kReal,
       non_negative(),
       {},
       [](const O& o) -> V { return o.tv_weight(); },
       [](O& o, const V& v) { o.tv_weight(real(v)); }},
      {"tile",
       "--tile",
       "Compute each step in tiles of N x N pixels (rounded up to a multiple of 16, at least the "
       "deepest layer's halo: 96 for relu5_x), each read with a margin that makes the result "
       "the whole image's: memory for one tile's network instead of the whole image's, for "
       "prints. auto: the whole image when it fits the memory budget (--memory-limit), else "
       "the tiles that fit with the least work; off: always the whole image",
       SettingType::kSideOrChoice,
       kSide,
       {"auto", "off"},
       [](const O& o) -> V {
         if (o.tile() == kTileAuto) return std::string("auto");
         if (o.tile() == kTileOff) return std::string("off");
         return o.tile();
       },
       [](O& o, const V& v) {
         if (const auto* word = std::get_if<std::string>(&v)) {
           if (*word != "auto" && *word != "off") {
             throw Error(ErrorCode::kInvalidOptions,
                         "unknown tile '" + *word + "'; use auto, off or a number of pixels");
           }
           o.tile(*word == "auto" ? kTileAuto : kTileOff);
         } else {
           o.tile(integer(v));
         }
       }},
      {"style_loss",
       "--style-loss",
       "gram (Gram matrices) or w2 (2-Wasserstein distance between the features' Gaussians: "
       "means and covariances)",
       SettingType::kChoice,
       {},
       names_of<StyleLoss>(),
       [](const O& o) -> V { return std::string(to_string(o.style_loss())); },
       [](O& o, const V& v) { o.style_loss(word<StyleLoss>(v)); }},
      {"pooling",
       "--pooling",
       "max, or avg (average pooling, rescaled to keep max pooling's activation magnitudes; "
       "smoother results)",
       SettingType::kChoice,
       {},
       names_of<Pooling>(),
       [](const O& o) -> V { return std::string(to_string(o.pooling())); },
       [](O& o, const V& v) { o.pooling(word<Pooling>(v)); }},
      {"preserve_colors",
       "--preserve-colors",
       "Keep the content's colours: none, luminance (transfer luminance only), histogram (match "
       "the style's colours to the content first)",
       SettingType::kChoice,
       {},
       names_of<PreserveColours>(),
       [](const O& o) -> V { return std::string(to_string(o.preserve_colours())); },
       [](O& o, const V& v) { o.preserve_colours(word<PreserveColours>(v)); }},
      // Any word but these three names a starting image file, which the caller reads.
      {"init",
       "--init",
       "Starting image: content, noise (seeded by --seed), gray, or an image file",
       SettingType::kText,
       {},
       {},
       [](const O& o) -> V { return std::string(to_string(o.init())); },
       [](O& o, const V& v) {
         const auto named = value_named<Init>(std::get<std::string>(v));
         o.init(named && *named != Init::kImage ? *named : Init::kImage);
       }},
      {"seed",
       "--seed",
       "Seed of the random generator; given, it also turns --deterministic on",
       SettingType::kUnsigned,
       {},
       {},
       [](const O& o) -> V { return o.seed(); },
       [](O& o, const V& v) {
         o.seed(std::get<uint64_t>(v));
         o.deterministic(true);
       }},
      {"deterministic",
       "--deterministic",
       "Same seed, same bytes on CUDA too: deterministic cuDNN and cuBLAS algorithms, no "
       "autotuning (the CPU is deterministic anyway)",
       SettingType::kFlag,
       {},
       {},
       [](const O& o) -> V { return o.deterministic(); },
       [](O& o, const V& v) { o.deterministic(std::get<bool>(v)); }},
      {"min_scale",
       "--min-scale",
       "Long side of the first scale; each next is 1.41x larger up to --size (0: one scale)",
       SettingType::kInteger,
       zero_or(kSide),
       {},
       [](const O& o) -> V { return o.min_scale(); },
       [](O& o, const V& v) { o.min_scale(integer(v)); }},
      {"initial_iterations",
       "--initial-iterations",
       "Steps at the first scale when there are several; the scales between take steps in "
       "geometric progression from these to --iterations",
       SettingType::kInteger,
       kSteps,
       {},
       [](const O& o) -> V { return o.iterations_at(0); },
       [](O& o, const V& v) { o.initial_iterations(integer(v)); },
       "--iterations"},
      {"upsample",
       "--upsample",
       "What each scale after the first starts from: image (the previous result upsampled) or "
       "residual (the content at the new scale plus the previous result's change to the "
       "content, upsampled: keeps the content's fine detail)",
       SettingType::kChoice,
       {},
       names_of<Upsample>(),
       [](const O& o) -> V { return std::string(to_string(o.upsample())); },
       [](O& o, const V& v) { o.upsample(word<Upsample>(v)); }},
      {"scale_moments",
       "--scale-moments",
       "What Adam's moment estimates do at each new scale: reset, rescale (resized, and scaled "
       "as the per-pixel gradients shrink) or carry (resized)",
       SettingType::kChoice,
       {},
       names_of<ScaleMoments>(),
       [](const O& o) -> V { return std::string(to_string(o.scale_moments())); },
       [](O& o, const V& v) { o.scale_moments(word<ScaleMoments>(v)); }},
      {"average_decay",
       "--average-decay",
       "Keep a moving average of the image with this decay as each scale's result (0: keep the "
       "lowest-loss image)",
       SettingType::kReal,
       unit_interval(),
       {},
       [](const O& o) -> V { return o.average_decay(); },
       [](O& o, const V& v) { o.average_decay(real(v)); }},
      {"precision",
       "--precision",
       "Arithmetic of the VGG layers: auto (bf16 on CPUs with AMX, or AMD CPUs with "
       "AVX512-BF16, and on GPUs of compute capability 8.0 and later; else fp32), fp32, bf16, "
       "fp16 (CUDA, with loss scaling); losses stay fp32",
       SettingType::kChoice,
       {},
       names_of<Precision>(),
       [](const O& o) -> V { return std::string(to_string(o.precision())); },
       [](O& o, const V& v) { o.precision(word<Precision>(v)); }},
  };
}

// "> 0", ">= 0" or "[0, 1)": the range without the extra 0.
std::string range_text(const Bounds& b) {
  if (std::isinf(b.high)) return (b.low_open ? "> " : ">= ") + number_text(b.low);
  return (b.low_open ? "(" : "[") + number_text(b.low) + ", " + number_text(b.high) +
         (b.high_open ? ")" : "]");
}

}  // namespace

bool Bounds::contains(double value) const {
  if (!std::isfinite(value)) return false;
  if (or_zero && value == 0) return true;
  const bool above = low_open ? value > low : value >= low;
  const bool below = high_open ? value < high : value <= high;
  return above && below;
}

std::string Bounds::symbols() const {
  return (or_zero ? "0 or " : "") + range_text(*this);
}

std::string Bounds::describe() const {
  if (std::isinf(low) && std::isinf(high)) return "a finite number";
  return (or_zero ? "0 or " : "") + std::string(std::isinf(high) ? "a number " : "a number in ") +
         range_text(*this);
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = make_settings();
  return table;
}

const Setting* find_setting(std::string_view key) {
  for (const auto& setting : settings()) {
    if (key == setting.key) return &setting;
  }
  return nullptr;
}

std::string to_text(const SettingValue& value) {
  struct Text {
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(uint64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return number_text(v); }
    std::string operator()(const std::string& v) const { return v; }
    std::string operator()(const std::vector<std::string>& v) const {
      std::string text;
      for (const auto& item : v) text += (text.empty() ? "" : ",") + item;
      return text;
    }
    std::string operator()(const std::vector<double>& v) const {
      std::string text;
      for (double item : v) text += (text.empty() ? "" : ",") + number_text(item);
      return text;
    }
  };
  return std::visit(Text{}, value);
}

std::string default_text(const Setting& setting) {
  if (setting.default_text) return setting.default_text;
  return to_text(setting.get(StyleTransferOptions()));
}

}  // namespace nst
