#include "nst/engine/options.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "nst/engine/error.h"
#include "nst/engine/settings.h"
#include "nst/engine/tiling.h"
#include "nst/engine/vgg.h"

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

// Holds each setting's numbers, those derived from others or the rest, to its bounds.
void check_bounds(const StyleTransferOptions& options, bool derived) {
  for (const auto& setting : settings()) {
    if ((setting.default_text != nullptr) != derived) continue;
    std::string name = setting.key;
    std::replace(name.begin(), name.end(), '_', ' ');
    const auto check = [&](double value) {
      if (!setting.bounds.contains(value)) {
        invalid(name + " must be " + setting.bounds.describe() + ", not " +
                to_text(SettingValue(value)));
      }
    };
    const SettingValue value = setting.get(options);
    if (const auto* v = std::get_if<int64_t>(&value)) check(static_cast<double>(*v));
    if (const auto* v = std::get_if<double>(&value)) check(*v);
    if (const auto* v = std::get_if<std::vector<double>>(&value)) {
      for (double item : *v) check(item);
    }
  }
}

// A core smaller than the halo reads more than nine times its pixels at every step.
void check_tile(const StyleTransferOptions& options) {
  if (options.tile() <= 0) return;
  const std::vector<std::string> layers = options.loss_layers();
  const int64_t halo = TilePlan::halo_for(layers);
  const int64_t smallest = TilePlan::smallest_core(layers);
  const int64_t tile = options.tile();
  if (tile >= smallest) return;
  invalid("--tile " + std::to_string(tile) + " is smaller than the " + std::to_string(halo) +
          " px halo " +
          FeatureExtractor::layer_names()[static_cast<size_t>(
              FeatureExtractor::deepest_layer(layers))] +
          " needs on each side: each tile would read " +
          std::to_string((tile + 2 * halo) * (tile + 2 * halo) / (tile * tile)) +
          " times its pixels; use --tile " + std::to_string(smallest) + " or more, or --tile auto");
}

}  // namespace

Precision parse_precision(const std::string& name) {
  if (const auto precision = value_named<Precision>(name)) return *precision;
  invalid("unknown precision '" + name + "'; use auto, fp32, bf16 or fp16");
}

namespace {

// A preset: its name, what it is for (for --help), and its settings.
struct Preset {
  const char* name;
  const char* purpose;
  StyleTransferOptions (*make)();
};

const std::vector<Preset>& presets() {
  static const std::vector<Preset> table = {
      // The best quality per second measured on the tutorial's objective (doc/performance.md,
      // "Presets"): the tutorial's objective, Adam with shorter memories (beta1 and beta2 0.9)
      // and larger steps decaying along a cosine, 200 steps, bfloat16 where native and faster.
      {"default", "the best quality per second measured; the defaults shown above",
       [] { return StyleTransferOptions(); }},
      // TensorFlow's tutorial "Neural Style Transfer with eager execution" (Gatys et al. with
      // Adam; its Keras VGG19 block5_conv2 / blockN_conv1 are relu5_2 / reluN_1).
      {"tutorial", "the TensorFlow tutorial step for step",
       [] {
         return StyleTransferOptions()
             .iterations(1000)
             .learning_rate(5.0)
             .lr_schedule(LrSchedule::kConstant)
             .beta1(0.99)
             .beta2(0.999)
             .precision(Precision::kFloat32);
       }},
      // A preview in a few seconds on a CPU: 256 px, few steps, and no fifth block, so the
      // network is cut after relu4_2.
      {"fast", "a preview in a few seconds on a CPU",
       [] {
         return StyleTransferOptions()
             .size(256)
             .content_layers({"relu4_2"})
             .style_layers({"relu1_1", "relu2_1", "relu3_1", "relu4_1"})
             .learning_rate(10.0)
             .lr_schedule(LrSchedule::kConstant)
             // Measured for these 30 steps; the default's 0.9 was chosen for longer runs.
             .beta2(0.999)
             .iterations(30);
       }},
      // A print: 4096 px on the long side, coarse to fine from 512 px in steps of √2, the
      // steps halving at each doubling of the side (200 at 512 px, 100 at 1024, 50 at 2048,
      // 25 at 4096), so the picture forms where steps are cheap and the large scales refine
      // it; tiled wherever a scale does not fit the memory budget (doc/performance.md,
      // "Prints"). The larger scales start at a rate of 8, not 20, which would scramble the
      // picture they start from: at 724 and 1024 px that ended 7-23 % lower seen whole in
      // every case, and lower from close by in 7 of 8.
      {"print", "a 4096 px print, coarse to fine from 512 px, in bounded memory",
       [] {
         return StyleTransferOptions()
             .size(4096)
             .min_scale(512)
             .initial_iterations(200)
             .iterations(25)
             // Adam's moments carried to each larger scale: reset, each scale's first steps at
             // the full rate undid much of what the coarser scales had made.
             .scale_moments(ScaleMoments::kCarry)
             .scale_learning_rate(8.0);
       }},
  };
  return table;
}

}  // namespace

