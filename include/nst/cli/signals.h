#pragma once

#include <csignal>

namespace nst::cli {

/// Catches SIGINT (unless it was ignored when the program started) and SIGTERM from here on,
/// and lets through any that were held
/// (`InterruptsHeld`): the first asks the run to stop (see `interrupt_signal`); a second one
/// ends the process at once, removing any half-written temporary file. SIGPIPE is ignored, so
/// a closed pipe is a write error with a message rather than a silent death. Called before
/// the shared libraries' initialisers (through `.preinit_array`) and again first thing in
/// main(): a scheduler's SIGTERM may come at any moment, even while the program starts.
void install_interrupt_handlers();

/// With `json`, the notices printed on a signal are JSON log lines like every other line on
/// stderr.
void set_json_notices(bool json);

/// The signal that asked the run to stop, or 0 when none has.
int interrupt_signal();

/// Holds SIGINT and SIGTERM back (blocked, kept pending) while it lives. Across an exec() of
/// the program a pending signal stays pending, and the new image's
/// `install_interrupt_handlers` lets it through: none is lost or kills the process untidily.
class InterruptsHeld {
 public:
  InterruptsHeld();
  ~InterruptsHeld();
  InterruptsHeld(const InterruptsHeld&) = delete;
  InterruptsHeld& operator=(const InterruptsHeld&) = delete;

 private:
  sigset_t previous_;
};

}  // namespace nst::cli
