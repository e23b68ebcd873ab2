#include "nst/io/model_file.h"

#include "nst/engine/error.h"
#include "nst/io/read_bytes.h"

namespace nst {

std::vector<unsigned char> read_model_bytes(const std::string& path, const StopRequested& stop) {
  return read_bytes(path, 0, "model", ErrorCode::kModelInvalid, stop);
}

FeatureExtractor load_model(const std::string& path, torch::Device device,
                            const StopRequested& stop) {
  return FeatureExtractor::load_bytes(read_model_bytes(path, stop), path, device);
}

}  // namespace nst
