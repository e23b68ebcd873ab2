#include <CLI/CLI.hpp>

#include "cli/arguments.h"
#include "cli/exit_codes.h"
#include "cli/logging.h"
#include "cli/run.h"

int main(int argc, char** argv) {
  CLI::App app{"nst"};
  nst::cli::CliOptions options;
  nst::cli::add_arguments(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& success) {
    return app.exit(success);  // --help, --version
  } catch (const CLI::ParseError& error) {
    // CLI11 prints the problem; scripts get one documented code for "nothing could run".
    app.exit(error);
    return nst::cli::kExitNothingRan;
  }
  nst::cli::setup_logging(options.quiet, options.verbose, options.progress == "json");
  return nst::cli::run(options, argv[0], app);
}
