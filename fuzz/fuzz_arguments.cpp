// libFuzzer target: the command line, as a shell script built from file names and user input
// might pass it. The input is split at NUL bytes into arguments. Parsing either succeeds,
// ending in options that passed validation, or refuses with CLI11's ParseError or an
// nst::Error that says why; any other exception, a crash or a sanitizer report is a finding
// (in `nst` it would end in std::terminate instead of a message and exit code 1).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "nst/cli/arguments.h"
#include "nst/engine/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> arguments{"nst"};
  std::string current;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      arguments.push_back(current);
      current.clear();
    } else {
      current += static_cast<char>(data[i]);
    }
  }
  if (!current.empty()) arguments.push_back(current);
  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);

  CLI::App app{"nst"};
  nst::cli::CliOptions options;
  nst::cli::add_arguments(app, options);
  try {
    app.parse(static_cast<int>(arguments.size()), argv.data());
  } catch (const CLI::ParseError&) {
    return 0;  // --help and --version included: CLI11 reports them as "errors" too
  }
  try {
    const nst::StyleTransferOptions resolved = nst::cli::resolve_options(options);
    // What the run reads next, each of which must hold for a command line that parsed.
    if (resolved.size() <= 0 || resolved.total_iterations() < 0) __builtin_trap();
    (void)nst::cli::batch_options(options);
    (void)nst::cli::parse_shard(options.shard);
  } catch (const nst::Error&) {
    // refused with a message: fine
  }
  return 0;
}