StyleTransferOptions StyleTransferOptions::preset(const std::string& name) {
  for (const auto& preset : presets()) {
    if (name == preset.name) return preset.make();
  }
  std::string known;
  for (const auto& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
  invalid("unknown preset '" + name + "'; known presets: " + known);
}

const std::vector<std::string>& StyleTransferOptions::preset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> list;
    for (const auto& preset : presets()) list.emplace_back(preset.name);
    return list;
  }();
  return names;
}

std::string StyleTransferOptions::describe_presets() {
  // Each preset as the flags that turn the defaults into it. Settings that follow from others
  // (those with a default_text, such as the style size) are left out where they follow by
  // themselves; one that follows a single flag (--initial-iterations, --iterations) is shown
  // where the preset sets it apart from that flag.
  const StyleTransferOptions defaults;
  const auto setting_of_flag = [](const char* flag) -> const Setting* {
    for (const auto& setting : settings()) {
      if (std::string(setting.flag) == flag) return &setting;
    }
    return nullptr;
  };
  std::string text;
  for (const auto& preset : presets()) {
    const StyleTransferOptions options = preset.make();
    std::string flags;
    for (const auto& setting : settings()) {
      const std::string value = to_text(setting.get(options));
      if (setting.default_text) {
        const Setting* followed = setting_of_flag(setting.default_text);
        if (followed != nullptr && value != to_text(followed->get(options))) {
          flags += std::string(" ") + setting.flag + " " + value;
        }
        continue;
      }
      if (value != to_text(setting.get(defaults))) {
        flags += std::string(" ") + setting.flag + " " + value;
      }
    }
    // Wrapped at 96 columns, continued under the purpose.
    std::string line =
        std::string("  ") + preset.name + ": " + preset.purpose + (flags.empty() ? "" : ":");
    const std::string indent(4 + std::string(preset.name).size(), ' ');
    std::istringstream words(flags);
    for (std::string word, value; words >> word >> value;) {
      const std::string item = " " + word + " " + value;
      if (line.size() + item.size() > 96) {
        text += line + "\n";
        line = indent.substr(1);
      }
      line += item;
    }
    text += line + "\n";
  }
  return text;
}

void StyleTransferOptions::validate() const {
  check_layers(content_layers_, "content");
  check_layers(style_layers_, "style");
  if (!style_layer_weights_.empty() && style_layer_weights_.size() != style_layers_.size()) {
    invalid("got " + std::to_string(style_layer_weights_.size()) + " style layer weights for " +
            std::to_string(style_layers_.size()) + " style layers");
  }
  // 0 stands for another setting in these two; the report shows what they stand for, which is
  // checked below, so a negative raw value needs its own check.
  if (style_size_ < 0) invalid("style size must be 0 (from the style scale) or at least 16");
  if (initial_iterations_ < 0) invalid("initial iterations must be 0 (as --iterations) or more");
  if (!(scale_learning_rate_ >= 0)) invalid("the scale learning rate must be 0 (as --lr) or more");
  // Every number against the bounds its setting declares: the same bounds the command line
  // checks its flags against. Settings derived from others (the style size from the style
  // scale, ...) come last, so that a bad value is named where it was given.
  check_bounds(*this, /*derived=*/false);
  if (style_size_ == 0 && effective_style_size() < 16) {
    invalid("the style scale makes the style image smaller than 16 pixels");
  }
  check_bounds(*this, /*derived=*/true);
  check_tile(*this);
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
  const size_t scales = scale_sides().size();
  if (initial_iterations_ <= 0 || scales < 2 || index + 1 >= scales) return iterations_;
  if (index == 0) return initial_iterations_;
  const double fraction = static_cast<double>(index) / static_cast<double>(scales - 1);
  const double ratio = static_cast<double>(iterations_) / static_cast<double>(initial_iterations_);
  return std::max<int64_t>(
      1, std::lround(static_cast<double>(initial_iterations_) * std::pow(ratio, fraction)));
}

double StyleTransferOptions::learning_rate_at(size_t index) const {
  return index > 0 && scale_learning_rate_ > 0 ? scale_learning_rate_ : learning_rate_;
}

std::vector<std::string> StyleTransferOptions::loss_layers() const {
  std::vector<std::string> layers = content_layers_;
  for (const auto& name : style_layers_) {
    if (std::find(layers.begin(), layers.end(), name) == layers.end()) layers.push_back(name);
  }
  return layers;
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
