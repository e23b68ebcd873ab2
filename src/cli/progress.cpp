#include "cli/progress.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace nst::cli {
namespace {

constexpr int kBarWidth = 30;
constexpr double kRedrawSeconds = 0.1;  // a faster redraw only flickers

}  // namespace

std::string format_duration(double seconds) {
  const auto total = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  const long long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  return h > 0 ? fmt::format("{}:{:02}:{:02}", h, m, s) : fmt::format("{}:{:02}", m, s);
}

ProgressDisplay::ProgressDisplay(bool quiet, int print_every, int64_t iterations)
    : quiet_(quiet),
      terminal_(isatty(STDERR_FILENO) == 1),
      print_every_(print_every > 0 ? print_every : std::max<int64_t>(1, iterations / 10)) {}

ProgressDisplay::~ProgressDisplay() {
  finish();
}

void ProgressDisplay::update(const ProgressEvent& e) {
  if (quiet_) return;
  const double per_iteration = e.elapsed_seconds / static_cast<double>(e.iteration);
  const double eta = per_iteration * static_cast<double>(e.iterations - e.iteration);
  if (!terminal_) {
    if (e.iteration % print_every_ == 0 || e.iteration == e.iterations) {
      spdlog::info(
          "iteration {}/{}: loss {:.4g} (content {:.4g}, style {:.4g}), {:.3f} s/it, ETA {}",
          e.iteration, e.iterations, e.loss, e.content_loss, e.style_loss, per_iteration,
          format_duration(eta));
    }
    return;
  }
  const bool last = e.iteration == e.iterations;
  if (!last && last_drawn_ >= 0 && e.elapsed_seconds - last_drawn_ < kRedrawSeconds) return;
  last_drawn_ = e.elapsed_seconds;
  const double fraction = static_cast<double>(e.iteration) / static_cast<double>(e.iterations);
  const int filled = static_cast<int>(fraction * kBarWidth);
  std::fprintf(stderr, "\r%3d%% [%s%s] %lld/%lld  loss %.4g  %.2f s/it  ETA %s \x1b[K",
               static_cast<int>(fraction * 100), std::string(filled, '#').c_str(),
               std::string(kBarWidth - filled, '.').c_str(), static_cast<long long>(e.iteration),
               static_cast<long long>(e.iterations), e.loss, per_iteration,
               format_duration(eta).c_str());
  std::fflush(stderr);
  bar_open_ = true;
}

void ProgressDisplay::finish() {
  if (bar_open_) {
    std::fputc('\n', stderr);
    bar_open_ = false;
  }
}

}  // namespace nst::cli
