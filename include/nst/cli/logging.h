#pragma once

namespace nst::cli {

/// Sends spdlog's default logger to stderr as "nst: message", "nst: warning: message",
/// "nst: error: message", or, with `json`, as one JSON object per line
/// ({"event":"log","level":"error","message":"..."}) so that stderr stays machine-readable.
/// Quiet keeps errors only; verbose adds debug lines.
void setup_logging(bool quiet, bool verbose, bool json);

}  // namespace nst::cli
