#include "cli/run.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/model_lookup.h"
#include "cli/progress.h"
#include "nst/error.h"
#include "nst/image_io.h"
#include "nst/transfer.h"
#include "nst/vgg.h"

namespace nst::cli {
namespace fs = std::filesystem;
namespace {

torch::Device pick_device(const std::string& requested) {
  const bool cuda = torch::cuda::is_available();
  if (requested == "cuda" && !cuda) {
    throw Error(ErrorCode::kInvalidOptions,
                "--device cuda was asked for, but CUDA is not available (no GPU, or a LibTorch "
                "built without CUDA)");
  }
  return (requested == "cuda" || (requested == "auto" && cuda)) ? torch::Device(torch::kCUDA)
                                                                : torch::Device(torch::kCPU);
}

void set_threads(int requested) {
  const int threads = requested > 0
                          ? requested
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  // LibTorch starts with one intra-op thread on some builds; the caller's choice must win.
  torch::set_num_threads(threads);
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

void refuse_overwriting_inputs(const CliOptions& cli) {
  for (const auto* input : {&cli.content, &cli.style}) {
    if (same_file(cli.output, *input)) {
      throw Error(ErrorCode::kImageWrite,
                  "cannot write image '" + cli.output + "': it is the input '" + *input + "'");
    }
  }
}

// An image too thin for the network would fail deep inside a pooling layer; say so up front.
void check_image_size(const Image& image, const std::string& path,
                      const StyleTransferOptions& options) {
  std::vector<std::string> layers = options.content_layers();
  layers.insert(layers.end(), options.style_layers().begin(), options.style_layers().end());
  const int64_t minimum = FeatureExtractor::min_input_side(layers);
  const int64_t width = image.rgb.size(3), height = image.rgb.size(2);
  if (width < minimum || height < minimum) {
    throw Error(ErrorCode::kImageRead, "cannot use image '" + path + "': resized to " +
                                           std::to_string(width) + "x" + std::to_string(height) +
                                           " it is too small; the layers in use need at least " +
                                           std::to_string(minimum) +
                                           " pixels on each side (raise --size, or use "
                                           "shallower layers)");
  }
}

int transfer(const CliOptions& cli, const StyleTransferOptions& options,
             const std::string& executable) {
  const torch::Device device = pick_device(cli.device);
  set_threads(cli.threads);

  check_output_path(cli.output);
  refuse_overwriting_inputs(cli);

  const Image content = load_image(cli.content, options.size());
  const Image style =
      load_image(cli.style, options.style_size() > 0 ? options.style_size() : options.size());
  check_image_size(content, cli.content, options);
  check_image_size(style, cli.style, options);
  spdlog::debug("content '{}' → {}x{}, style '{}' → {}x{}", cli.content, content.rgb.size(3),
                content.rgb.size(2), cli.style, style.rgb.size(3), style.rgb.size(2));

  const std::string model_path = find_model(cli.model, executable);
  const auto extractor = FeatureExtractor::load(model_path, device);
  spdlog::debug("model '{}' on {}, {} threads", model_path, device.str(), torch::get_num_threads());

  const StyleTransfer engine(extractor, options);
  const StyleTargets targets = engine.style_targets(style.rgb);

  ProgressDisplay display(cli.quiet, cli.print_every, options.iterations());
  const auto result = engine.run(content.rgb, targets, [&](const ProgressEvent& event) {
    display.update(event);
    return true;
  });
  display.finish();

  save_image(cli.output, result.image, content.alpha);
  spdlog::info(
      "wrote '{}' ({}x{}) in {:.1f} s: {} iterations, loss {:.4g} (content {:.4g}, "
      "style {:.4g})",
      cli.output, result.image.size(3), result.image.size(2), result.seconds, result.iterations,
      result.loss, result.content_loss, result.style_loss);
  return kExitSuccess;
}

// The first line of an exception's message: LibTorch appends C++ backtraces.
std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

int run(const CliOptions& cli, const std::string& executable, const CLI::App& app) {
  try {
    const StyleTransferOptions options = resolve_options(app, cli);
    return transfer(cli, options, executable);
  } catch (const Error& error) {
    spdlog::error("{}", error.what());
  } catch (const c10::Error& error) {
    spdlog::error("{}", first_line(error.what()));
  } catch (const std::exception& error) {
    spdlog::error("{}", first_line(error.what()));
  }
  return kExitFailure;
}

}  // namespace nst::cli
