#include "nst/batch/checkpoint.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "nst/engine/settings.h"
#include "nst/io/atomic_file.h"
#include "nst/io/file_info.h"

namespace nst {
namespace fs = std::filesystem;
namespace {

constexpr const char* kHeader = "nst checkpoint 1";

// A file as a key sees it: a changed file (size or time) is another input.
std::string file_identity(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return path + " (unreadable)";
  const auto time = fs::last_write_time(path, ec);
  const auto ticks = ec ? 0 : time.time_since_epoch().count();
  return path + " " + std::to_string(size) + " " + std::to_string(ticks);
}

}  // namespace

std::string checkpoint_path(const std::string& output) {
  const fs::path path(output);
  return (path.parent_path() / (path.stem().string() + ".partial.json")).string();
}

std::string job_key(const Job& job, const StyleTransferOptions& options,
                    const std::string& init_image) {
  std::ostringstream text;
  text << "content " << file_identity(job.content) << "\n";
  if (job.blend.empty()) {
    text << "style " << file_identity(job.style) << "\n";
  } else {
    for (size_t i = 0; i < job.blend.size(); ++i) {
      text << "style " << file_identity(job.blend[i]) << " weight " << job.blend_weights[i] << "\n";
    }
  }
  if (!init_image.empty()) text << "init " << file_identity(init_image) << "\n";
  for (const auto& setting : settings()) {
    text << setting.key << " " << to_text(setting.get(options)) << "\n";
  }
  const std::string key = text.str();
  return sha256_bytes(std::vector<unsigned char>(key.begin(), key.end()));
}

void write_checkpoint(const std::string& output, const Checkpoint& checkpoint) {
  std::ostringstream text;
  text << kHeader << "\niteration " << checkpoint.iteration << "\niterations "
       << checkpoint.iterations << "\njob " << checkpoint.job_key << "\n";
  write_file_atomically(checkpoint_path(output), text.str(), ErrorCode::kImageWrite, "checkpoint");
}

std::optional<Checkpoint> read_checkpoint(const std::string& output) {
  std::ifstream in(checkpoint_path(output));
  if (!in) return std::nullopt;
  std::string header, word;
  Checkpoint checkpoint;
  if (!std::getline(in, header) || header != kHeader) return std::nullopt;
  if (!(in >> word) || word != "iteration" || !(in >> checkpoint.iteration)) return std::nullopt;
  if (!(in >> word) || word != "iterations" || !(in >> checkpoint.iterations)) {
    return std::nullopt;
  }
  if (!(in >> word) || word != "job" || !(in >> checkpoint.job_key)) return std::nullopt;
  if (checkpoint.iteration < 0 || checkpoint.iteration > checkpoint.iterations) {
    return std::nullopt;
  }
  return checkpoint;
}

void remove_partial(const std::string& output) {
  std::error_code ignored;
  fs::remove(partial_path(output), ignored);
  fs::remove(checkpoint_path(output), ignored);
}

}  // namespace nst
