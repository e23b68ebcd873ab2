#pragma once

#include <string>
#include <vector>

#include "nst/batch/job_result.h"
#include "nst/cli/arguments.h"
#include "nst/cli/stop_deadline.h"
#include "nst/engine/stop.h"
#include "nst/engine/vgg.h"
#include "nst/report/report.h"

// Steps that every kind of run takes: a batch of stills and a clip.
namespace nst::cli {

/// Sets LibTorch's threads to --threads, or to as many as the CPUs this process may use (its
/// affinity, under a cgroup's quota). Returns the number set.
int set_threads(int requested);

/// The exit code of a run whose jobs ended as `results`: a signal's, 2 when some failed, else 0.
int exit_code_of(const std::vector<JobResult>& results);

/// Chooses the device and threads, finds the model and loads it (hashing it when a report is
/// asked for), noting each in `info` and each phase in `deadline`.
FeatureExtractor load_run_model(const CliOptions& cli, RunInfo& info, StopDeadline& deadline,
                                const std::vector<JobResult>& results,
                                const std::string& executable, const StopRequested& stop);

}  // namespace nst::cli
