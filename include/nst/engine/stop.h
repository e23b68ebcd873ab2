#pragma once

#include <functional>
#include <string>

#include "nst/engine/error.h"

namespace nst {

/// Asked by long work at points where it can end without harm (between reads of a stream,
/// between folder entries, between layers of a forward pass), at least ten times a second
/// while it waits: true means "end now". An empty function never asks to stop.
using StopRequested = std::function<bool()>;

/// Thrown by work that ended because `StopRequested` said so; the message says what it was
/// doing, e.g. "stopped while reading image 'fifo.jpg'". The optimisation loop does not
/// throw it: it stops at the end of a step and returns what it has.
class Stopped : public Error {
 public:
  explicit Stopped(const std::string& doing)
      : Error(ErrorCode::kStopped, "stopped while " + doing) {}
};

/// Throws `Stopped` (saying what was being done) when `stop` asks to stop.
inline void stop_if_requested(const StopRequested& stop, const std::string& doing) {
  if (stop && stop()) throw Stopped(doing);
}

}  // namespace nst
