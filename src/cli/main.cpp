#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <string>

#include "nst/cli/arguments.h"
#include "nst/cli/exit_codes.h"
#include "nst/cli/logging.h"
#include "nst/cli/run.h"
#include "nst/cli/signals.h"
#include "nst/engine/blas_kernels.h"

int main(int argc, char** argv) {
  nst::cli::install_interrupt_handlers();
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
  // After parsing, so that --help, --version and bad arguments do not pay for loading the
  // program twice; a dry run computes nothing, and a run asked to stop already need not.
  if (!options.dry_run) {
    const nst::cli::InterruptsHeld held;  // a signal from here on goes to the new image
    if (nst::cli::interrupt_signal() == 0) nst::reexec_for_openblas_core(argv);
  }
  // OpenCV's decoders allocate the pixels before the library can check the size of formats
  // whose header it does not read; hold them to the same limit (read once, at the first decode).
  if (options.max_input_pixels > 0) {
    setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(options.max_input_pixels).c_str(),
           /*overwrite=*/0);
  }
  nst::cli::setup_logging(options.quiet, options.verbose, options.progress == "json");
  if (const std::string warning = nst::cli::rename_deprecated_preset(options); !warning.empty()) {
    spdlog::warn("{}", warning);
  }
  return nst::cli::run(options, argv[0]);
}
