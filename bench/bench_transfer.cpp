// Benchmark: seconds per optimisation step of the style-transfer loop against a bare VGG19
// forward+backward to the same deepest layer, at each requested size, in one process.
//
//   nst_bench --model models/vgg19.pt --content photo.jpg --style painting.jpg --sizes 256,512
//
// The bare pass is the floor the loop cannot beat: everything above it (Gram matrices, losses,
// the Adam step, clamping, bookkeeping) is the loop's overhead. It needs only the engine: built
// with NST_ENGINE_ONLY (no image reading) it paints synthetic images of the same sizes, which
// time the same as photographs. On CUDA every figure is taken after a device synchronisation.
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nst/engine/blas_kernels.h"
#include "nst/engine/device.h"
#include "nst/engine/system_limits.h"
#include "nst/engine/transfer.h"
#include "nst/engine/vgg.h"
#ifdef NST_BENCH_READS_IMAGES
#include "nst/io/image_io.h"
#include "nst/report/report.h"
#endif

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
    nst::synchronize(image.device());
    const auto start = Clock::now();
    const auto features = extractor.extract(input, {deepest}, type);
    features.at(deepest).sum().backward();
    nst::synchronize(image.device());
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
  LoopFigures figures;
  nst::synchronize(content.device());
  auto previous = Clock::now();
  engine.run(content, targets, [&](const nst::ProgressEvent& event) {
    nst::synchronize(content.device());
    const auto now = Clock::now();
    if (event.iteration > 1) steps.push_back(std::chrono::duration<double>(now - previous).count());
    previous = now;
    figures.last_loss = event.loss();
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
        loss = event.loss();
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

// The command line: `--name value` pairs and `--flag`s, each name at most once. (The engine-only
// build has no CLI11.)
class Arguments {
 public:
  Arguments(int argc, char** argv, const std::vector<std::string>& flags) {
    for (int i = 1; i < argc; ++i) {
      const std::string name = argv[i];
      if (name.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument " + name);
      const bool flag = std::find(flags.begin(), flags.end(), name) != flags.end();
      if (!flag && i + 1 >= argc) throw std::invalid_argument(name + " needs a value");
      if (!values_.emplace(name, flag ? "" : argv[++i]).second) {
        throw std::invalid_argument(name + " given twice");
      }
    }
  }

  bool has(const std::string& name) const {
    taken_.push_back(name);  // a flag asked about is known, given or not
    return values_.count(name) > 0;
  }

  std::string text(const std::string& name, const std::string& fallback = "") const {
    taken_.push_back(name);
    const auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }

  int64_t integer(const std::string& name, int64_t fallback) const {
    return has(name) ? parse_integer(name, text(name)) : (taken_.push_back(name), fallback);
  }

  // A comma-separated list.
  std::vector<std::string> list(const std::string& name, const std::string& fallback) const {
    std::vector<std::string> items;
    std::istringstream in(text(name, fallback));
    for (std::string item; std::getline(in, item, ',');) items.push_back(item);
    return items;
  }

  std::vector<int64_t> integers(const std::string& name, const std::string& fallback) const {
    std::vector<int64_t> numbers;
    for (const auto& item : list(name, fallback)) numbers.push_back(parse_integer(name, item));
    return numbers;
  }

  // Throws for any argument given that nothing asked for.
  void check_all_known() const {
    for (const auto& [name, value] : values_) {
      if (std::find(taken_.begin(), taken_.end(), name) == taken_.end()) {
        throw std::invalid_argument("unknown option " + name);
      }
    }
  }

 private:
  static int64_t parse_integer(const std::string& name, const std::string& text) {
    size_t used = 0;
    int64_t value = 0;
    try {
      value = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size()) {
      throw std::invalid_argument(name + " takes whole numbers, not '" + text + "'");
    }
    return value;
  }

  std::map<std::string, std::string> values_;
  mutable std::vector<std::string> taken_;
};

constexpr const char* kUsage =
    R"(nst_bench: times the style-transfer loop against a bare VGG19 forward+backward.

  --model FILE         VGG19 TorchScript file (required)
  --content FILE       content image (default: a synthetic gradient)
  --style FILE         style image (default: synthetic stripes)
  --sizes N,N,...      long sides to measure (default 256,512)
  --iterations N       steps of the loop per size, the first a warm-up (default 10, at least 3)
  --preset NAME,...    presets to compare: default, tutorial, fast (default "default")
  --precisions P,...   precisions of the VGG layers to compare: fp32, bf16, fp16 (default fp32)
  --device D           cpu, cuda or cuda:N (default: cuda when available, else cpu)
  --threads N          CPU threads (default: the CPUs this process may use)
  --trace FILE         also write a Chrome trace of 3 steps at the last size
  --evaluate IMAGE     only print the first preset's objective of IMAGE (content and style at
                       the last --sizes; needs --content and --style); --preset tutorial gives
                       the tutorial's objective, which scripts/bench_quality.sh judges by
  --print-options      only print the first preset's options as the report writes them
)";

// Synthetic pictures for a build without image reading: a smooth content and a busy style,
// [1, 3, height, width] RGB 0..255.
torch::Tensor synthetic_content(int64_t height, int64_t width) {
  const auto y = torch::linspace(0, 1, height).view({1, 1, height, 1});
  const auto x = torch::linspace(0, 1, width).view({1, 1, 1, width});
  return torch::cat({30 + 200 * x + 0 * y, 60 + 60 * (x + y), 40 + 180 * y + 0 * x}, 1);
}

torch::Tensor synthetic_style(int64_t height, int64_t width) {
  const auto y = torch::arange(height).view({1, 1, height, 1});
  const auto x = torch::arange(width).view({1, 1, 1, width});
  const auto stripes = ((x + y).div(4, "floor").remainder(3)).to(torch::kFloat32);
  const auto checks = ((x.div(8, "floor") + y.div(8, "floor")).remainder(2)).to(torch::kFloat32);
  return torch::cat({stripes * 110, (2 - stripes) * 100 + checks * 50, checks * 200}, 1) + 20;
}

torch::Tensor read_picture(const std::string& path, int64_t size, bool content) {
  if (path.empty()) {
    // The sample photograph's shape (512×480), so figures compare with image runs.
    const int64_t height = std::max<int64_t>(1, size * 15 / 16);
    return content ? synthetic_content(height, size) : synthetic_style(size, size);
  }
#ifdef NST_BENCH_READS_IMAGES
  return nst::load_image(path, size).rgb;
#else
  throw std::invalid_argument("this nst_bench was built with NST_ENGINE_ONLY and reads no " +
                              std::string("images; leave out --content, --style and --evaluate"));
#endif
}

std::vector<unsigned char> read_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot open the model '" + path + "'");
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  if (bytes.empty()) throw std::invalid_argument("the model '" + path + "' is empty");
  return bytes;
}

}  // namespace

