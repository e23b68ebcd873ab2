#pragma once

#include <string>

#include "nst/cli/arguments.h"

namespace nst::cli {

/// Does the work the command line asks for: expands the inputs into jobs, checks every output
/// before any work, loads the model once, runs the jobs with a progress display, writes the
/// report, and returns the exit code (see exit_codes.h). Every error is logged as one line.
int run(const CliOptions& cli, const std::string& executable);

}  // namespace nst::cli
