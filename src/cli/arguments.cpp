#include "cli/arguments.h"

#include <regex>

#include "nst/device.h"
#include "nst/error.h"
#include "nst/image_io.h"

namespace nst::cli {
namespace {

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// CLI11 validator for "I/N" with 0 <= I < N.
std::string check_shard(const std::string& text) {
  try {
    parse_shard(text);
    return "";
  } catch (const Error& error) {
    return error.what();
  }
}

constexpr const char* kFooter = R"(
Inputs: --content and --style each take files, folders (their images, sorted by name) and
glob patterns; every content is painted in every style, content by content.
Outputs: with one job, -o is the output file; otherwise a folder (outputs named
{content}_{style}.png) or a template using {content}, {style}, {index} and {ext}
(e.g. -o 'out/{style}/{content}.jpg'). Existing outputs are never replaced without
--overwrite; --skip-existing makes a rerun do only what is left.

Exit codes:
  0    every job done (or skipped, or cut short by --time-limit)
  1    nothing could run: bad arguments, no model, an output that cannot be written, ...
  2    the batch ran and some jobs failed (each is reported with its file and reason)
  130  interrupted by SIGINT; the current job's result is saved with .partial before its
       extension; a second interrupt stops at once
  143  terminated by SIGTERM, as for SIGINT

Examples:
  nst --content photo.jpg --style starry_night.jpg -o painted.png
  nst -c photos/ -s styles/ -o out/ --skip-existing --report run.json
  nst -c 'shots/*.jpg' -s wave.jpg -o 'out/{index}_{content}.jpg' --shard 0/4
  nst -c small.png -s style.png -o smoke.png --preset fast   # seconds, for CI
)";

}  // namespace

std::pair<size_t, size_t> parse_shard(const std::string& text) {
  if (text.empty()) return {0, 1};
  static const std::regex pattern(R"((\d{1,9})/(\d{1,9}))");
  std::smatch match;
  if (std::regex_match(text, match, pattern)) {
    const size_t index = std::stoul(match[1]), count = std::stoul(match[2]);
    if (count >= 1 && index < count) return {index, count};
  }
  throw Error(ErrorCode::kInvalidOptions,
              "shard '" + text + "' is not I/N with 0 <= I < N (e.g. 0/4 ... 3/4)");
}

