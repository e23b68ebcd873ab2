#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nst/batch/runner.h"
#include "nst/report/report.h"

namespace nst::cli {

/// Keeps the promise that SIGINT or SIGTERM ends a run within a second in every phase.
///
/// The run itself asks `interrupt_signal` wherever it waits (streams, pipes, folder scans,
/// between the network's layers) and ends on its own, writing its report as usual. Some
/// single calls cannot be asked in the middle: decoding a huge image, one layer of the network
/// on a huge one, deserialising the model. So a thread watches: once a signal has come and the
/// run has not ended `kGrace` later, it writes the report and the gallery from the last
/// snapshot of the run (the current job marked interrupted, saying what the run was doing),
/// removes any temporary file being written, and exits with 130 or 143. The gallery's pictures
/// get `kGalleryPictureTime` and the contact sheet is left out, to keep the promise. An
/// optimisation step is the exception: it stops at its end, however long that takes, and the
/// image it made is written whole (the `.partial`, or the output after the last step) before
/// the grace starts (`BatchListener::optimisation_ended`).
///
/// It is also the batch's listener, forwarding every event to the display while keeping the
/// snapshot of each job's result.
class StopDeadline : public BatchListener {
 public:
  /// How long the run gets to end on its own after a signal (or after its optimisation step).
  static constexpr std::chrono::milliseconds kGrace{400};
  /// How long the gallery of a run ended at once may spend reading pictures.
  static constexpr double kGalleryPictureTime = 0.15;

  /// `report` and `gallery` may be empty (none); `json` makes the notice a JSON log line.
  StopDeadline(std::string report, std::string gallery, bool json);
  ~StopDeadline() override;
  StopDeadline(const StopDeadline&) = delete;
  StopDeadline& operator=(const StopDeadline&) = delete;

  /// What the run is doing now, for the report's error and the notice ("reading the model").
  void set_phase(const std::string& phase);
  /// The run's fields and its jobs (all pending) as they stand now.
  void set_run(const RunInfo& info, const std::vector<JobResult>& jobs);
  /// Events go to `display` from now on.
  void forward_to(BatchListener* display);

  /// The run is ending on its own: the watch is over. Returns once the watch can no longer
  /// take over (if it already has, the process is exiting and this never returns).
  void finish();

  void job_started(const Job& job, size_t position, size_t total) override;
  void job_planned(const Job& job, const MemoryPlan& plan, const MemoryBudget& budget) override;
  void job_resumed(const Job& job, int64_t iteration) override;
  void optimisation_started(const Job& job) override;
  void iteration(const Job& job, const ProgressEvent& event) override;
  void optimisation_ended(const Job& job) override;
  void job_finished(const JobResult& result) override;

 private:
  using Clock = std::chrono::steady_clock;
  void watch();
  [[noreturn]] void end_now(int signal);

  const std::string report_;
  const std::string gallery_;
  const bool json_;
  const Clock::time_point start_ = Clock::now();
  BatchListener* display_ = nullptr;

  std::mutex mutex_;  // guards everything below
  std::condition_variable wake_;
  bool finished_ = false;
  bool optimising_ = false;
  std::string phase_ = "starting";
  RunInfo info_;
  std::vector<JobResult> jobs_;
  size_t current_ = 0;  // position of the job under way, from 1; 0 for none
  std::thread watcher_;
};

}  // namespace nst::cli
