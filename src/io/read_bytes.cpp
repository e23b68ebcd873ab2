#include "nst/io/read_bytes.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <sstream>

namespace nst {
namespace fs = std::filesystem;
namespace {

// How long a wait for a stream's bytes lasts before `stop` is asked again.
constexpr int kPollMilliseconds = 100;

struct Source {
  const std::string& path;
  const std::string& what;
  ErrorCode code;

  [[noreturn]] void fail(const std::string& why) const {
    throw Error(code, "cannot read " + what + " '" + path + "': " + why);
  }
};

// Why a file that is neither a regular file, a folder nor a FIFO is not read.
std::string what_it_is(fs::file_type type, const std::string& what) {
  switch (type) {
    case fs::file_type::character:
      return "it is a character device, not " + what + " file";
    case fs::file_type::block:
      return "it is a block device, not " + what + " file";
    case fs::file_type::socket:
      return "it is a socket, not " + what + " file";
    default:
      return "it is not a regular file";
  }
}

// "an image", "a model".
std::string with_article(const std::string& noun) {
  const bool vowel = !noun.empty() && std::strchr("aeiou", noun[0]) != nullptr;
  return (vowel ? "an " : "a ") + noun;
}

// Reads `fd` to its end, refusing more than `max_bytes`; waits only in poll(), in slices.
// `expected_bytes` (a regular file's size; 0 for a stream) sizes the buffer once: a model of
// 80 MB read into a doubling buffer would touch and copy about three times its size.
std::vector<unsigned char> read_all(int fd, const Source& source, int64_t max_bytes,
                                    int64_t expected_bytes, const StopRequested& stop) {
  const std::string doing = "reading " + source.what + " '" + source.path + "'";
  constexpr size_t kSlice = size_t{1} << 20;
  std::vector<unsigned char> bytes;
  if (expected_bytes > 0 && (max_bytes <= 0 || expected_bytes <= max_bytes))
    bytes.reserve(static_cast<size_t>(expected_bytes) + 1);  // + 1: room to see the end
  size_t filled = 0;
  for (;;) {
    stop_if_requested(stop, doing);
    pollfd ready{fd, POLLIN, 0};
    const int count = poll(&ready, 1, kPollMilliseconds);
    if (count < 0 && errno != EINTR) source.fail(std::strerror(errno));
    if (count <= 0) continue;  // nothing yet (a FIFO's writer may not have come): ask again
    // Read straight into the buffer: up to what is reserved, else a slice more.
    const size_t room = bytes.capacity() > filled ? bytes.capacity() - filled : kSlice;
    bytes.resize(filled + std::min(room, kSlice));
    const ssize_t n = read(fd, bytes.data() + filled, bytes.size() - filled);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) source.fail(std::strerror(errno));
    if (n == 0) break;
    filled += static_cast<size_t>(n);
    if (max_bytes > 0 && static_cast<int64_t>(filled) > max_bytes) {
      std::ostringstream limit;
      limit << std::fixed << std::setprecision(0) << static_cast<double>(max_bytes) / 1e6;
      source.fail("it holds more than " + limit.str() + " MB, the most read for " +
                  with_article(source.what));
    }
  }
  bytes.resize(filled);
  return bytes;
}

}  // namespace

bool is_stream(const std::string& path) {
  std::error_code ec;
  return path == "-" || fs::status(path, ec).type() == fs::file_type::fifo;
}

namespace {

// Refuses what `read_bytes` refuses before reading: a missing path, a folder, a device or a
// socket. Returns whether `path` is a FIFO.
bool check_readable(const Source& source) {
  std::error_code ec;
  const auto status = fs::status(source.path, ec);
  if (!fs::exists(status)) {
    // A symlink loop or a folder we may not enter says so; everything else is simply missing.
    source.fail(ec && ec != std::errc::no_such_file_or_directory ? ec.message() : "no such file");
  }
  if (fs::is_directory(status)) {
    source.fail("it is a folder, not " + with_article(source.what) + " file");
  }
  const bool fifo = status.type() == fs::file_type::fifo;
  if (!fifo && !fs::is_regular_file(status))
    source.fail(what_it_is(status.type(), with_article(source.what)));
  return fifo;
}

}  // namespace

std::vector<unsigned char> read_bytes(const std::string& path, int64_t max_bytes,
                                      const std::string& what, ErrorCode code,
                                      const StopRequested& stop) {
  const Source source{path, what, code};
  if (path == "-") {
    auto bytes = read_all(STDIN_FILENO, source, max_bytes, 0, stop);
    if (bytes.empty()) source.fail("standard input is empty");
    return bytes;
  }
  const bool fifo = check_readable(source);
  // A FIFO (a pipe, process substitution's /dev/fd/N) opened without O_NONBLOCK would wait
  // in open() for a writer that may never come, deaf to `stop`.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | (fifo ? O_NONBLOCK : 0));
  if (fd < 0) source.fail(std::strerror(errno));
  std::vector<unsigned char> bytes;
  try {
    std::error_code ec;
    const auto size = fifo ? 0 : static_cast<int64_t>(fs::file_size(path, ec));
    bytes = read_all(fd, source, max_bytes, ec ? 0 : size, stop);
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);
  if (bytes.empty()) source.fail(fifo ? "the stream is empty" : "the file is empty");
  return bytes;
}

RegularFile::RegularFile(const std::string& path, const std::string& what, ErrorCode code)
    : path_(path), what_(what), code_(code) {
  const Source source{path_, what_, code_};
  if (path == "-" || check_readable(source)) source.fail("it is a stream, not a regular file");
  fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) source.fail(std::strerror(errno));
  struct stat info {};
  if (fstat(fd_, &info) != 0) {
    const std::string why = std::strerror(errno);
    close(fd_);
    source.fail(why);
  }
  size_ = static_cast<int64_t>(info.st_size);
  if (size_ == 0) {
    close(fd_);
    source.fail("the file is empty");
  }
}

RegularFile::~RegularFile() {
  close(fd_);
}

size_t RegularFile::read_at(int64_t position, void* buffer, size_t count) const {
  size_t done = 0;
  while (done < count) {
    const ssize_t n = pread(fd_, static_cast<char*>(buffer) + done, count - done,
                            static_cast<off_t>(position + static_cast<int64_t>(done)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) Source{path_, what_, code_}.fail(std::strerror(errno));
    if (n == 0) break;  // the file ended early (it shrank): the caller sees a short read
    done += static_cast<size_t>(n);
  }
  return done;
}

}  // namespace nst