void add_arguments(CLI::App& app, CliOptions& o) {
  app.description(
      "Paints photos in the style of artworks by neural style transfer (Gatys et al.): Adam "
      "over the output's pixels minimising VGG19 content and Gram-matrix style losses.");
  app.set_version_flag("--version", std::string("nst ") + NST_VERSION);
  app.get_formatter()->column_width(34);

  app.add_option("-c,--content", o.contents,
                 "Content images: files, folders, glob patterns, or - for standard input")
      ->required()
      ->expected(1, -1);
  app.add_option("-s,--style", o.styles,
                 "Style images: files, folders, glob patterns, or - for standard input")
      ->required()
      ->expected(1, -1);
  app.add_option("-o,--output", o.output,
                 "Output file (one job; its extension picks the format: " +
                     join(writable_extensions(), ", ") + "), folder, or template")
      ->required();
  app.add_option("--blend", o.blend,
                 "Blend all the style images into one style with these weights (e.g. 0.7,0.3; "
                 "normalised)")
      ->delimiter(',');
  app.add_flag("--recursive", o.recursive, "Also take images from sub-folders of input folders");

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
  app.add_option("--lr-schedule", o.lr_schedule,
                 "How Adam's learning rate changes over each scale's steps: constant, or cosine "
                 "(half a cosine from --lr down to --lr-final)")
      ->check(CLI::IsMember({"constant", "cosine"}));
  app.add_option("--lr-final", o.final_learning_rate,
                 "Adam's learning rate at each scale's last step with --lr-schedule cosine")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--adam-beta1", o.beta1, "Adam's first-moment decay")
      ->check(CLI::Range(0.0, 0.999999));
  app.add_option("--adam-beta2", o.beta2, "Adam's second-moment decay")
      ->check(CLI::Range(0.0, 0.999999));
  app.add_option("--adam-epsilon", o.epsilon,
                 "Adam's epsilon, in gradient units: larger values damp small gradients' steps")
      ->check(CLI::PositiveNumber);
  app.add_option("--content-weight", o.content_weight, "Weight of the content loss")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--style-weight", o.style_weight, "Weight of the style loss")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--content-layers", o.content_layers,
                 "Comma-separated VGG19 layers for the content loss (e.g. relu4_2)")
      ->delimiter(',');
  app.add_option("--style-layers", o.style_layers,
                 "Comma-separated VGG19 layers for the style loss (weights: --style-layer-weights)")
      ->delimiter(',');
  app.add_option("--seed", o.seed,
                 "Seed of the random generator; given, it also turns --deterministic on");
  app.add_flag("--deterministic", o.deterministic,
               "Same seed, same bytes on CUDA too: deterministic cuDNN and cuBLAS algorithms, no "
               "autotuning (the CPU is deterministic anyway)");
  app.add_option("--min-scale", o.min_scale,
                 "Long side of the first scale; each next is 1.41x larger up to --size "
                 "(0: one scale)")
      ->check(CLI::Range(int64_t{0}, int64_t{16384}));
  app.add_option("--initial-iterations", o.initial_iterations,
                 "Steps at the first scale when there are several (default: --iterations)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  app.add_option("--average-decay", o.average_decay,
                 "Keep a moving average of the image with this decay as each scale's result "
                 "(0: keep the lowest-loss image)")
      ->check(CLI::Range(0.0, 0.9999));

  app.add_option("--style-layer-weights", o.style_layer_weights,
                 "Comma-separated weights of the style layers, in their order (default: equal)")
      ->delimiter(',');
  app.add_option("--style-scale", o.style_scale,
                 "Long side of the style image as a multiple of --size (unless --style-size)")
      ->check(CLI::PositiveNumber);
  app.add_option("--tv-weight", o.tv_weight,
                 "Weight of the total-variation loss, which smooths pixel noise (default 0)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--init", o.init,
                 "Starting image: content, noise (seeded by --seed), gray, or an image file");
  app.add_option("--optimizer", o.optimizer,
                 "adam (default) or lbfgs (as neural-style; an iteration is a function "
                 "evaluation; --lr defaults to 1)")
      ->check(CLI::IsMember({"adam", "lbfgs"}));
  app.add_option("--style-loss", o.style_loss,
                 "gram (Gram matrices, default) or w2 (2-Wasserstein distance between the "
                 "features' Gaussians: means and covariances)")
      ->check(CLI::IsMember({"gram", "w2"}));
  app.add_option("--upsample", o.upsample,
                 "What each scale after the first starts from: image (the previous result "
                 "upsampled) or residual (the content at the new scale plus the previous "
                 "result's change to the content, upsampled: keeps the content's fine detail)")
      ->check(CLI::IsMember({"image", "residual"}));
  app.add_option("--scale-moments", o.scale_moments,
                 "What Adam's moment estimates do at each new scale: reset (default), rescale "
                 "(resized, and scaled as the per-pixel gradients shrink) or carry (resized)")
      ->check(CLI::IsMember({"reset", "rescale", "carry"}));
  app.add_option("--pooling", o.pooling,
                 "max (default) or avg (average pooling, rescaled to keep max pooling's "
                 "activation magnitudes; smoother results)")
      ->check(CLI::IsMember({"max", "avg"}));
  app.add_option("--preserve-colors", o.preserve_colors,
                 "Keep the content's colours: none, luminance (transfer luminance only), "
                 "histogram (match the style's colours to the content first)")
      ->check(CLI::IsMember({"none", "luminance", "histogram"}));
  app.add_option("--precision", o.precision,
                 "Arithmetic of the VGG layers: auto (bf16 on CPUs with AMX, or AMD CPUs with "
                 "AVX512-BF16, and on GPUs of compute capability 8.0 and later; else fp32), "
                 "fp32, bf16, fp16 (CUDA, with loss scaling); losses stay fp32 (default: the "
                 "preset's)")
      ->check(CLI::IsMember({"auto", "fp32", "bf16", "fp16"}));
  app.add_option("--model", o.model,
                 "VGG19 TorchScript file (default: $NST_MODEL, then models/vgg19.pt)");
  app.add_option("--device", o.device,
                 "Where to compute: auto (CUDA device 0 when available, else cpu), cpu, cuda, "
                 "cuda:N")
      ->check(CLI::Validator(
          [](const std::string& name) {
            return is_device_name(name) ? std::string()
                                        : "'" + name + "' is not auto, cpu, cuda or cuda:N";
          },
          "DEVICE"))
      ->capture_default_str();
  app.add_option(
         "--threads", o.threads,
         "CPU threads (default: the CPUs this process may run on, capped by a cgroup CPU quota)")
      ->check(CLI::Range(1, 1024));

  auto* overwrite = app.add_flag("--overwrite", o.overwrite, "Replace existing outputs");
  app.add_flag("--skip-existing", o.skip_existing,
               "Skip jobs whose output exists (rerun an interrupted batch)")
      ->excludes(overwrite);
  app.add_flag("--fail-fast", o.fail_fast, "Stop at the first failed job");
  app.add_option("--time-limit", o.time_limit,
                 "Seconds of optimisation per job; a job that reaches it keeps its result so far")
      ->check(CLI::PositiveNumber);
  app.add_option("--save-every", o.save_every,
                 "Also write each job's image every N iterations (name.iterNNNNN.ext)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  app.add_option("--output-format", o.output_format,
                 "Format of the image that -o - writes to standard output")
      ->check(CLI::IsMember(writable_extensions()))
      ->capture_default_str();
  app.add_option("--max-input-pixels", o.max_input_pixels,
                 "Refuse inputs with more pixels than this, judged from the file's header "
                 "before decoding (default 100000000; 0 for no limit)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--shard", o.shard, "Run only jobs whose position mod N is I (I from 0)")
      ->check(check_shard);
  app.add_flag("--dry-run", o.dry_run, "Print the jobs and exit without loading the model");
  app.add_option("--report", o.report, "Write a JSON report of the run to this file");
  app.add_option("--progress", o.progress,
                 "Progress on stderr: auto (bar on a terminal, else plain), bar, plain, json "
                 "(one object per event), none")
      ->check(CLI::IsMember({"auto", "bar", "plain", "json", "none"}))
      ->capture_default_str();
  app.add_option("--print-every", o.print_every,
                 "Plain and json progress every N iterations (default: a tenth of a job)")
      ->check(CLI::Range(1, 1000000));
  auto* quiet = app.add_flag("-q,--quiet", o.quiet, "Print errors only");
  app.add_flag("-v,--verbose", o.verbose, "Print debug details")->excludes(quiet);

  app.footer("Presets:\n" + StyleTransferOptions::describe_presets() + kFooter);
}

