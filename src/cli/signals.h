#pragma once

namespace nst::cli {

/// Catches SIGINT and SIGTERM: the first asks the run to stop at the end of the current
/// iteration (see `interrupt_signal`); a second one ends the process at once, removing any
/// half-written temporary file. With `json`, the notice printed on the first signal is a JSON
/// log line like every other line on stderr.
void install_interrupt_handlers(bool json);

/// The signal that asked the run to stop, or 0 when none has.
int interrupt_signal();

}  // namespace nst::cli
