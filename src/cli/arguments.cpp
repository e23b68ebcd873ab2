#include "cli/arguments.h"

#include "cli/exit_codes.h"
#include "nst/image_io.h"

namespace nst::cli {
namespace {

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

}  // namespace

void add_arguments(CLI::App& app, CliOptions& o) {
  app.description(
      "Paints a content photo in the style of an artwork by neural style transfer (Gatys et "
      "al.): Adam over the output's pixels minimising VGG19 content and Gram-matrix style "
      "losses.");
  app.set_version_flag("--version", std::string("nst ") + NST_VERSION);
  app.get_formatter()->column_width(34);

  app.add_option("-c,--content", o.content, "Content image (any format OpenCV reads)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("-s,--style", o.style, "Style image")->required()->check(CLI::ExistingFile);
  app.add_option(
         "-o,--output", o.output,
         "Output image; its extension picks the format (" + join(writable_extensions(), ", ") + ")")
      ->required();

  app.add_option("--preset", o.preset, "Algorithm settings to start from; flags override them")
      ->check(CLI::IsMember(StyleTransferOptions::preset_names()))
      ->capture_default_str();
  app.add_option("--size", o.size, "Long side of the output in pixels (default 512)")
      ->check(CLI::Range(16, 16384));
  app.add_option("--style-size", o.style_size,
                 "Long side of the style image in pixels (default: --size)")
      ->check(CLI::Range(16, 16384));
  app.add_option("--iterations", o.iterations, "Optimisation steps")->check(CLI::Range(1, 1000000));
  app.add_option("--lr", o.learning_rate, "Adam learning rate, in 0..255 pixel units")
      ->check(CLI::PositiveNumber);
  app.add_option("--content-weight", o.content_weight, "Weight of the content loss")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--style-weight", o.style_weight, "Weight of the style loss")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--content-layers", o.content_layers,
                 "Comma-separated VGG19 layers for the content loss (e.g. relu4_2)")
      ->delimiter(',');
  app.add_option("--style-layers", o.style_layers,
                 "Comma-separated VGG19 layers for the style loss, weighted equally")
      ->delimiter(',');
  app.add_option("--seed", o.seed, "Seed of the random generator");

  app.add_option("--model", o.model,
                 "VGG19 TorchScript file (default: $NST_MODEL, then models/vgg19.pt)");
  app.add_option("--device", o.device, "Where to compute: auto picks CUDA when available")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (default: all cores)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--print-every", o.print_every,
                 "Log a progress line every N iterations when stderr is not a terminal "
                 "(default: every tenth of the run)")
      ->check(CLI::Range(1, 1000000));
  auto* quiet = app.add_flag("-q,--quiet", o.quiet, "Print errors only");
  app.add_flag("-v,--verbose", o.verbose, "Print debug details")->excludes(quiet);

  app.footer("Presets:\n" + StyleTransferOptions::describe_presets() +
             "\nExit codes: 0 output written; 1 error (message on stderr, no output written);\n"
             "argument errors use CLI11's codes (105 bad value, 106 missing option, ...).\n"
             "\nExample: nst --content photo.jpg --style starry_night.jpg -o painted.png");
}

StyleTransferOptions resolve_options(const CLI::App& app, const CliOptions& o) {
  auto options = StyleTransferOptions::preset(o.preset);
  const auto given = [&](const char* flag) { return app.count(flag) > 0; };
  if (given("--size")) options.size(o.size);
  if (given("--style-size")) options.style_size(o.style_size);
  if (given("--iterations")) options.iterations(o.iterations);
  if (given("--lr")) options.learning_rate(o.learning_rate);
  if (given("--content-weight")) options.content_weight(o.content_weight);
  if (given("--style-weight")) options.style_weight(o.style_weight);
  if (given("--content-layers")) options.content_layers(o.content_layers);
  if (given("--style-layers")) {
    options.style_layers(o.style_layers);
    options.style_layer_weights({});
  }
  if (given("--seed")) options.seed(o.seed);
  options.validate();
  return options;
}

}  // namespace nst::cli
