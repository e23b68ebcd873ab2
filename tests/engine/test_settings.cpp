// The settings table is the one definition of every algorithm setting: these tests hold it to
// the options it describes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>

#include "nst/engine/error.h"
#include "nst/engine/settings.h"

namespace nst {
namespace {

// A value of the setting's type that differs from the defaults' and lies within its bounds.
SettingValue other_value(const Setting& setting) {
  switch (setting.type) {
    case SettingType::kFlag:
      return true;
    case SettingType::kInteger:
      return static_cast<int64_t>(setting.bounds.contains(20) ? 20 : setting.bounds.low + 1);
    case SettingType::kUnsigned:
      return uint64_t{12345};
    case SettingType::kReal:
      return 0.25;
    case SettingType::kChoice:
      for (const auto& choice : setting.choices) {
        if (choice != default_text(setting)) return choice;
      }
      return setting.choices.front();
    case SettingType::kSideOrChoice:
      return static_cast<int64_t>(setting.bounds.contains(256) ? 256 : setting.bounds.low);
    case SettingType::kText:
      return std::string("noise");
    case SettingType::kLayers:
      return std::vector<std::string>{"relu2_1", "relu3_1"};
    case SettingType::kReals:
      return std::vector<double>{0.5, 1.5, 1, 1, 1};
  }
  return false;
}

TEST(Settings, KeysAndFlagsAreUniqueAndFlagsAreLongOptions) {
  std::set<std::string> keys, flags;
  for (const auto& setting : settings()) {
    EXPECT_TRUE(keys.insert(setting.key).second) << setting.key;
    EXPECT_TRUE(flags.insert(setting.flag).second) << setting.flag;
    EXPECT_EQ(std::string(setting.flag).rfind("--", 0), 0u) << setting.flag;
    EXPECT_NE(std::string(setting.help), "") << setting.key;
    EXPECT_EQ(find_setting(setting.key), &setting);
  }
  EXPECT_EQ(find_setting("no_such_setting"), nullptr);
}

TEST(Settings, EverySettingSetsWhatItReports) {
  for (const auto& setting : settings()) {
    StyleTransferOptions options;
    // The first scale's steps show only when there are several scales.
    if (std::string(setting.key) == "initial_iterations") options.min_scale(64);
    const SettingValue value = other_value(setting);
    setting.set(options, value);
    EXPECT_NE(to_text(setting.get(options)), to_text(setting.get(StyleTransferOptions())))
        << setting.key << " did not change";
    EXPECT_EQ(to_text(setting.get(options)), to_text(value)) << setting.key;
    EXPECT_NO_THROW(options.validate()) << setting.key;
  }
}

TEST(Settings, ChoicesAreTheEnumsWords) {
  EXPECT_EQ(find_setting("pooling")->choices, names_of<Pooling>());
  EXPECT_EQ(find_setting("precision")->choices,
            (std::vector<std::string>{"auto", "fp32", "bf16", "fp16"}));
  for (const auto& name : names_of<ScaleMoments>()) {
    EXPECT_EQ(to_string(*value_named<ScaleMoments>(name)), name);
  }
  EXPECT_FALSE(value_named<Pooling>("median").has_value());
  StyleTransferOptions options;
  EXPECT_THROW(find_setting("pooling")->set(options, std::string("median")), Error);
}

TEST(Settings, WhatAFlagImpliesComesFirstAndAnExplicitValueWins) {
  // The table's order is the order the command line applies it in.
  StyleTransferOptions options;
  find_setting("optimizer")->set(options, std::string("lbfgs"));
  EXPECT_EQ(options.learning_rate(), 1.0);  // L-BFGS's step length
  find_setting("learning_rate")->set(options, 0.5);
  EXPECT_EQ(options.learning_rate(), 0.5);
  size_t optimizer = 0, rate = 0, layers = 0, weights = 0;
  for (size_t i = 0; i < settings().size(); ++i) {
    const std::string key = settings()[i].key;
    if (key == "optimizer") optimizer = i;
    if (key == "learning_rate") rate = i;
    if (key == "style_layers") layers = i;
    if (key == "style_layer_weights") weights = i;
  }
  EXPECT_LT(optimizer, rate);
  EXPECT_LT(layers, weights);

  find_setting("style_layer_weights")->set(options, std::vector<double>{1, 2, 3, 4, 5});
  find_setting("style_layers")->set(options, std::vector<std::string>{"relu1_1"});
  EXPECT_TRUE(options.style_layer_weights().empty());  // new layers drop the old weights
  find_setting("seed")->set(options, uint64_t{7});
  EXPECT_TRUE(options.deterministic());
}

TEST(Settings, ValidateHoldsEveryNumberToItsBounds) {
  for (const auto& setting : settings()) {
    const bool integer =
        setting.type == SettingType::kInteger || setting.type == SettingType::kSideOrChoice;
    if (!integer && setting.type != SettingType::kReal) continue;
    const Bounds& b = setting.bounds;
    // Just outside the low end (or at it, when open), and not a number at all.
    const double below = b.low_open ? b.low : b.low - 1;
    for (double bad : {below, std::numeric_limits<double>::quiet_NaN()}) {
      if (b.or_zero && bad == 0) continue;
      // 0 first-scale steps means "as many as --iterations", a scale rate of 0 "as --lr".
      const std::string key = setting.key;
      if ((key == "initial_iterations" || key == "scale_learning_rate") && bad == 0) continue;
      if (integer && std::isnan(bad)) continue;
      StyleTransferOptions options;
      if (integer) {
        setting.set(options, static_cast<int64_t>(bad));
      } else {
        setting.set(options, bad);
      }
      try {
        options.validate();
        ADD_FAILURE() << setting.key << " accepted " << bad;
      } catch (const Error& error) {
        std::string name = setting.key;
        std::replace(name.begin(), name.end(), '_', ' ');
        EXPECT_NE(std::string(error.what()).find(name), std::string::npos) << error.what();
      }
    }
  }
}

TEST(Settings, BoundsSayWhatTheyAccept) {
  Bounds unit{0, 1};
  unit.high_open = true;
  EXPECT_TRUE(unit.contains(0));
  EXPECT_FALSE(unit.contains(1));
  EXPECT_FALSE(unit.contains(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(unit.symbols(), "[0, 1)");
  EXPECT_EQ(unit.describe(), "a number in [0, 1)");
  Bounds side{16, 16384};
  side.or_zero = true;
  EXPECT_TRUE(side.contains(0));
  EXPECT_FALSE(side.contains(8));
  EXPECT_EQ(side.describe(), "0 or a number in [16, 16384]");
  Bounds positive;
  positive.low = 0;
  positive.low_open = true;
  EXPECT_EQ(positive.symbols(), "> 0");
  EXPECT_FALSE(positive.contains(0));
}

TEST(Settings, PresetsAreDescribedByTheFlagsThatMakeThem) {
  const std::string text = StyleTransferOptions::describe_presets();
  for (const auto& name : StyleTransferOptions::preset_names()) {
    EXPECT_NE(text.find("  " + name + ": "), std::string::npos) << text;
  }
  EXPECT_NE(text.find("--size 256"), std::string::npos) << text;
  EXPECT_NE(text.find("--iterations 30"), std::string::npos) << text;
  EXPECT_NE(text.find("--precision fp32"), std::string::npos) << text;
  // Settings derived from others are not listed: they follow by themselves.
  EXPECT_EQ(text.find("--style-size"), std::string::npos) << text;
}

}  // namespace
}  // namespace nst
