#include "nst/cli/stop_deadline.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "nst/cli/exit_codes.h"
#include "nst/cli/signals.h"
#include "nst/engine/error.h"
#include "nst/io/atomic_file.h"
#include "nst/report/gallery.h"
#include "nst/report/json_text.h"

namespace nst::cli {
namespace {

// How often the watch looks at the signal and the run.
constexpr std::chrono::milliseconds kLook{20};

}  // namespace

StopDeadline::StopDeadline(std::string report, std::string gallery, bool json)
    : report_(std::move(report)), gallery_(std::move(gallery)), json_(json) {
  watcher_ = std::thread([this] { watch(); });
}

StopDeadline::~StopDeadline() {
  finish();
  watcher_.join();
}

void StopDeadline::set_phase(const std::string& phase) {
  const std::lock_guard<std::mutex> lock(mutex_);
  phase_ = phase;
}

void StopDeadline::set_run(const RunInfo& info, const std::vector<JobResult>& jobs) {
  const std::lock_guard<std::mutex> lock(mutex_);
  info_ = info;
  jobs_ = jobs;
}

void StopDeadline::forward_to(BatchListener* display) {
  display_ = display;
}

void StopDeadline::finish() {
  const std::lock_guard<std::mutex> lock(mutex_);
  finished_ = true;
  wake_.notify_all();
}

void StopDeadline::job_started(const Job& job, size_t position, size_t total) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    current_ = position;
    phase_ = "preparing job " + std::to_string(position) + " of " + std::to_string(total) +
             " (reading its images, computing its style's targets)";
  }
  if (display_) display_->job_started(job, position, total);
}

void StopDeadline::job_planned(const Job& job, const MemoryPlan& plan, const MemoryBudget& budget) {
  if (display_) display_->job_planned(job, plan, budget);
}

void StopDeadline::job_resumed(const Job& job, int64_t iteration) {
  if (display_) display_->job_resumed(job, iteration);
}

void StopDeadline::optimisation_started(const Job& job) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    optimising_ = true;
  }
  if (display_) display_->optimisation_started(job);
}

void StopDeadline::iteration(const Job& job, const ProgressEvent& event) {
  if (display_) display_->iteration(job, event);
}

void StopDeadline::optimisation_ended(const Job& job) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    optimising_ = false;
    phase_ = "writing job " + std::to_string(current_) + "'s result";
  }
  if (display_) display_->optimisation_ended(job);
}

void StopDeadline::job_finished(const JobResult& result) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (current_ >= 1 && current_ <= jobs_.size()) jobs_[current_ - 1] = result;
    current_ = 0;
    phase_ = "between jobs";
  }
  if (display_) display_->job_finished(result);
}

void StopDeadline::watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  Clock::time_point deadline = Clock::time_point::max();
  while (!finished_) {
    wake_.wait_for(lock, kLook, [this] { return finished_; });
    if (finished_) return;
    const int signal = interrupt_signal();
    if (signal == 0) continue;
    const auto now = Clock::now();
    // A step ends when it ends; the grace counts from the signal or from the step's end.
    if (optimising_ || deadline == Clock::time_point::max()) deadline = now + kGrace;
    if (!optimising_ && now >= deadline) end_now(signal);
  }
}

// Called with the mutex held: the run cannot finish on its own meanwhile.
void StopDeadline::end_now(int signal) {
  const int exit_code = signal == SIGTERM ? kExitTerminated : kExitInterrupted;
  const std::string what = "stopped at once while " + phase_ + ": the run did not end within " +
                           std::to_string(kGrace.count()) + " ms of the signal";
  // The temporary file of a write in progress goes first: nothing half-written stays.
  remove_pending_temporary_file();
  RunInfo info = info_;
  info.status = "interrupted";
  info.exit_code = exit_code;
  info.error = what;
  info.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  if (current_ >= 1 && current_ <= jobs_.size()) {
    jobs_[current_ - 1].status = JobStatus::kInterrupted;
    jobs_[current_ - 1].reason = "stopped at once while " + phase_ + "; nothing written";
  }
  std::string notes;
  if (!report_.empty()) {
    try {
      write_report(report_, info, jobs_);
      notes += "; report '" + report_ + "'";
    } catch (const std::exception& error) {
      notes += std::string("; ") + error.what();
    }
  }
  if (!gallery_.empty()) {
    try {
      write_gallery(gallery_, info, jobs_, kGalleryPictureTime);
      notes += "; gallery '" + gallery_ + "'";
    } catch (const std::exception& error) {
      notes += std::string("; ") + error.what();
    }
  }
  const std::string message = what + notes;
  const std::string line =
      json_ ? json_text({{"event", "log"}, {"level", "warning"}, {"message", message}}) + "\n"
            : "nst: " + message + "\n";
  [[maybe_unused]] const ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  _exit(exit_code);
}

}  // namespace nst::cli
