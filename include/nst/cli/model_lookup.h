#pragma once

#include <string>
#include <vector>

namespace nst::cli {

/// Places `find_model` looks at, in order, when no `--model` is given: `$NST_MODEL`, then
/// `models/vgg19.pt` under the executable's install prefix (share/nst/models and models), then
/// in the source tree the executable was built from.
std::vector<std::string> model_candidates(const std::string& executable);

/// The model file to load: `explicit_path` if given (it must exist), else the first existing
/// candidate. Throws `nst::Error(kModelNotFound)` listing where it looked and how to export one.
std::string find_model(const std::string& explicit_path, const std::string& executable);

}  // namespace nst::cli
