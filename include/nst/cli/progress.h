#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "nst/batch/runner.h"
#include "nst/engine/named_values.h"

namespace nst::cli {

/// How progress is shown on stderr.
enum class ProgressMode {
  kBar,    ///< a redrawn line: job k of n, iteration, loss, batch ETA (terminals)
  kPlain,  ///< a log line every N iterations (logs, CI)
  kJson,   ///< one JSON object per line and event, for programs to follow
  kNone,   ///< nothing but errors
  kAuto,   ///< as asked for: a bar on a terminal, else plain (see `pick_progress_mode`)
};

}  // namespace nst::cli

namespace nst {
template <>
struct EnumNames<cli::ProgressMode> {
  static constexpr NamedValue<cli::ProgressMode> values[] = {{cli::ProgressMode::kAuto, "auto"},
                                                             {cli::ProgressMode::kBar, "bar"},
                                                             {cli::ProgressMode::kPlain, "plain"},
                                                             {cli::ProgressMode::kJson, "json"},
                                                             {cli::ProgressMode::kNone, "none"}};
};
}  // namespace nst

namespace nst::cli {

/// `--progress` as a mode: `auto` is a bar on a terminal and plain lines elsewhere; quiet
/// turns bars and plain lines off (json stays, it is for programs).
ProgressMode pick_progress_mode(const std::string& requested, bool quiet);

/// How the run ended, for the last progress event.
struct RunSummary {
  std::map<std::string, int> counts;  ///< status → number of jobs
  double seconds = 0;
  int exit_code = 0;
  std::string status;  ///< as in the report
  std::string report;  ///< report path, if any
};

/// Shows a batch's progress; one implementation per mode.
class ProgressDisplay : public BatchListener {
 public:
  /// The plain and json displays show a step every `print_every` iterations; 0: each time
  /// a job's work (steps weighed by their scale's pixels) passes another tenth.
  static std::unique_ptr<ProgressDisplay> create(ProgressMode mode, int print_every);

  /// The run is over.
  virtual void run_finished(const RunSummary& summary) = 0;
};

/// "1:02:03" or "2:03": seconds as a clock reading.
std::string format_duration(double seconds);

}  // namespace nst::cli
