#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "nst/engine/error.h"

namespace nst {

/// Writes `bytes` to `path` so that readers only ever see the old file or the complete new one:
/// into a temporary file in the same folder (".<name>.nst-<pid>-<random>.tmp", with the
/// permissions of any new file), flushed to disk, renamed over `path`, and the folder flushed
/// so that the rename survives a power loss. Safe to call from several threads at once, and it
/// changes no process-wide state. On any failure the temporary file is removed and `path` is
/// untouched; throws
/// `nst::Error(code, "cannot write <what> '<path>': <reason>")`.
void write_file_atomically(const std::string& path, const std::string& bytes, ErrorCode code,
                           const std::string& what);

/// Writes all `size` bytes of `data` to `fd`, going on after signals and short writes. Returns
/// 0, or the errno of the failure (ENOSPC when the file stops taking bytes).
int write_all(int fd, const void* data, size_t size) noexcept;

/// Checks, before any work, that a file can be written at `path`: it is not a folder, and its
/// folder exists and accepts new files. Throws `nst::Error(code, "cannot write <what> ...")`.
void check_writable(const std::string& path, ErrorCode code, const std::string& what);

/// Removes the temporary files of the writes in progress, if any. Async-signal-safe: for a
/// signal handler that ends the process in the middle of a write.
void remove_pending_temporary_file() noexcept;

/// Removes from `folder` the temporary files of `write_file_atomically` (and `check_writable`)
/// whose process no longer exists: left by a SIGKILL or a power loss. Files of live processes
/// and every other file are left alone. Returns the paths removed.
std::vector<std::string> remove_stale_temporary_files(const std::string& folder);

}  // namespace nst
