#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "nst/options.h"
#include "nst/runner.h"

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
  std::string shard;  // "I/N"
  bool overwrite = false;
  bool skip_existing = false;
  bool fail_fast = false;
  bool dry_run = false;
  double time_limit = 0;
  int64_t save_every = 0;
  std::string output_format = "png";
  int64_t max_input_pixels = kDefaultMaxInputPixels;
  bool quiet = false;
  bool verbose = false;

  // Overrides of the preset; only those given on the command line are applied.
  int64_t size = 0;
  int64_t style_size = 0;
  int64_t iterations = 0;
  double learning_rate = 0;
  double beta1 = 0;
  double beta2 = 0;
  double epsilon = 0;
  double content_weight = 0;
  double style_weight = 0;
  std::vector<std::string> content_layers;
  std::vector<std::string> style_layers;
  uint64_t seed = 0;
  bool deterministic = false;
  int64_t min_scale = 0;
  int64_t initial_iterations = 0;
  double average_decay = 0;
  std::string precision;
  double tv_weight = 0;
  std::string init;  // content, noise, gray or a file
  double style_scale = 1;
  std::vector<double> style_layer_weights;
  std::string preserve_colors;
  std::string style_loss;
  std::string pooling;
  std::string scale_moments;
  std::string lr_schedule;
  double final_learning_rate = 0;
  std::string upsample;
  std::string optimizer;
  std::vector<double> blend;  // weights: all styles blended into one
};

/// Declares every flag of `nst` on `app`, storing values into `options`.
void add_arguments(CLI::App& app, CliOptions& options);

/// The preset named by `--preset` with every explicitly given flag applied on top.
/// Throws `nst::Error(kInvalidOptions)` for an unknown preset or invalid values.
StyleTransferOptions resolve_options(const CLI::App& app, const CliOptions& options);

/// The batch settings the flags ask for.
BatchOptions batch_options(const CliOptions& options);

/// `--shard I/N` as (I, N); (0, 1) when not given.
std::pair<size_t, size_t> parse_shard(const std::string& text);

}  // namespace nst::cli
