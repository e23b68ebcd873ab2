#pragma once

#include <string>

#include "nst/error.h"

namespace nst {

/// Writes `bytes` to `path` so that readers only ever see the old file or the complete new one:
/// into a temporary file in the same folder, flushed to disk, then renamed over `path`. On any
/// failure the temporary file is removed and `path` is untouched; throws
/// `nst::Error(code, "cannot write <what> '<path>': <reason>")`.
void write_file_atomically(const std::string& path, const std::string& bytes, ErrorCode code,
                           const std::string& what);

/// Checks, before any work, that a file can be written at `path`: it is not a folder, and its
/// folder exists and accepts new files. Throws `nst::Error(code, "cannot write <what> ...")`.
void check_writable(const std::string& path, ErrorCode code, const std::string& what);

/// Removes the temporary file of a write in progress, if any. Async-signal-safe: for a signal
/// handler that ends the process in the middle of a write.
void remove_pending_temporary_file() noexcept;

}  // namespace nst