int main(int argc, char** argv) try {
  nst::reexec_for_openblas_core(argv);
  const Arguments args(argc, argv, {"--print-options", "--help"});
  if (args.has("--help")) {
    std::printf("%s", kUsage);
    return 0;
  }
  const std::vector<std::string> presets = args.list("--preset", "default");
  const std::string model = args.text("--model");
  const std::string content_path = args.text("--content");
  const std::string style_path = args.text("--style");
  const std::vector<int64_t> sizes = args.integers("--sizes", "256,512");
  const int64_t iterations = args.integer("--iterations", 10);
  const int64_t threads = args.integer("--threads", nst::usable_cpus().cpus);
  const std::vector<std::string> precisions = args.list("--precisions", "fp32");
  const std::string trace = args.text("--trace");
  const std::string evaluate = args.text("--evaluate");
  const std::string device_name = args.text("--device");
  const bool print_options = args.has("--print-options");
  args.check_all_known();
  if (presets.empty()) throw std::invalid_argument("--preset needs a name");
  const std::string& preset = presets.front();  // what --print-options and --evaluate use
  if (print_options) {
#ifdef NST_BENCH_READS_IMAGES
    std::printf("%s\n", nst::options_json_text(nst::StyleTransferOptions::preset(preset)).c_str());
    return 0;
#else
    throw std::invalid_argument("this nst_bench was built with NST_ENGINE_ONLY, without reports");
#endif
  }
  if (model.empty()) throw std::invalid_argument("--model is required");
  if (iterations < 3) throw std::invalid_argument("--iterations must be at least 3");
  if (sizes.empty()) throw std::invalid_argument("--sizes needs at least one size");

  torch::set_num_threads(static_cast<int>(std::max<int64_t>(1, threads)));
  const torch::Device device =
      device_name.empty() ? nst::default_device() : nst::parse_device(device_name);
  const auto extractor = nst::FeatureExtractor::load_bytes(read_model(model), model, device);
  if (!evaluate.empty()) {
    const int64_t size = sizes.back();
    if (content_path.empty() || style_path.empty()) {
      throw std::invalid_argument("--evaluate needs --content and --style");
    }
    std::printf("%.9g\n", objective(extractor, nst::StyleTransferOptions::preset(preset).size(size),
                                    read_picture(content_path, size, true).to(device),
                                    read_picture(style_path, size, false).to(device),
                                    read_picture(evaluate, size, true).to(device)));
    return 0;
  }

  std::printf("device %s, %d threads, BLAS kernels %s, %s\n", device.str().c_str(),
              torch::get_num_threads(),
              nst::openblas_core().empty() ? "(not OpenBLAS)" : nst::openblas_core().c_str(),
              content_path.empty() ? "synthetic images" : "the images given");
  std::printf("%-8s %8s %6s %10s %6s %14s %14s %10s %14s\n", "preset", "deepest", "size", "pixels",
              "prec", "bare f+b (s)", "loop step (s)", "overhead", "loss at last");
  for (const auto& name : presets) {
    auto options = nst::StyleTransferOptions::preset(name).iterations(iterations);
    const std::vector<std::string> layers = options.loss_layers();
    const std::string& deepest = nst::FeatureExtractor::layer_names()[static_cast<size_t>(
        nst::FeatureExtractor::deepest_layer(layers))];
    for (const int64_t size : sizes) {
      const auto content = read_picture(content_path, size, true).to(device);
      const auto style = read_picture(style_path, size, false).to(device);
      for (const auto& precision_name : precisions) {
        const auto precision = nst::parse_precision(precision_name);
        const auto type = nst::compute_type(precision, device);
        const double bare = bare_forward_backward(extractor, content, layers, type, 5);
        const auto loop =
            loop_step(extractor, options.size(size).precision(precision), content, style);
        std::printf("%-8s %8s %6lld %4lldx%-5lld %6s %14.3f %14.3f %9.1f%% %14.6g\n", name.c_str(),
                    deepest.c_str(), static_cast<long long>(size),
                    static_cast<long long>(content.size(3)),
                    static_cast<long long>(content.size(2)), nst::type_name(type), bare,
                    loop.step_seconds, 100.0 * (loop.step_seconds / bare - 1.0), loop.last_loss);
        std::fflush(stdout);
      }
      if (!trace.empty() && size == sizes.back() && name == presets.back()) {
        trace_loop(extractor, options.size(size), content, style, trace);
      }
    }
  }
  return 0;
} catch (const std::invalid_argument& error) {
  std::fprintf(stderr, "nst_bench: %s\n(see nst_bench --help)\n", error.what());
  return 1;
} catch (const std::exception& error) {
  std::fprintf(stderr, "nst_bench: %s\n", error.what());
  return 1;
}
