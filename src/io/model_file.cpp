#include "nst/io/model_file.h"

#include "nst/engine/error.h"
#include "nst/io/read_bytes.h"

namespace nst {
namespace {

// A model file read where LibTorch's loader asks: its weights are then copied once, into their
// tensors. Read whole first, an 80 MB file would cost each run its size again in fresh memory,
// whose page faults take a third of a second on some virtual machines.
class ModelFileReader : public caffe2::serialize::ReadAdapterInterface {
 public:
  explicit ModelFileReader(const std::string& path)
      : file_(path, "model", ErrorCode::kModelInvalid) {}
  size_t size() const override { return static_cast<size_t>(file_.size()); }
  size_t read(uint64_t position, void* buffer, size_t count,
              const char* /*what*/ = "") const override {
    return file_.read_at(static_cast<int64_t>(position), buffer, count);
  }

 private:
  RegularFile file_;
};

}  // namespace

std::vector<unsigned char> read_model_bytes(const std::string& path, const StopRequested& stop) {
  return read_bytes(path, 0, "model", ErrorCode::kModelInvalid, stop);
}

FeatureExtractor load_model(const std::string& path, torch::Device device,
                            const StopRequested& stop) {
  if (is_stream(path))
    return FeatureExtractor::load_bytes(read_model_bytes(path, stop), path, device);
  stop_if_requested(stop, "loading the model '" + path + "'");
  return FeatureExtractor::load(std::make_shared<ModelFileReader>(path), path, device);
}

}  // namespace nst
