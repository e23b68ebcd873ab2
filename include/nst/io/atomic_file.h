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

/// A file made under a temporary name next to `target` and moved into place only when
/// `commit` says it is complete, for writers that must open and name the file themselves (a
/// video encoder picks its container by the name's extension): ".<name>.nst-<pid>-<random>.tmp"
/// followed by `target`'s extension. It is removed on destruction unless committed, by
/// `remove_pending_temporary_file` if a signal ends the process, and by a later run's
/// `remove_stale_temporary_files` if the process is killed.
class StagedFile {
 public:
  /// Creates the empty temporary file. Throws `nst::Error(code, "cannot write <what> '<target>':
  /// ...")` when it cannot.
  StagedFile(const std::string& target, ErrorCode code, const std::string& what);
  ~StagedFile();
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  /// The temporary file's path, for the writer.
  const std::string& path() const { return temporary_; }
  /// Flushes the written file to disk and renames it over the target. Throws `nst::Error`.
  void commit();

 private:
  std::string target_;
  std::string temporary_;
  ErrorCode code_;
  std::string what_;
  bool committed_ = false;
  int slot_ = -1;  // its entry among the paths a signal handler removes
};

/// Removes the temporary files of the writes in progress, if any. Async-signal-safe: for a
/// signal handler that ends the process in the middle of a write.
void remove_pending_temporary_file() noexcept;

/// Removes from `folder` the temporary files of `write_file_atomically` (and `check_writable`)
/// whose process no longer exists: left by a SIGKILL or a power loss. Files of live processes
/// and every other file are left alone. Returns the paths removed.
std::vector<std::string> remove_stale_temporary_files(const std::string& folder);

}  // namespace nst
