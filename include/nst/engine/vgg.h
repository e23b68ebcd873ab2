#pragma once

#include <caffe2/serialize/read_adapter_interface.h>
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nst/engine/options.h"
#include "nst/engine/stop.h"

namespace nst {

/// How a model wants its input: the engine always holds RGB pixels in 0..255 and the
/// extractor turns them into `(pixel[order] * scale - mean) / std` before the first layer.
struct InputConvention {
  bool bgr = false;                   ///< swap to BGR channel order (Caffe weights)
  double scale = 1.0 / 255.0;         ///< multiplier applied to 0..255 pixels
  std::vector<double> mean{0, 0, 0};  ///< per channel, after scaling, in the model's order
  std::vector<double> std{1, 1, 1};   ///< per channel, after scaling, in the model's order
};

/// VGG19's feature layers loaded from a TorchScript file, run by layer name.
///
/// The file is checked to be VGG19-shaped (16 3×3 convolutions with VGG19's channel counts
/// and 5 pools, in VGG19's order). Its weights are held as constant tensors: no parameter
/// gradient is ever computed, while gradients still flow to the input image.
class FeatureExtractor {
 public:
  /// The 37 canonical layer names, in order: conv1_1, relu1_1, conv1_2, …, relu5_4, pool5.
  static const std::vector<std::string>& layer_names();

  /// Position of `name` in `layer_names()`, or -1 if it is not a VGG19 layer name.
  static int layer_index(const std::string& name);

  /// Loads and checks a model from its TorchScript file's bytes, putting its weights on
  /// `device`; `path` names the file in messages. Throws `nst::Error(kModelInvalid)` naming the
  /// file and what is wrong with it. (The engine reads no files: `load_model` in model_file.h
  /// reads one, or a stream, and calls this.)
  static FeatureExtractor load_bytes(const std::vector<unsigned char>& bytes,
                                     const std::string& path, torch::Device device);

  /// As `load_bytes`, reading the file through `reader` where LibTorch's loader asks for its
  /// parts: the weights are copied once, into their tensors.
  static FeatureExtractor load(std::shared_ptr<caffe2::serialize::ReadAdapterInterface> reader,
                               const std::string& path, torch::Device device);
  /// The type `extract` returns feature maps in.
  enum class Output {
    kFloat32,    ///< float32, whatever the layers computed in
    kLayerType,  ///< the type the layers computed in: no full-size float32 copy of each map
  };

  /// Runs `rgb255` ([1, 3, H, W], RGB, 0..255) through the network only as deep as the deepest
  /// of `layers` and returns the feature map of each requested layer by name. With `precision`
  /// kBFloat16 or kHalf the layers compute in that type; the input stays float32, the maps are
  /// returned as `output` says, and gradients flow through the casts. `stop` is asked between
  /// layers (a large image's pass takes seconds), throwing `nst::Stopped`.
  std::map<std::string, torch::Tensor> extract(const torch::Tensor& rgb255,
                                               const std::vector<std::string>& layers,
                                               torch::ScalarType precision = torch::kFloat32,
                                               Output output = Output::kFloat32,
                                               const StopRequested& stop = {}) const;

  /// A copy of this extractor (sharing its weights) whose pools work as `pooling` says. For
  /// `Pooling::kAverage` each pool's output is multiplied by a gain measured once here, on a
  /// fixed synthetic image with natural-image-like smoothness: the ratio of the mean of max
  /// pooling's output to average pooling's, each pool measured with the earlier ones already
  /// averaging. Style and content weights tuned for max pooling then stay meaningful.
  FeatureExtractor with_pooling(Pooling pooling) const;

  /// How the pools downsample.
  Pooling pooling() const { return pooling_; }

  /// The gain of each of the five pools (all 1 for max pooling).
  std::vector<double> pool_gains() const;

  /// The types `extract` can compute in on this extractor's device: float32 everywhere,
  /// bfloat16 on the CPU, and half and bfloat16 on CUDA; float64 everywhere too, for checks
  /// that need its precision (no option of a run chooses it).
  bool supports(torch::ScalarType precision) const;

  /// Index of the deepest of `layers` (the last layer `extract` would run).
  static int deepest_layer(const std::vector<std::string>& layers);

  /// Fewest pixels an image needs on each side to reach the deepest of `layers`: each pool
  /// before it halves the size, and a side may not drop below one pixel.
  static int64_t min_input_side(const std::vector<std::string>& layers);

  /// How many activation values a pass as deep as the deepest of `layers` makes on a
  /// `height`×`width` input, summed over every layer on the way (what autograd holds on to).
  static int64_t activation_count(const std::vector<std::string>& layers, int64_t height,
                                  int64_t width);

  /// The input convention read from the model file.
  const InputConvention& input_convention() const { return convention_; }

  /// Device the weights live on.
  torch::Device device() const { return device_; }

  /// The model file this was loaded from.
  const std::string& path() const { return path_; }

 private:
  enum class Kind { kConv, kRelu, kPool };
  struct Layer {
    Layer() = default;
    explicit Layer(Kind k) : kind(k) {}
    Kind kind = Kind::kConv;
    torch::Tensor weight;  // convolutions only
    torch::Tensor bias;    // convolutions only
    double pool_gain = 1;  // pools only: multiplies average pooling's output
  };
  // The convolutions' (weight, bias) in a lower precision, by layer index.
  using LayerWeights = std::vector<std::pair<torch::Tensor, torch::Tensor>>;
  // Those in each lower precision, made on its first use and shared by copies (the weights
  // are the same): most runs use float32 alone, and converting VGG19's 20 M weights at every
  // load would cost each run about 40 MB of fresh memory and a tenth of a second.
  struct LowPrecisionWeights;

  FeatureExtractor(std::string path, torch::Device device)
      : path_(std::move(path)), device_(device) {}

  torch::Tensor normalise(const torch::Tensor& rgb255) const;
  // One layer's forward pass, in `precision` (the layer's weights in that type).
  torch::Tensor apply(size_t index, const torch::Tensor& x, torch::ScalarType precision) const;
  // The convolutions' weights in `precision` (not float32), converted on the first call.
  const LayerWeights& weights_in(torch::ScalarType precision) const;

  std::string path_;
  torch::Device device_;
  InputConvention convention_;
  Pooling pooling_ = Pooling::kMax;
  torch::Tensor mean_;  // [1, 3, 1, 1] on device_
  torch::Tensor std_;   // [1, 3, 1, 1] on device_
  std::vector<Layer> layers_;
  std::shared_ptr<LowPrecisionWeights> low_precision_;
};

}  // namespace nst
