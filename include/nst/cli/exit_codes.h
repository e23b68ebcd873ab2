#pragma once

namespace nst::cli {

/// Exit codes of `nst`, listed in `--help` and the README.
enum ExitCode : int {
  kExitSuccess = 0,        ///< every job done (or skipped, or cut short by --time-limit)
  kExitNothingRan = 1,     ///< nothing could run: bad arguments, no model, unwritable output, …
  kExitSomeFailed = 2,     ///< the batch ran, and some jobs failed
  kExitInterrupted = 130,  ///< stopped by SIGINT (128 + 2)
  kExitTerminated = 143,   ///< stopped by SIGTERM (128 + 15)
};

}  // namespace nst::cli
