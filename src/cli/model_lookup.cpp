#include "nst/cli/model_lookup.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "nst/engine/error.h"

namespace nst::cli {
namespace fs = std::filesystem;
namespace {

constexpr const char* kExportHint =
    "export one with: scripts/export_vgg19.py -o models/vgg19.pt (ImageNet weights, needs "
    "network access), or pass --model FILE";

// A regular file, or a FIFO (--model <(…) streams one in).
bool is_file(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  return fs::is_regular_file(status) || status.type() == fs::file_type::fifo;
}

}  // namespace

std::vector<std::string> model_candidates(const std::string& executable) {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("NST_MODEL"); env && *env) candidates.emplace_back(env);
  std::error_code ec;
  fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (ec) exe = fs::absolute(executable, ec);
  const fs::path prefix = exe.parent_path().parent_path();
  for (const fs::path& candidate :
       {prefix / "share/nst/models/vgg19.pt", prefix / "models/vgg19.pt",
        fs::path(NST_SOURCE_DIR) / "models/vgg19.pt"}) {
    // A build folder inside the source tree makes two of these the same file.
    const std::string path = candidate.lexically_normal().string();
    if (std::find(candidates.begin(), candidates.end(), path) == candidates.end()) {
      candidates.push_back(path);
    }
  }
  return candidates;
}

std::string find_model(const std::string& explicit_path, const std::string& executable) {
  if (!explicit_path.empty()) {
    if (!is_file(explicit_path)) {
      throw Error(ErrorCode::kModelNotFound,
                  "model '" + explicit_path + "' does not exist or is not a file; " + kExportHint);
    }
    return explicit_path;
  }
  const auto candidates = model_candidates(executable);
  if (const char* env = std::getenv("NST_MODEL"); env && *env && !is_file(env)) {
    throw Error(
        ErrorCode::kModelNotFound,
        std::string("model '") + env + "' (from $NST_MODEL) does not exist or is not a file");
  }
  for (const auto& candidate : candidates) {
    if (is_file(candidate)) return candidate;
  }
  std::string looked;
  for (const auto& candidate : candidates)
    looked += (looked.empty() ? "'" : ", '") + candidate + "'";
  throw Error(ErrorCode::kModelNotFound,
              "no VGG19 model found; looked at " + looked + "; " + kExportHint);
}

}  // namespace nst::cli
