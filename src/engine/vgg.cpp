#include "nst/engine/vgg.h"

#include <ATen/CPUGeneratorImpl.h>
#include <caffe2/serialize/read_adapter_interface.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/script.h>

#include <array>
#include <cmath>
#include <cstring>
#include <mutex>
#include <sstream>

#include "nst/engine/error.h"

namespace nst {
namespace {

// Output channels of VGG19's 16 convolutions, block by block (2, 2, 4, 4, 4).
constexpr std::array<int64_t, 16> kConvChannels = {64,  64,  128, 128, 256, 256, 256, 256,
                                                   512, 512, 512, 512, 512, 512, 512, 512};
constexpr std::array<int, 5> kConvsPerBlock = {2, 2, 4, 4, 4};
// Index in kConvChannels of each block's first convolution (all of a block's share its width).
constexpr std::array<size_t, 5> kFirstConvOfBlock = {0, 2, 4, 8, 12};

std::vector<std::string> make_layer_names() {
  std::vector<std::string> names;
  for (size_t block = 0; block < kConvsPerBlock.size(); ++block) {
    const std::string b = std::to_string(block + 1);
    for (int conv = 1; conv <= kConvsPerBlock[block]; ++conv) {
      names.push_back("conv" + b + "_" + std::to_string(conv));
      names.push_back("relu" + b + "_" + std::to_string(conv));
    }
    names.push_back("pool" + b);
  }
  return names;
}

// TorchScript's zip reader over a file already in memory: the caller read it (a stream can be
// read only once, and reading can be stopped), so it is not read twice.
class BytesReader : public caffe2::serialize::ReadAdapterInterface {
 public:
  explicit BytesReader(const std::vector<unsigned char>& bytes) : bytes_(bytes) {}
  size_t size() const override { return bytes_.size(); }
  size_t read(uint64_t position, void* buffer, size_t count,
              const char* /*what*/ = "") const override {
    if (position >= bytes_.size()) return 0;
    count = std::min<size_t>(count, bytes_.size() - position);
    std::memcpy(buffer, bytes_.data() + position, count);
    return count;
  }

 private:
  const std::vector<unsigned char>& bytes_;
};

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw Error(ErrorCode::kModelInvalid, "model '" + path + "' " + why);
}

std::string type_name(const torch::jit::Module& module) {
  return module.type()->name() ? module.type()->name()->name() : std::string("?");
}

InputConvention read_convention(const torch::jit::Module& root, const std::string& path) {
  for (const char* attribute : {"input_order", "input_scale", "input_mean", "input_std"}) {
    if (!root.hasattr(attribute)) {
      fail(path, std::string("does not say its input convention (no attribute '") + attribute +
                     "'); export it with scripts/export_vgg19.py");
    }
  }
  InputConvention convention;
  const std::string order = root.attr("input_order").toStringRef();
  if (order != "RGB" && order != "BGR") {
    fail(path, "has input_order '" + order + "'; expected RGB or BGR");
  }
  convention.bgr = order == "BGR";
  convention.scale = root.attr("input_scale").toDouble();
  convention.mean = root.attr("input_mean").toDoubleVector();
  convention.std = root.attr("input_std").toDoubleVector();
  if (convention.mean.size() != 3 || convention.std.size() != 3) {
    fail(path, "has input_mean/input_std that are not 3 values each");
  }
  for (double s : convention.std) {
    if (!(s > 0)) fail(path, "has a non-positive input_std value");
  }
  return convention;
}

std::string describe_found(const std::vector<int64_t>& conv_channels, int pools) {
  std::ostringstream out;
  out << "found " << conv_channels.size() << " convolutions";
  if (!conv_channels.empty()) {
    out << " (output channels";
    for (int64_t c : conv_channels) out << ' ' << c;
    out << ')';
  }
  out << " and " << pools << " pools";
  return out.str();
}

}  // namespace

const std::vector<std::string>& FeatureExtractor::layer_names() {
  static const std::vector<std::string> names = make_layer_names();
  return names;
}

