#include "nst/cli/progress.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "nst/report/json_text.h"

namespace nst::cli {
namespace {

constexpr int kBarWidth = 24;
constexpr double kRedrawSeconds = 0.1;  // a faster redraw only flickers

// Remaining time of the whole run from the pace so far. Within a job, the pace is that of its
// work (steps weighed by their scale's pixels and tiles, `ProgressEvent::work_done`), so that a
// coarse-to-fine job's cheap first scales do not make its ETA too short; jobs still to come are
// expected to take as long as the jobs so far. Completed jobs count as whole jobs whatever
// became of them, so skipped and failed jobs shorten the estimate.
class BatchClock {
 public:
  void job_started(size_t position, size_t total) {
    position_ = position;
    total_ = total;
  }
  void iteration(const ProgressEvent& e) {
    if (first_event_) {
      // A resumed job's earlier steps were not timed here.
      first_iteration_ = e.iteration - 1;
      first_event_ = false;
    }
    current_iterations_ = e.iteration;
    current_seconds_ = e.elapsed_seconds;
    work_done_ = e.work_done;
    work_at_start_ = e.work_at_start;
  }
  void job_finished() {
    finished_iterations_ += current_iterations_ - first_iteration_;
    finished_seconds_ += current_seconds_;
    finished_jobs_ += 1;
    current_iterations_ = 0;
    first_iteration_ = 0;
    first_event_ = true;
    current_seconds_ = 0;
    work_done_ = 0;
    work_at_start_ = 0;
  }
  double seconds_per_iteration() const {
    const int64_t done = finished_iterations_ + current_iterations_ - first_iteration_;
    return done > 0 ? (finished_seconds_ + current_seconds_) / static_cast<double>(done) : 0;
  }
  double job_eta() const {
    const double worked = work_done_ - work_at_start_;
    return worked > 0 ? current_seconds_ / worked * (1.0 - work_done_) : 0;
  }
  double batch_eta() const {
    // This job's whole time at its pace so far, averaged with the finished jobs'.
    const double worked = work_done_ - work_at_start_;
    const double current_job = worked > 0 ? current_seconds_ / worked : 0;
    const double per_job = (finished_seconds_ + current_job) / (finished_jobs_ + 1.0);
    return job_eta() + per_job * static_cast<double>(total_ - position_);
  }
  size_t position() const { return position_; }
  size_t total() const { return total_; }

 private:
  size_t position_ = 0;
  size_t total_ = 0;
  int64_t finished_iterations_ = 0;
  double finished_seconds_ = 0;
  double finished_jobs_ = 0;
  bool first_event_ = true;
  int64_t first_iteration_ = 0;
  int64_t current_iterations_ = 0;
  double current_seconds_ = 0;
  double work_done_ = 0;
  double work_at_start_ = 0;
};

std::string describe_end(const JobResult& r) {
  switch (r.status) {
    case JobStatus::kDone:
    case JobStatus::kCutShort: {
      if (r.scales.empty()) return fmt::format("wrote '{}' in {:.1f} s", r.written, r.seconds);
      const auto& s = r.scales.back();
      return fmt::format(
          "wrote '{}' ({}x{}) in {:.1f} s: {} iterations, loss {:.4g} (content {:.4g}, "
          "style {:.4g}){}",
          r.written, s.width, s.height, r.seconds, r.iterations, s.loss, s.content_loss,
          s.style_loss, r.status == JobStatus::kCutShort ? "; cut short: " + r.reason : "");
    }
    case JobStatus::kSkipped:
      return fmt::format("skipped '{}': {}", r.job.output, r.reason);
    case JobStatus::kInterrupted:
      return r.written.empty() ? fmt::format("{}; nothing written", r.reason)
                               : fmt::format("{}; wrote '{}'", r.reason, r.written);
    default:
      return fmt::format("failed: {}", r.reason);
  }
}

std::string describe_run(const RunSummary& s) {
  std::string counts;
  for (const auto& [status, count] : s.counts) {
    if (count > 0) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", count, status);
  }
  return fmt::format("{} in {}: {}{}", s.status, format_duration(s.seconds),
                     counts.empty() ? "no jobs" : counts,
                     s.report.empty() ? "" : "; report '" + s.report + "'");
}

// Which steps the plain and json displays show: every `every` iterations when --print-every
// gives it, else one each time the job's work passes another tenth. Work weighs each step by its
// scale's pixels (`ProgressEvent::work_done`), so a coarse-to-fine chain's lines come evenly in
// time, not all in its cheap first scales and then none for the hours of its last. A job's
// last step is always shown.
class StepSampler {
 public:
  explicit StepSampler(int64_t every) : every_(every) {}

