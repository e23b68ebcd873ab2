#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "nst/engine/options.h"

namespace nst {

/// A setting's value in the type the command line gives it and the report writes it.
using SettingValue = std::variant<bool, int64_t, uint64_t, double, std::string,
                                  std::vector<std::string>, std::vector<double>>;

/// The type of a setting's value on the command line, and so of its `SettingValue`.
enum class SettingType {
  kFlag,          ///< present or not: bool
  kInteger,       ///< int64_t
  kUnsigned,      ///< uint64_t
  kReal,          ///< double
  kChoice,        ///< one word of `Setting::choices`: std::string
  kSideOrChoice,  ///< a number within `Setting::bounds` (int64_t) or a word of `choices`
                  ///< (std::string)
  kText,          ///< free text: std::string
  kLayers,        ///< VGG19 layer names, comma-separated: std::vector<std::string>
  kReals,         ///< numbers, comma-separated: std::vector<double>
};

/// The finite numbers a numeric setting accepts: from `low` to `high`, each end open or closed,
/// and 0 besides when `or_zero` (where 0 means "not set").
struct Bounds {
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  bool low_open = false;
  bool high_open = false;
  bool or_zero = false;

  bool contains(double value) const;

  /// The accepted numbers in words, e.g. "a number > 0", "0 or a number in [16, 16384]".
  std::string describe() const;

  /// The same in a few symbols, for --help: "> 0", "[16, 16384]", "0 or [16, 16384]".
  std::string symbols() const;
};

/// One setting of `StyleTransferOptions`: its single definition, which the command line's flag,
/// help and validation, `StyleTransferOptions::validate`, the report's options, the presets'
/// descriptions, shell completion and the manual page are all made from.
struct Setting {
  const char* key;   ///< the report's name for it, e.g. "learning_rate"
  const char* flag;  ///< the command line's, e.g. "--lr"
  const char* help;  ///< what it does, for --help and the manual
  SettingType type;
  Bounds bounds;                     ///< for kInteger, kReal, and each number of kReals
  std::vector<std::string> choices;  ///< for kChoice
  /// The value as the report gives it: the effective one where a 0 or an empty list stands for
  /// another setting (the style size in pixels, the style layers' weights, ...).
  SettingValue (*get)(const StyleTransferOptions&);
  /// Applies a value given on the command line (of this setting's type), with what else the
  /// flag promises (an explicit --seed also makes the run deterministic, ...).
  void (*set)(StyleTransferOptions&, const SettingValue&);
  /// Says what the default is, where `get` on the defaults would mislead (e.g. "--size").
  const char* default_text = nullptr;
};

/// Every setting, in the order they are applied: a later one may override what an earlier one
/// implied (`--optimizer lbfgs` sets the learning rate to 1, then an explicit `--lr` wins).
const std::vector<Setting>& settings();

/// The setting whose report key is `key`, or nullptr.
const Setting* find_setting(std::string_view key);

/// `value` as the command line would spell it: "512", "0.5", "relu1_1,relu2_1", "true".
std::string to_text(const SettingValue& value);

/// What --help says the default is: `default_text`, or the default options' value.
std::string default_text(const Setting& setting);

}  // namespace nst
