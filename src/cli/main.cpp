#include <CLI/CLI.hpp>

#include "cli/arguments.h"
#include "cli/logging.h"
#include "cli/run.h"

int main(int argc, char** argv) {
  CLI::App app{"nst"};
  nst::cli::CliOptions options;
  nst::cli::add_arguments(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  nst::cli::setup_logging(options.quiet, options.verbose);
  return nst::cli::run(options, argv[0], app);
}
