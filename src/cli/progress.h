#pragma once

#include <cstdint>
#include <string>

#include "nst/transfer.h"

namespace nst::cli {

/// Shows the optimisation's progress on stderr: a redrawn bar with iteration, loss and ETA
/// when stderr is a terminal, otherwise a log line every `print_every` iterations.
class ProgressDisplay {
 public:
  /// `print_every` 0 means about every tenth of the run.
  ProgressDisplay(bool quiet, int print_every, int64_t iterations);
  ~ProgressDisplay();

  /// Shows one event.
  void update(const ProgressEvent& event);

  /// Ends the bar's line, if one is drawn.
  void finish();

 private:
  bool quiet_;
  bool terminal_;
  int64_t print_every_;
  double last_drawn_ = -1;
  bool bar_open_ = false;
};

/// "1:02:03" or "2:03": seconds as a clock reading.
std::string format_duration(double seconds);

}  // namespace nst::cli
