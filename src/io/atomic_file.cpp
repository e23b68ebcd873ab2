#include "nst/io/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <vector>

namespace nst {
namespace fs = std::filesystem;
namespace {

// Temporary files being written, kept where a signal handler can read them without locks:
// one slot per write in progress, so that threads writing at once are all covered.
constexpr size_t kSlots = 16;
constexpr size_t kPathBytes = 4096;
char pending_paths[kSlots][kPathBytes];
std::atomic<bool> slot_taken[kSlots];  // a writer owns the slot
std::atomic<bool> slot_ready[kSlots];  // its path is complete

// Records `path` where the signal handler finds it; returns its slot, or -1 when none is free
// (the file is then left for a later run's `remove_stale_temporary_files`).
int claim_slot(const std::string& path) {
  if (path.size() >= kPathBytes) return -1;
  for (size_t i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (slot_taken[i].compare_exchange_strong(expected, true)) {
      std::memcpy(pending_paths[i], path.c_str(), path.size() + 1);
      slot_ready[i].store(true);
      return static_cast<int>(i);
    }
  }
  return -1;
}

void release_slot(int slot) {
  if (slot < 0) return;
  slot_ready[slot].store(false);
  slot_taken[slot].store(false);
}

class PendingTemporary {
 public:
  explicit PendingTemporary(const std::string& path) : slot_(claim_slot(path)) {}
  ~PendingTemporary() { release_slot(slot_); }
  PendingTemporary(const PendingTemporary&) = delete;
  PendingTemporary& operator=(const PendingTemporary&) = delete;

 private:
  int slot_ = -1;
};

// Temporary names say whose they are: ".<name>.nst-<pid>-<random>.tmp", so that a later run
// can tell a file left by a killed process from one a live process is still writing.
constexpr const char* kMarker = ".nst-";
constexpr const char* kSuffix = ".tmp";

// Creates a new file for writing next to `target` under a temporary name; its permissions
// are those of any new file (0666 less the umask, applied by the kernel). Returns the
// descriptor and sets `temporary`, or returns -1 with errno set.
int create_temporary(const fs::path& folder, const std::string& name, std::string& temporary,
                     const std::string& extension = "") {
  thread_local std::mt19937_64 random(std::random_device{}());
  for (int attempt = 0; attempt < 100; ++attempt) {
    char suffix[17];
    std::snprintf(suffix, sizeof(suffix), "%016llx",
                  static_cast<unsigned long long>(random()));  // NOLINT(runtime/int)
    temporary = (folder / ("." + name + kMarker + std::to_string(getpid()) + "-" + suffix +
                           kSuffix + extension))
                    .string();
    const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

// The process id in a temporary name of ours, or 0 if `name` is not one.
pid_t owner_of(const std::string& name) {
  // ".tmp" ends the name, or comes before a `StagedFile`'s extension.
  const auto suffix = name.rfind(kSuffix);
  if (name.empty() || name[0] != '.' || suffix == std::string::npos) return 0;
  const std::string after = name.substr(suffix + std::strlen(kSuffix));
  if (!after.empty() && (after[0] != '.' || after.find_first_of("-.", 1) != std::string::npos)) {
    return 0;
  }
  const auto marker = name.rfind(kMarker);
  if (marker == std::string::npos || marker == 0) return 0;
  const size_t digits = marker + std::strlen(kMarker);
  const auto dash = name.find('-', digits);
  if (dash == std::string::npos || dash == digits) return 0;
  pid_t pid = 0;
  for (size_t i = digits; i < dash; ++i) {
    if (name[i] < '0' || name[i] > '9' || pid > 100000000) return 0;
    pid = pid * 10 + (name[i] - '0');
  }
  return pid;
}

// Makes a rename or a new file in `folder` survive a power loss.
void sync_folder(const fs::path& folder) {
  const int fd = open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

}  // namespace

int write_all(int fd, const void* data, size_t size) noexcept {
  const auto* bytes = static_cast<const char*>(data);
  size_t written = 0;
  while (written < size) {
    const ssize_t n = write(fd, bytes + written, size - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : ENOSPC;
    written += static_cast<size_t>(n);
  }
  return 0;
}

void remove_pending_temporary_file() noexcept {
  for (size_t i = 0; i < kSlots; ++i) {
    if (slot_ready[i].load()) unlink(pending_paths[i]);
  }
}

std::vector<std::string> remove_stale_temporary_files(const std::string& folder) {
  std::vector<std::string> removed;
  std::error_code ec;
  for (fs::directory_iterator it(folder.empty() ? "." : folder, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const pid_t owner = owner_of(name);
    if (owner <= 0) continue;
    // A process that no longer exists cannot finish its write.
    if (kill(owner, 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;
    if (it->is_regular_file(ignored) && fs::remove(it->path(), ignored)) {
      removed.push_back(it->path().string());
    }
  }
  return removed;
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
  std::string probe;
  const int fd = create_temporary(parent, "write-test", probe);
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
  std::string temporary;
  const int fd = create_temporary(folder, target.filename().string(), temporary);
  if (fd < 0) fail(std::string("cannot create a temporary file: ") + std::strerror(errno));
  const PendingTemporary guard(temporary);
  const auto discard = [&](const std::string& why) {
    close(fd);
    unlink(temporary.c_str());
    fail(why);
  };
  if (const int error = write_all(fd, bytes.data(), bytes.size()); error != 0) {
    discard(std::string("write failed: ") + std::strerror(error));
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
  sync_folder(folder);
}

StagedFile::StagedFile(const std::string& target, ErrorCode code, const std::string& what)
    : target_(target), code_(code), what_(what) {
  const fs::path path(target);
  const fs::path folder = path.has_parent_path() ? path.parent_path() : ".";
  const int fd =
      create_temporary(folder, path.filename().string(), temporary_, path.extension().string());
  if (fd < 0) {
    throw Error(code, "cannot write " + what + " '" + target +
                          "': cannot create a temporary file: " + std::strerror(errno));
  }
  close(fd);
  slot_ = claim_slot(temporary_);
}

StagedFile::~StagedFile() {
  if (!committed_) unlink(temporary_.c_str());
  release_slot(slot_);
}

void StagedFile::commit() {
  const auto fail = [&](const std::string& why) {
    throw Error(code_, "cannot write " + what_ + " '" + target_ + "': " + why);
  };
  const int fd = open(temporary_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(std::string("the written file is gone: ") + std::strerror(errno));
  const bool synced = fsync(fd) == 0;
  const int error = errno;
  close(fd);
  if (!synced) fail(std::string("write failed: ") + std::strerror(error));
  if (rename(temporary_.c_str(), target_.c_str()) != 0) {
    fail(std::string("cannot move the finished file into place: ") + std::strerror(errno));
  }
  committed_ = true;
  const fs::path path(target_);
  sync_folder(path.has_parent_path() ? path.parent_path() : ".");
}

}  // namespace nst
