#include "nst/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace nst {
namespace fs = std::filesystem;
namespace {

// The temporary file being written, kept where a signal handler can read it without locks.
char pending_path[4096];
std::atomic<bool> pending{false};

class PendingTemporary {
 public:
  explicit PendingTemporary(const std::string& path) {
    if (path.size() < sizeof(pending_path)) {
      std::memcpy(pending_path, path.c_str(), path.size() + 1);
      pending.store(true);
    }
  }
  ~PendingTemporary() { pending.store(false); }
  PendingTemporary(const PendingTemporary&) = delete;
  PendingTemporary& operator=(const PendingTemporary&) = delete;
};

}  // namespace

void remove_pending_temporary_file() noexcept {
  if (pending.load()) unlink(pending_path);
}

void check_writable(const std::string& path, ErrorCode code, const std::string& what) {
  const auto fail = [&](const std::string& why) {
    throw Error(code, "cannot write " + what + " '" + path + "': " + why);
  };
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail("it is a folder");
  const fs::path parent = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : ".";
  if (!fs::exists(parent, ec)) fail("folder '" + parent.string() + "' does not exist");
  if (!fs::is_directory(parent, ec)) fail("'" + parent.string() + "' is not a folder");
  // Creating a file is the only reliable test: permissions, read-only mounts and quotas all
  // show up here, and root passes access(2) checks that a later write may still fail.
  std::string probe = (parent / ".nst-write-test-XXXXXX").string();
  const int fd = mkstemp(probe.data());
  if (fd < 0) {
    fail("folder '" + parent.string() + "' is not writable: " + std::strerror(errno));
  }
  close(fd);
  unlink(probe.c_str());
}

void write_file_atomically(const std::string& path, const std::string& bytes, ErrorCode code,
                           const std::string& what) {
  const auto fail = [&](const std::string& why) {
    throw Error(code, "cannot write " + what + " '" + path + "': " + why);
  };
  const fs::path target(path);
  const fs::path folder = target.has_parent_path() ? target.parent_path() : ".";
  std::string temporary = (folder / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = mkstemp(temporary.data());
  if (fd < 0) fail(std::string("cannot create a temporary file: ") + std::strerror(errno));
  const PendingTemporary guard(temporary);
  const auto discard = [&](const std::string& why) {
    close(fd);
    unlink(temporary.c_str());
    fail(why);
  };
  // mkstemp makes the file private; give it the permissions any new file would get.
  const mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0666 & ~mask) != 0) discard(std::strerror(errno));
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) discard(std::string("write failed: ") + std::strerror(n < 0 ? errno : ENOSPC));
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) discard(std::string("write failed: ") + std::strerror(errno));
  if (close(fd) != 0) {
    unlink(temporary.c_str());
    fail(std::string("write failed: ") + std::strerror(errno));
  }
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    unlink(temporary.c_str());
    fail("cannot move the finished file into place: " + why);
  }
}

}  // namespace nst