StyleTransferOptions resolve_options(const CLI::App& app, const CliOptions& o) {
  auto options = StyleTransferOptions::preset(o.preset);
  const auto given = [&](const char* flag) { return app.count(flag) > 0; };
  if (given("--size")) options.size(o.size);
  if (given("--style-size")) options.style_size(o.style_size);
  if (given("--iterations")) options.iterations(o.iterations);
  if (given("--optimizer") && o.optimizer == "lbfgs") {
    options.optimizer(Optimizer::kLbfgs);
    options.learning_rate(1.0);  // L-BFGS's step length; Adam's pixel rates would overshoot
  }
  if (given("--lr")) options.learning_rate(o.learning_rate);
  if (given("--lr-schedule")) {
    options.lr_schedule(o.lr_schedule == "cosine" ? LrSchedule::kCosine : LrSchedule::kConstant);
  }
  if (given("--lr-final")) options.final_learning_rate(o.final_learning_rate);
  if (given("--adam-beta1")) options.beta1(o.beta1);
  if (given("--adam-beta2")) options.beta2(o.beta2);
  if (given("--adam-epsilon")) options.epsilon(o.epsilon);
  if (given("--content-weight")) options.content_weight(o.content_weight);
  if (given("--style-weight")) options.style_weight(o.style_weight);
  if (given("--content-layers")) options.content_layers(o.content_layers);
  if (given("--style-layers")) {
    options.style_layers(o.style_layers);
    options.style_layer_weights({});
  }
  if (given("--style-layer-weights")) options.style_layer_weights(o.style_layer_weights);
  if (given("--style-scale")) options.style_scale(o.style_scale);
  if (given("--tv-weight")) options.tv_weight(o.tv_weight);
  if (given("--style-loss")) {
    options.style_loss(o.style_loss == "w2" ? StyleLoss::kW2 : StyleLoss::kGram);
  }
  if (given("--upsample")) {
    options.upsample(o.upsample == "residual" ? Upsample::kResidual : Upsample::kImage);
  }
  if (given("--scale-moments")) {
    options.scale_moments(o.scale_moments == "carry"     ? ScaleMoments::kCarry
                          : o.scale_moments == "rescale" ? ScaleMoments::kRescale
                                                         : ScaleMoments::kReset);
  }
  if (given("--pooling")) options.pooling(o.pooling == "avg" ? Pooling::kAverage : Pooling::kMax);
  if (given("--preserve-colors")) {
    options.preserve_colours(o.preserve_colors == "luminance"   ? PreserveColours::kLuminance
                             : o.preserve_colors == "histogram" ? PreserveColours::kHistogram
                                                                : PreserveColours::kNone);
  }
  if (given("--init")) {
    options.init(o.init == "content" ? Init::kContent
                 : o.init == "noise" ? Init::kNoise
                 : o.init == "gray"  ? Init::kGray
                                     : Init::kImage);
  }
  if (given("--seed")) options.seed(o.seed);
  if (given("--seed") || o.deterministic) options.deterministic(true);
  if (given("--min-scale")) options.min_scale(o.min_scale);
  if (given("--initial-iterations")) options.initial_iterations(o.initial_iterations);
  if (given("--average-decay")) options.average_decay(o.average_decay);
  if (given("--precision")) options.precision(parse_precision(o.precision));
  options.validate();
  return options;
}

BatchOptions batch_options(const CliOptions& o) {
  BatchOptions batch;
  batch.fail_fast = o.fail_fast;
  batch.skip_existing = o.skip_existing;
  batch.overwrite = o.overwrite;
  batch.time_limit_seconds = o.time_limit;
  batch.save_every = o.save_every;
  batch.stdout_format = o.output_format;
  batch.max_input_pixels = o.max_input_pixels;
  batch.hash_inputs = !o.report.empty();
  if (o.init != "content" && o.init != "noise" && o.init != "gray") batch.init_image = o.init;
  return batch;
}

}  // namespace nst::cli