  void job_started() { tenths_shown_ = 0; }

  bool due(const ProgressEvent& e) {
    if (e.iteration == e.iterations) return true;
    if (every_ > 0) return e.iteration % every_ == 0;
    // The small margin keeps a step that lands exactly on a tenth from being rounded below it.
    const int tenths = static_cast<int>(std::floor(std::clamp(e.work_done, 0.0, 1.0) * 10 + 1e-9));
    if (tenths <= tenths_shown_) return false;
    tenths_shown_ = tenths;
    return true;
  }

 private:
  int64_t every_;
  int tenths_shown_ = 0;
};

// Plain lines through the logger; also the base of the bar, which differs only in how it shows
// iterations.
class PlainDisplay : public ProgressDisplay {
 public:
  explicit PlainDisplay(int64_t print_every) : sampler_(print_every) {}

  void job_started(const Job& job, size_t position, size_t total) override {
    clock_.job_started(position, total);
    sampler_.job_started();
    if (total > 1) {
      spdlog::info("job {}/{}: '{}' x '{}' -> '{}'", position, total, job.content, job.style,
                   job.output);
    }
  }

  void job_planned(const Job&, const MemoryPlan& plan, const MemoryBudget& budget) override {
    // Whole images fit as they always did; tiles are worth a line.
    if (plan.tiled()) {
      spdlog::info("{}{}", prefix(), describe_plan(plan, budget));
    } else {
      spdlog::debug("{}{}", prefix(), describe_plan(plan, budget));
    }
  }

  void job_resumed(const Job& job, int64_t iteration) override {
    spdlog::info("{}resuming '{}' after iteration {}, from '{}'", prefix(), job.output, iteration,
                 partial_path(job.output));
  }

  void iteration(const Job&, const ProgressEvent& e) override {
    clock_.iteration(e);
    if (!sampler_.due(e)) return;
    spdlog::info(
        "{}iteration {}/{}: loss {:.4g} (content {:.4g}, style {:.4g}), {:.3f} s/it, ETA {}",
        prefix(), e.iteration, e.iterations, e.loss(), e.content_loss(), e.style_loss(),
        clock_.seconds_per_iteration(), format_duration(eta()));
  }

  void job_finished(const JobResult& r) override {
    clock_.job_finished();
    end_line();
    if (r.status == JobStatus::kFailed) {
      spdlog::error("{}{}", prefix(), describe_end(r));
    } else {
      spdlog::info("{}{}", prefix(), describe_end(r));
    }
  }

  void run_finished(const RunSummary& s) override {
    end_line();
    if (clock_.total() > 1 || s.counts.at("done") != 1) spdlog::info("{}", describe_run(s));
  }

 protected:
  virtual void end_line() {}
  std::string prefix() const {
    return clock_.total() > 1 ? fmt::format("job {}/{}: ", clock_.position(), clock_.total()) : "";
  }
  double eta() const { return clock_.total() > 1 ? clock_.batch_eta() : clock_.job_eta(); }

  BatchClock clock_;

 private:
  StepSampler sampler_;
};

class BarDisplay : public PlainDisplay {
 public:
  BarDisplay() : PlainDisplay(1) {}

  void job_started(const Job& job, size_t position, size_t total) override {
    PlainDisplay::job_started(job, position, total);
    last_drawn_ = -1;
  }

  void iteration(const Job&, const ProgressEvent& e) override {
    clock_.iteration(e);
    const bool last = e.iteration == e.iterations;
    if (!last && last_drawn_ >= 0 && e.elapsed_seconds - last_drawn_ < kRedrawSeconds) return;
    last_drawn_ = e.elapsed_seconds;
    const double fraction = std::clamp(e.work_done, 0.0, 1.0);
    const int filled = static_cast<int>(fraction * kBarWidth);
    std::fprintf(stderr, "\r%s[%s%s] %lld/%lld  loss %.4g  %.2f s/it  ETA %s \x1b[K",
                 prefix().c_str(), std::string(filled, '#').c_str(),
                 std::string(kBarWidth - filled, '.').c_str(), static_cast<long long>(e.iteration),
                 static_cast<long long>(e.iterations), e.loss(), clock_.seconds_per_iteration(),
                 format_duration(eta()).c_str());
    std::fflush(stderr);
    bar_open_ = true;
  }