int FeatureExtractor::layer_index(const std::string& name) {
  const auto& names = layer_names();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

int FeatureExtractor::deepest_layer(const std::vector<std::string>& layers) {
  int deepest = -1;
  for (const auto& name : layers) deepest = std::max(deepest, layer_index(name));
  return deepest;
}

int64_t FeatureExtractor::min_input_side(const std::vector<std::string>& layers) {
  const auto& names = layer_names();
  int64_t side = 1;
  for (int i = 0; i <= deepest_layer(layers); ++i) {
    if (names[static_cast<size_t>(i)][0] == 'p') side *= 2;
  }
  return side;
}

int64_t FeatureExtractor::activation_count(const std::vector<std::string>& layers, int64_t height,
                                           int64_t width) {
  const auto& names = layer_names();
  int64_t count = 0;
  size_t block = 0;
  for (int i = 0; i <= deepest_layer(layers); ++i) {
    const bool pool = names[static_cast<size_t>(i)][0] == 'p';
    if (pool) {
      height /= 2;
      width /= 2;
    }
    count += kConvChannels[kFirstConvOfBlock[block]] * height * width;
    if (pool) ++block;
  }
  return count;
}

FeatureExtractor FeatureExtractor::load_bytes(const std::vector<unsigned char>& bytes,
                                              const std::string& path, torch::Device device) {
  return load(std::make_shared<BytesReader>(bytes), path, device);
}

FeatureExtractor FeatureExtractor::load(
    std::shared_ptr<caffe2::serialize::ReadAdapterInterface> reader, const std::string& path,
    torch::Device device) {
  torch::jit::Module root;
  try {
    root = torch::jit::load(std::move(reader), torch::kCPU);
  } catch (const c10::Error& error) {
    fail(path, "could not be loaded as TorchScript: " + first_line(error.what()));
  } catch (const std::exception& error) {
    fail(path, std::string("could not be loaded as TorchScript: ") + error.what());
  }

  FeatureExtractor extractor(path, device);
  extractor.convention_ = read_convention(root, path);

  // Our export wraps the layers in a `features` submodule; a bare Sequential is accepted too.
  const torch::jit::Module sequence =
      root.hasattr("features") ? root.attr("features").toModule() : root;

  std::vector<int64_t> conv_channels;
  int pools = 0;
  bool shape_ok = true;
  int64_t in_channels = 3;
  for (const auto& child : sequence.children()) {
    const std::string type = type_name(child);
    if (type == "Conv2d") {
      const auto weight = child.attr("weight").toTensor();
      const size_t n = conv_channels.size();
      conv_channels.push_back(weight.dim() == 4 ? weight.size(0) : -1);
      shape_ok = shape_ok && n < kConvChannels.size() && weight.dim() == 4 &&
                 weight.size(0) == kConvChannels[n] && weight.size(1) == in_channels &&
                 weight.size(2) == 3 && weight.size(3) == 3;
      in_channels = conv_channels.back();
      const auto bias = child.attr("bias");
      Layer layer;
      layer.kind = Kind::kConv;
      layer.weight = weight.detach();
      if (bias.isTensor()) layer.bias = bias.toTensor().detach();
      extractor.layers_.push_back(layer);
    } else if (type == "ReLU") {
      extractor.layers_.push_back(Layer{Kind::kRelu});
    } else if (type == "MaxPool2d") {
      ++pools;
      extractor.layers_.push_back(Layer{Kind::kPool});
    } else {
      fail(path, "is not VGG19-shaped: it has a layer of type '" + type +
                     "'; expected only Conv2d, ReLU and MaxPool2d");
    }
  }

  // The kinds must also come in VGG19's order, which makes the canonical names line up.
  const auto& names = layer_names();
  if (shape_ok && extractor.layers_.size() == names.size()) {
    for (size_t i = 0; i < names.size(); ++i) {
      const Kind expected = names[i][0] == 'c'   ? Kind::kConv
                            : names[i][0] == 'r' ? Kind::kRelu
                                                 : Kind::kPool;
      shape_ok = shape_ok && extractor.layers_[i].kind == expected;
    }
  } else {
    shape_ok = false;
  }
  if (!shape_ok || conv_channels.size() != kConvChannels.size() || pools != 5) {
    fail(path, "is not VGG19-shaped: " + describe_found(conv_channels, pools) +
                   "; expected 16 3x3 convolutions (64 64 | 128 128 | 256 x4 | 512 x4 | 512 x4) "
                   "each followed by a ReLU, and a max pool after each block");
  }

  for (size_t i = 0; i < extractor.layers_.size(); ++i) {
    auto& layer = extractor.layers_[i];
    if (layer.kind != Kind::kConv) continue;
    if (!torch::isfinite(layer.weight).all().item<bool>() ||
        (layer.bias.defined() && !torch::isfinite(layer.bias).all().item<bool>())) {
      fail(path, "has NaN or infinite weights in layer " + names[i]);
    }
    layer.weight = layer.weight.to(device, torch::kFloat32).contiguous();
    if (layer.bias.defined()) layer.bias = layer.bias.to(device, torch::kFloat32).contiguous();
  }
  extractor.low_precision_ = std::make_shared<LowPrecisionWeights>();

  const auto& c = extractor.convention_;
  auto to_column = [&](const std::vector<double>& values) {
    std::vector<float> floats(values.begin(), values.end());
    return torch::tensor(floats).view({1, 3, 1, 1}).to(device);
  };
  extractor.mean_ = to_column(c.mean);
  extractor.std_ = to_column(c.std);
  return extractor;
}

torch::Tensor FeatureExtractor::normalise(const torch::Tensor& rgb255) const {
  torch::Tensor x = convention_.bgr ? rgb255.flip(1) : rgb255;
  return (x * convention_.scale - mean_) / std_;
}

struct FeatureExtractor::LowPrecisionWeights {
  std::mutex mutex;
  std::map<torch::ScalarType, LayerWeights> by_type;
};

const FeatureExtractor::LayerWeights& FeatureExtractor::weights_in(
    torch::ScalarType precision) const {
  std::lock_guard<std::mutex> lock(low_precision_->mutex);
  auto [entry, added] = low_precision_->by_type.try_emplace(precision);
  if (added) {
    torch::NoGradGuard no_grad;
    for (const auto& layer : layers_) {
      entry->second.emplace_back(
          layer.weight.defined() ? layer.weight.to(precision) : torch::Tensor(),
          layer.bias.defined() ? layer.bias.to(precision) : torch::Tensor());
    }
  }
  return entry->second;
}

torch::Tensor FeatureExtractor::apply(size_t index, const torch::Tensor& x,
                                      torch::ScalarType precision) const {
  const Layer& layer = layers_[index];
  switch (layer.kind) {
    case Kind::kConv: {
      if (precision == torch::kFloat32)
        return torch::conv2d(x, layer.weight, layer.bias, /*stride=*/1, /*padding=*/1);
      const auto& [weight, bias] = weights_in(precision)[index];
      return torch::conv2d(x, weight, bias, /*stride=*/1, /*padding=*/1);
    }
    case Kind::kRelu:
      return torch::relu(x);
    case Kind::kPool:
      if (pooling_ == Pooling::kMax) return torch::max_pool2d(x, /*kernel_size=*/2, /*stride=*/2);
      return torch::avg_pool2d(x, /*kernel_size=*/2, /*stride=*/2) * layer.pool_gain;
  }
  return x;
}

namespace {

// A fixed 256×256 RGB image in 0..255 whose spectrum falls off like a photograph's: random
// colour fields at four octaves, each upsampled smoothly and weighted by its scale.
torch::Tensor calibration_image() {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/20150826);
  torch::Tensor image = torch::zeros({1, 3, 256, 256});
  double amplitude = 1.0;
  double total = 0.0;
  for (const int64_t side : {4, 16, 64, 256}) {
    const auto field = torch::rand({1, 3, side, side}, generator, torch::kFloat32) - 0.5;
    image += amplitude * torch::nn::functional::interpolate(
                             field, torch::nn::functional::InterpolateFuncOptions()
                                        .size(std::vector<int64_t>{256, 256})
                                        .mode(torch::kBilinear)
                                        .align_corners(false));
    total += amplitude;
    amplitude /= 2;
  }
  return (image / total * 2 + 0.5).clamp(0, 1) * 255;
}

}  // namespace

