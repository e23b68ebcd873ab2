#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace nst::cli {

/// The reference page of every visible option of `app` in Markdown (doc/options.md): names,
/// value and default as --help prints them, the help text, then the help's footer (presets,
/// inputs and outputs, exit codes, examples). Made from the same declarations as --help, so the
/// page and the program cannot disagree.
std::string options_markdown(const CLI::App& app);

}  // namespace nst::cli
