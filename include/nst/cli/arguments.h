#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

#include "nst/batch/runner.h"
#include "nst/cli/option_info.h"
#include "nst/engine/options.h"
#include "nst/engine/settings.h"
#include "nst/video/clip_painter.h"

namespace nst::cli {

/// Everything the command line says, as typed. Algorithm settings are turned into
/// `StyleTransferOptions` by `resolve_options`, which lets explicit flags override the preset.
struct CliOptions {
  std::vector<std::string> contents;  // files, folders or glob patterns
  std::vector<std::string> styles;
  std::string output;
  bool recursive = false;
  std::string model;
  std::string preset = "default";
  std::string device = "auto";
  int threads = 0;      // 0: all cores
  int print_every = 0;  // 0: about every tenth of a job
  std::string progress = "auto";
  std::string report;
  std::string gallery;        // HTML page of the run
  std::string contact_sheet;  // the same grid as one image
  std::string shard;          // "I/N"
  bool overwrite = false;
  bool skip_existing = false;
  bool fail_fast = false;
  bool dry_run = false;
  double time_limit = 0;
  int64_t save_every = 0;
  std::string output_format = "png";
  int64_t max_input_pixels = kDefaultMaxInputPixels;
  std::string memory_limit;  // "6G", "512Mi", ...: see parse_memory_size; empty for none
  bool quiet = false;
  bool verbose = false;
  std::vector<double> blend;  // weights: all styles blended into one
  // A clip (see clip_run.h).
  ClipOptions clip;
  std::string frames;  // "A:B", from 1, inclusive
  double fps = 0;      // of a video made from images; 0: 25

  /// The algorithm settings given on the command line, by their index in `nst::settings()`;
  /// those not given keep the preset's value.
  std::map<size_t, SettingValue> settings;

  /// The value given for the setting with report key `key`, or nullptr.
  const SettingValue* given(const char* key) const;
};

/// Declares every flag of `nst` on `app`, storing values into `options`, and returns them as
/// records for shell completion and the manual. A hidden `--completion bash` prints the
/// completion script made from those records and exits.
std::vector<OptionInfo> add_arguments(CLI::App& app, CliOptions& options);

/// `--preset seed`, the tutorial preset's name until it was renamed: accepted for one release,
/// listed neither by --help nor by the completion. Renames it to `tutorial` in `options` and
/// returns the deprecation warning to print once; "" for a preset given by its current name.
std::string rename_deprecated_preset(CliOptions& options);

/// The preset named by `--preset` with every explicitly given setting applied on top, in the
/// settings' order. Throws `nst::Error(kInvalidOptions)` for an unknown preset or invalid values.
StyleTransferOptions resolve_options(const CliOptions& options);

/// The batch settings the flags ask for.
BatchOptions batch_options(const CliOptions& options);

/// `--shard I/N` as (I, N); (0, 1) when not given.
std::pair<size_t, size_t> parse_shard(const std::string& text);

}  // namespace nst::cli