FeatureExtractor FeatureExtractor::with_pooling(Pooling pooling) const {
  FeatureExtractor copy = *this;
  copy.pooling_ = pooling;
  for (auto& layer : copy.layers_) layer.pool_gain = 1;
  if (pooling == Pooling::kMax) return copy;

  torch::NoGradGuard no_grad;
  torch::Tensor x = normalise(calibration_image().to(device_));
  for (size_t i = 0; i < copy.layers_.size(); ++i) {
    auto& layer = copy.layers_[i];
    if (layer.kind == Kind::kPool) {
      const double max_mean = torch::max_pool2d(x, 2, 2).mean().item<double>();
      const double average_mean = torch::avg_pool2d(x, 2, 2).mean().item<double>();
      // Activations are non-negative after a ReLU; a dead layer keeps gain 1.
      if (average_mean > 0 && std::isfinite(max_mean / average_mean)) {
        layer.pool_gain = max_mean / average_mean;
      }
    }
    x = copy.apply(i, x, torch::kFloat32);
  }
  return copy;
}

std::vector<double> FeatureExtractor::pool_gains() const {
  std::vector<double> gains;
  for (const auto& layer : layers_) {
    if (layer.kind == Kind::kPool) gains.push_back(layer.pool_gain);
  }
  return gains;
}

bool FeatureExtractor::supports(torch::ScalarType precision) const {
  return precision == torch::kFloat32 || precision == torch::kBFloat16 ||
         precision == torch::kFloat64 || (precision == torch::kHalf && device_.is_cuda());
}

std::map<std::string, torch::Tensor> FeatureExtractor::extract(
    const torch::Tensor& rgb255, const std::vector<std::string>& layers,
    torch::ScalarType precision, Output output, const StopRequested& stop) const {
  TORCH_CHECK(supports(precision), "extract(): ", precision, " is not supported on ", device_);
  const bool converted = precision != torch::kFloat32;
  const bool to_float32 = converted && output == Output::kFloat32;
  std::vector<bool> wanted(layers_.size(), false);
  for (const auto& name : layers) {
    const int index = layer_index(name);
    if (index < 0) {
      throw Error(ErrorCode::kInvalidOptions, "'" + name + "' is not a VGG19 layer name");
    }
    wanted[static_cast<size_t>(index)] = true;
  }
  const int deepest = deepest_layer(layers);
  TORCH_CHECK(deepest >= 0, "extract() needs at least one VGG19 layer name");

  std::map<std::string, torch::Tensor> out;
  torch::Tensor x = normalise(rgb255.to(device_));
  if (converted) x = x.to(precision);
  const auto& names = layer_names();
  for (int i = 0; i <= deepest; ++i) {
    stop_if_requested(stop, "running the network");
    x = apply(static_cast<size_t>(i), x, precision);
    if (wanted[i]) out.emplace(names[i], to_float32 ? x.to(torch::kFloat32) : x);
  }
  return out;
}

}  // namespace nst
