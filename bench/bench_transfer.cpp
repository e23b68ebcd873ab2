// Benchmark: seconds per optimisation step of the style-transfer loop against a bare VGG19
// forward+backward to the same deepest layer, at each requested size, in one process.
//
//   nst_bench --model models/vgg19.pt --content photo.jpg --style painting.jpg --sizes 256,512
//
// The bare pass is the floor the loop cannot beat: everything above it (Gram matrices, losses,
// the Adam step, clamping, bookkeeping) is the loop's overhead.
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "nst/blas_kernels.h"
#include "nst/image_io.h"
#include "nst/report.h"
#include "nst/system_limits.h"
#include "nst/transfer.h"
#include "nst/vgg.h"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Forward to the deepest layer the options use and backward to the input image: the work
// one optimisation step cannot avoid.
double bare_forward_backward(const nst::FeatureExtractor& extractor, const torch::Tensor& image,
                             const std::vector<std::string>& layers, torch::ScalarType type,
                             int repeats) {
  const std::string deepest = nst::FeatureExtractor::layer_names()[static_cast<size_t>(
      nst::FeatureExtractor::deepest_layer(layers))];
  std::vector<double> seconds;
  for (int i = 0; i < repeats + 1; ++i) {
    auto input = image.clone().set_requires_grad(true);
    const auto start = Clock::now();
    const auto features = extractor.extract(input, {deepest}, type);
    features.at(deepest).sum().backward();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (i > 0) seconds.push_back(elapsed);  // the first pass warms up oneDNN's kernels
  }
  return median(seconds);
}

struct LoopFigures {
  double step_seconds = 0;  // median, skipping the first step (warm-up)
  double last_loss = 0;     // total loss measured at the last step
};

LoopFigures loop_step(const nst::FeatureExtractor& extractor,
                      const nst::StyleTransferOptions& options, const torch::Tensor& content,
                      const torch::Tensor& style) {
  const nst::StyleTransfer engine(extractor, options);
  const auto targets = engine.style_targets(style);
  std::vector<double> steps;
  double previous = 0;
  LoopFigures figures;
  engine.run(content, targets, [&](const nst::ProgressEvent& event) {
    if (event.iteration > 1) steps.push_back(event.elapsed_seconds - previous);
    previous = event.elapsed_seconds;
    figures.last_loss = event.loss;
    return true;
  });
  figures.step_seconds = median(steps);
  return figures;
}

// The preset's objective (weighted total loss) of `image` against the content and style, all at
// the content's size: the loss the first step of a run starting from `image` measures.
double objective(const nst::FeatureExtractor& extractor, nst::StyleTransferOptions options,
                 const torch::Tensor& content, const torch::Tensor& style,
                 const torch::Tensor& image) {
  const nst::StyleTransfer engine(extractor,
                                  options.iterations(1).min_scale(0).init(nst::Init::kImage));
  double loss = 0;
  engine.run(
      content, engine.style_targets(style),
      [&](const nst::ProgressEvent& event) {
        loss = event.loss;
        return false;
      },
      image);
  return loss;
}

// Writes a Chrome trace of a few steps of the loop, to see where a step's time goes.
void trace_loop(const nst::FeatureExtractor& extractor, nst::StyleTransferOptions options,
                const torch::Tensor& content, const torch::Tensor& style, const std::string& path) {
  const nst::StyleTransfer engine(extractor, options.iterations(3));
  const auto targets = engine.style_targets(style);
  torch::autograd::profiler::RecordProfile profile(path);
  engine.run(content, targets);
}

}  // namespace

