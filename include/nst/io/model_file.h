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

/// Reads the model at `path` (`read_model_bytes`) and loads and checks it
/// (`FeatureExtractor::load_bytes`), putting its weights on `device`.
FeatureExtractor load_model(const std::string& path, torch::Device device,
                            const StopRequested& stop = {});

}  // namespace nst
