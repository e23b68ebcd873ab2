#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "nst/engine/stop.h"
#include "nst/engine/vgg.h"

namespace nst {

/// The bytes of the model file at `path`: a regular file, or a stream (a FIFO, process
/// substitution, "-") read to its end by `read_bytes`, asking `stop` while it waits. Throws
/// `nst::Error(kModelInvalid)` naming the file and the problem, or `nst::Stopped`.
std::vector<unsigned char> read_model_bytes(const std::string& path,
                                            const StopRequested& stop = {});

/// Loads and checks the model at `path` (`FeatureExtractor::load`), putting its weights on
/// `device`: a regular file is read where the loader asks (the same checks and messages as
/// `read_model_bytes`), a stream through `read_model_bytes`.
FeatureExtractor load_model(const std::string& path, torch::Device device,
                            const StopRequested& stop = {});

}  // namespace nst
