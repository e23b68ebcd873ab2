#pragma once

#include <optional>
#include <string>
#include <vector>

#include "nst/batch/runner.h"
#include "nst/engine/options.h"
#include "nst/video/clip_painter.h"

namespace nst {

/// Everything about a run that is not a job: what ran, on what, with which settings, and how
/// it ended.
struct RunInfo {
  std::string tool_version;
  std::string model_path;
  std::string model_sha256;
  std::string device;              ///< "cpu" or "cuda:0"
  std::string precision = "fp32";  ///< arithmetic of the network
  int threads = 0;
  StyleTransferOptions options;
  BatchOptions batch;
  std::string shard;       ///< "I/N", or empty for the whole batch
  std::string started_at;  ///< UTC, ISO 8601
  double seconds = 0;      ///< wall time of the run so far
  std::string status;      ///< "done", "failed" (some jobs), "error" (nothing ran), "interrupted"
  std::string error;       ///< what stopped the run, for "error"
  int exit_code = 0;
  std::optional<ClipSummary> clip;  ///< a clip's run: the clip, each job one of its frames
};

/// The run as one JSON document: the run's fields, the effective options, and one entry per
/// job (inputs with sizes and hashes, output, seed, status and reason, per-scale losses,
/// iterations, wall time, peak memory), with counts per status.
std::string report_json(const RunInfo& run, const std::vector<JobResult>& jobs);

/// `options` as the report's "options" object: one line of JSON.
std::string options_json_text(const StyleTransferOptions& options);

/// Writes `report_json` to `path` atomically. Throws `nst::Error(kReportWrite)`.
void write_report(const std::string& path, const RunInfo& run, const std::vector<JobResult>& jobs);

/// The current time in UTC as ISO 8601, e.g. "2026-11-29T05:14:12Z".
std::string utc_timestamp();

}  // namespace nst