int main(int argc, char** argv) {
  nst::reexec_for_openblas_core(argv);
  CLI::App app{"Times the style-transfer loop against a bare VGG19 forward+backward."};
  std::string model, content_path, style_path, preset = "default";
  std::vector<int64_t> sizes = {256, 512};
  int iterations = 10;
  int threads = nst::usable_cpus().cpus;
  app.add_option("--model", model, "VGG19 TorchScript file")->required()->check(CLI::ExistingFile);
  app.add_option("--content", content_path, "Content image")->required()->check(CLI::ExistingFile);
  app.add_option("--style", style_path, "Style image")->required()->check(CLI::ExistingFile);
  app.add_option("--sizes", sizes, "Long sides to measure")->delimiter(',')->capture_default_str();
  app.add_option("--iterations", iterations, "Steps of the loop per size (the first is a warm-up)")
      ->check(CLI::Range(3, 100000))
      ->capture_default_str();
  app.add_option("--preset", preset, "Preset whose layers and weights to use")
      ->capture_default_str();
  app.add_option("--threads", threads, "CPU threads")->capture_default_str();
  std::vector<std::string> precisions = {"fp32"};
  app.add_option("--precisions", precisions, "Precisions of the VGG layers to compare (fp32, bf16)")
      ->delimiter(',')
      ->capture_default_str();
  std::string trace;
  app.add_option("--trace", trace, "Also write a Chrome trace of 3 steps at the last size here");
  std::string evaluate;
  app.add_option("--evaluate", evaluate,
                 "Only print the preset's objective of this image (content and style at the "
                 "last --sizes)")
      ->check(CLI::ExistingFile);
  bool print_options = false;
  app.add_flag("--print-options", print_options,
               "Only print the preset's options as the report writes them (one line of JSON)");
  CLI11_PARSE(app, argc, argv);
  if (print_options) {
    std::printf("%s\n", nst::options_json_text(nst::StyleTransferOptions::preset(preset)).c_str());
    return 0;
  }

  torch::set_num_threads(std::max(1, threads));
  const auto device = torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::kCPU;
  const auto extractor = nst::FeatureExtractor::load(model, device);
  auto options = nst::StyleTransferOptions::preset(preset).iterations(iterations);
  std::vector<std::string> layers = options.content_layers();
  layers.insert(layers.end(), options.style_layers().begin(), options.style_layers().end());
  if (!evaluate.empty()) {
    const int64_t size = sizes.back();
    const auto content = nst::load_image(content_path, size).rgb;
    std::printf("%.9g\n", objective(extractor, options.size(size), content,
                                    nst::load_image(style_path, size).rgb,
                                    nst::load_image(evaluate, size).rgb));
    return 0;
  }

  std::printf(
      "device %s, %d threads, BLAS kernels %s, preset %s, deepest layer %s\n", device.str().c_str(),
      torch::get_num_threads(),
      nst::openblas_core().empty() ? "(not OpenBLAS)" : nst::openblas_core().c_str(),
      preset.c_str(),
      nst::FeatureExtractor::layer_names()[nst::FeatureExtractor::deepest_layer(layers)].c_str());
  std::printf("%6s %10s %6s %14s %14s %10s %14s\n", "size", "pixels", "prec", "bare f+b (s)",
              "loop step (s)", "overhead", "loss at last");
  for (const int64_t size : sizes) {
    const auto content = nst::load_image(content_path, size).rgb.to(device);
    const auto style = nst::load_image(style_path, size).rgb.to(device);
    for (const auto& name : precisions) {
      const auto precision = nst::parse_precision(name);
      const auto type = nst::compute_type(precision, device);
      const double bare = bare_forward_backward(extractor, content, layers, type, 5);
      const auto loop =
          loop_step(extractor, options.size(size).precision(precision), content, style);
      std::printf("%6lld %4lldx%-5lld %6s %14.3f %14.3f %9.1f%% %14.6g\n",
                  static_cast<long long>(size), static_cast<long long>(content.size(3)),
                  static_cast<long long>(content.size(2)), nst::type_name(type), bare,
                  loop.step_seconds, 100.0 * (loop.step_seconds / bare - 1.0), loop.last_loss);
      std::fflush(stdout);
    }
    if (!trace.empty() && size == sizes.back()) {
      trace_loop(extractor, options.size(size), content, style, trace);
    }
  }
  return 0;
}
