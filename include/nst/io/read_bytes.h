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

/// A regular file opened for reading at any position, after the checks `read_bytes` makes
/// (it exists and is not a folder, device, socket or stream, it can be opened, it is not
/// empty), for readers that take only the parts they need. Throws `nst::Error(code)` with
/// "cannot read WHAT 'PATH': why"; the file is closed with the object.
class RegularFile {
 public:
  RegularFile(const std::string& path, const std::string& what, ErrorCode code);
  ~RegularFile();
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;

  /// The size when opened.
  int64_t size() const { return size_; }
  /// Reads up to `count` bytes at `position` into `buffer`; fewer only where the file ends.
  size_t read_at(int64_t position, void* buffer, size_t count) const;

 private:
  std::string path_;
  std::string what_;
  ErrorCode code_;
  int fd_ = -1;
  int64_t size_ = 0;
};

}  // namespace nst
