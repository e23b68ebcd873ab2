#pragma once

namespace nst::cli {

/// Exit codes of `nst`, listed in `--help` and the README. Argument errors found by the
/// parser keep CLI11's own codes (all non-zero).
enum ExitCode : int {
  kExitSuccess = 0,  ///< the output was written
  kExitFailure = 1,  ///< an error stopped the run; no output was written
};

}  // namespace nst::cli
