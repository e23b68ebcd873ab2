#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nst/batch/batch.h"
#include "nst/engine/transfer.h"

namespace nst {

/// What became of a job.
enum class JobStatus {
  kPending,      ///< not run (the batch stopped before it)
  kDone,         ///< finished and written
  kSkipped,      ///< not run: its output existed and skipping was asked for
  kFailed,       ///< could not be done; `reason` says why, nothing was written
  kCutShort,     ///< stopped by the time limit; its result so far was written as the output
  kInterrupted,  ///< stopped by an interrupt; its result so far was written as `.partial`
};

/// "pending", "done", "skipped", "failed", "cut short", "interrupted".
const char* to_string(JobStatus status);

/// An input image as a job used it.
struct InputInfo {
  std::string path;
  std::string sha256;  ///< empty unless hashing was asked for
  int64_t bytes = -1;  ///< file size
  int64_t width = 0;   ///< after resizing, as the network saw it
  int64_t height = 0;
};

/// The losses of a job's image at one step, as the progress display shows them.
struct LossPoint {
  int64_t iteration = 0;    ///< 1-based step, over all scales
  double loss = 0;          ///< weighted total loss of the image before that step
  double content_loss = 0;  ///< unweighted content loss
  double style_loss = 0;    ///< unweighted style loss (layer weights applied)
};

/// The outcome of one job.
struct JobResult {
  Job job;
  JobStatus status = JobStatus::kPending;
  std::string reason;   ///< why it failed, was skipped or was cut short
  std::string written;  ///< the file written (output or `.partial`), if any
  InputInfo content;
  InputInfo style;
  std::vector<ScaleOutcome> scales;  ///< losses and steps per scale
  /// The losses every `BatchOptions::loss_every` steps and at the last step taken.
  std::vector<LossPoint> losses;
  int64_t iterations = 0;           ///< steps over all scales, those of a resumed run included
  int64_t resumed_from = 0;         ///< the step an earlier run had reached; 0 from the start
  double seconds = 0;               ///< wall time of the whole job, loading and saving included
  double optimisation_seconds = 0;  ///< wall time of the optimisation alone
  int64_t peak_memory_bytes = 0;    ///< peak resident memory of the process during the job
  /// How the job was planned before it started: whole or in tiles, its estimated peak memory
  /// and the budget it was planned in (unset for a job that failed before).
  std::optional<MemoryPlan> memory_plan;
  MemoryBudget memory_budget;
  /// On CUDA, the most device memory in use at the end of any step of the job, all processes
  /// counted (LibTorch's cache included); -1 on the CPU or where the driver cannot say.
  int64_t peak_device_memory_bytes = -1;
};

}  // namespace nst
