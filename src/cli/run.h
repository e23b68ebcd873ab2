#pragma once

#include <string>

#include "cli/arguments.h"
#include "nst/options.h"

namespace nst::cli {

/// Does the work the command line asks for: checks the output path, loads the images and the
/// model, runs the style transfer with a progress display, saves the result atomically and
/// prints a summary. Returns the process exit code; every error is logged as one line.
int run(const CliOptions& cli, const std::string& executable, const CLI::App& app);

}  // namespace nst::cli