 protected:
  void end_line() override {
    if (bar_open_) std::fputc('\n', stderr);
    bar_open_ = false;
  }

 private:
  double last_drawn_ = -1;
  bool bar_open_ = false;
};

class JsonDisplay : public ProgressDisplay {
 public:
  explicit JsonDisplay(int64_t print_every) : sampler_(print_every) {}

  void job_started(const Job& job, size_t position, size_t total) override {
    clock_.job_started(position, total);
    sampler_.job_started();
    emit({{"event", "job_start"},
          {"position", position},
          {"jobs", total},
          {"index", job.index},
          {"content", job.content},
          {"style", job.style},
          {"output", job.output}});
  }

  void iteration(const Job& job, const ProgressEvent& e) override {
    clock_.iteration(e);
    if (!sampler_.due(e)) return;
    emit({{"event", "iteration"},
          {"index", job.index},
          {"iteration", e.iteration},
          {"iterations", e.iterations},
          {"loss", e.loss()},
          {"content_loss", e.content_loss()},
          {"style_loss", e.style_loss()},
          {"elapsed_seconds", e.elapsed_seconds},
          {"eta_seconds", clock_.batch_eta()}});
  }

  void job_finished(const JobResult& r) override {
    clock_.job_finished();
    nlohmann::json event = {{"event", "job_end"},
                            {"index", r.job.index},
                            {"status", to_string(r.status)},
                            {"iterations", r.iterations},
                            {"seconds", r.seconds}};
    if (!r.written.empty()) event["written"] = r.written;
    if (!r.reason.empty()) event["reason"] = r.reason;
    if (!r.scales.empty()) event["loss"] = r.scales.back().loss;
    emit(event);
  }

  void run_finished(const RunSummary& s) override {
    nlohmann::json event = {{"event", "run_end"},
                            {"status", s.status},
                            {"exit_code", s.exit_code},
                            {"counts", s.counts},
                            {"seconds", s.seconds}};
    if (!s.report.empty()) event["report"] = s.report;
    emit(event);
  }

 private:
  static void emit(const nlohmann::json& event) {
    std::fprintf(stderr, "%s\n", json_text(event).c_str());
    std::fflush(stderr);
  }

  StepSampler sampler_;
  BatchClock clock_;
};

// Errors still reach the user through the logger; nothing else is shown.
class SilentDisplay : public ProgressDisplay {
 public:
  void job_finished(const JobResult& r) override {
    if (r.status == JobStatus::kFailed) spdlog::error("{}", describe_end(r));
  }
  void run_finished(const RunSummary&) override {}
};

}  // namespace

std::string format_duration(double seconds) {
  const auto total = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  const long long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  return h > 0 ? fmt::format("{}:{:02}:{:02}", h, m, s) : fmt::format("{}:{:02}", m, s);
}

ProgressMode pick_progress_mode(const std::string& requested, bool quiet) {
  const ProgressMode mode = value_named<ProgressMode>(requested).value_or(ProgressMode::kAuto);
  if (mode == ProgressMode::kJson) return mode;
  if (quiet) return ProgressMode::kNone;
  if (mode != ProgressMode::kAuto) return mode;
  return isatty(STDERR_FILENO) == 1 ? ProgressMode::kBar : ProgressMode::kPlain;
}

std::unique_ptr<ProgressDisplay> ProgressDisplay::create(ProgressMode mode, int print_every) {
  const int64_t every = print_every;
  switch (mode) {
    case ProgressMode::kBar:
      return std::make_unique<BarDisplay>();
    case ProgressMode::kPlain:
      return std::make_unique<PlainDisplay>(every);
    case ProgressMode::kJson:
      return std::make_unique<JsonDisplay>(every);
    case ProgressMode::kNone:
    case ProgressMode::kAuto:  // resolved by pick_progress_mode before
      break;
  }
  return std::make_unique<SilentDisplay>();
}

}  // namespace nst::cli
