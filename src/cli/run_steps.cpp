#include "nst/cli/run_steps.h"

#include <spdlog/spdlog.h>
#include <torch/utils.h>

#include <csignal>

#include "nst/cli/exit_codes.h"
#include "nst/cli/model_lookup.h"
#include "nst/cli/signals.h"
#include "nst/engine/blas_kernels.h"
#include "nst/engine/device.h"
#include "nst/engine/system_limits.h"
#include "nst/io/file_info.h"
#include "nst/io/model_file.h"
#include "nst/io/read_bytes.h"

namespace nst::cli {
namespace {

// Loads the model, hashing it for the report: a stream is read once, hashed while in memory
// (`stop` can end a read that waits); a regular file is hashed as it is read in slices, and
// loaded where the loader asks (`load_model`).
FeatureExtractor load_and_hash_model(const std::string& path, torch::Device device, bool hash,
                                     RunInfo& info, const StopRequested& stop) {
  if (is_stream(path)) {
    const auto bytes = read_model_bytes(path, stop);
    if (hash) info.model_sha256 = sha256_bytes(bytes);
    return FeatureExtractor::load_bytes(bytes, path, device);
  }
  auto extractor = load_model(path, device, stop);
  if (hash) info.model_sha256 = sha256_file(path);
  return extractor;
}

}  // namespace

// A thread per host core in a job given four would only queue for them.
int set_threads(int requested) {
  int threads = requested;
  if (requested > 0) {
    spdlog::debug("threads: {} (--threads)", threads);
  } else {
    const CpuBudget budget = usable_cpus();
    threads = budget.cpus;
    spdlog::debug("threads: {} ({})", threads, budget.source);
  }
  // LibTorch starts with one intra-op thread on some builds; the caller's choice must win.
  torch::set_num_threads(threads);
  return threads;
}

int exit_code_of(const std::vector<JobResult>& results) {
  if (const int signal = interrupt_signal(); signal != 0) {
    return signal == SIGTERM ? kExitTerminated : kExitInterrupted;
  }
  for (const auto& r : results) {
    if (r.status == JobStatus::kFailed) return kExitSomeFailed;
  }
  return kExitSuccess;
}

FeatureExtractor load_run_model(const CliOptions& cli, RunInfo& info, StopDeadline& deadline,
                                const std::vector<JobResult>& results,
                                const std::string& executable, const StopRequested& stop) {
  const torch::Device device = parse_device(cli.device);
  info.threads = set_threads(cli.threads);
  info.device = device.str();
  const std::string model_path = find_model(cli.model, executable);
  info.model_path = model_path;
  deadline.set_run(info, results);
  deadline.set_phase("loading the model");
  auto extractor = load_and_hash_model(model_path, device, !cli.report.empty(), info, stop);
  spdlog::debug("model '{}' on {}, {} threads", model_path, info.device, info.threads);
  const std::string blas_core = openblas_core();
  spdlog::debug("BLAS: {}",
                blas_core.empty() ? "not OpenBLAS" : "OpenBLAS with " + blas_core + " kernels");
  return extractor;
}

}  // namespace nst::cli
