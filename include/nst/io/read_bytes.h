#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nst/engine/error.h"
#include "nst/engine/stop.h"

namespace nst {

/// Whether `path` is read as a stream, once and to its end: "-" (standard input), a pipe or a
/// FIFO (process substitution's /dev/fd/N included).
bool is_stream(const std::string& path);

/// The whole content of `path`: a regular file, or a stream (`is_stream`) read to its end,
/// refusing more than `max_bytes` (0: no limit). Nothing here blocks for long: a stream is
/// waited on in slices of 100 ms (a FIFO is opened without waiting for its writer), and `stop`
/// is asked before each slice and each read, so a caller can end a read from a silent pipe.
/// Folders, devices, sockets and empty files are refused. Throws `nst::Error(code)` with
/// "cannot read WHAT 'PATH': why", or `nst::Stopped`.
std::vector<unsigned char> read_bytes(const std::string& path, int64_t max_bytes,
                                      const std::string& what, ErrorCode code,
                                      const StopRequested& stop = {});

}  // namespace nst
