#pragma once

namespace nst::cli {

/// Sends spdlog's default logger to stderr as "nst: message", "nst: warning: message",
/// "nst: error: message". Quiet keeps errors only; verbose adds debug lines.
void setup_logging(bool quiet, bool verbose);

}  // namespace nst::cli
