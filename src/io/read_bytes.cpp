#include "nst/io/read_bytes.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

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
std::vector<unsigned char> read_all(int fd, const Source& source, int64_t max_bytes,
                                    const StopRequested& stop) {
  const std::string doing = "reading " + source.what + " '" + source.path + "'";
  std::vector<unsigned char> bytes;
  std::vector<unsigned char> chunk(1 << 20);
  for (;;) {
    stop_if_requested(stop, doing);
    pollfd ready{fd, POLLIN, 0};
    const int count = poll(&ready, 1, kPollMilliseconds);
    if (count < 0 && errno != EINTR) source.fail(std::strerror(errno));
    if (count <= 0) continue;  // nothing yet (a FIFO's writer may not have come): ask again
    const ssize_t n = read(fd, chunk.data(), chunk.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) source.fail(std::strerror(errno));
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + n);
    if (max_bytes > 0 && static_cast<int64_t>(bytes.size()) > max_bytes) {
      std::ostringstream limit;
      limit << std::fixed << std::setprecision(0) << static_cast<double>(max_bytes) / 1e6;
      source.fail("it holds more than " + limit.str() + " MB, the most read for " +
                  with_article(source.what));
    }
  }
  return bytes;
}

}  // namespace

bool is_stream(const std::string& path) {
  std::error_code ec;
  return path == "-" || fs::status(path, ec).type() == fs::file_type::fifo;
}

std::vector<unsigned char> read_bytes(const std::string& path, int64_t max_bytes,
                                      const std::string& what, ErrorCode code,
                                      const StopRequested& stop) {
  const Source source{path, what, code};
  if (path == "-") {
    auto bytes = read_all(STDIN_FILENO, source, max_bytes, stop);
    if (bytes.empty()) source.fail("standard input is empty");
    return bytes;
  }
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) {
    // A symlink loop or a folder we may not enter says so; everything else is simply missing.
    source.fail(ec && ec != std::errc::no_such_file_or_directory ? ec.message() : "no such file");
  }
  if (fs::is_directory(status)) source.fail("it is a folder, not " + with_article(what) + " file");
  const bool fifo = status.type() == fs::file_type::fifo;
  if (!fifo && !fs::is_regular_file(status))
    source.fail(what_it_is(status.type(), with_article(what)));
  // A FIFO (a pipe, process substitution's /dev/fd/N) opened without O_NONBLOCK would wait
  // in open() for a writer that may never come, deaf to `stop`.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | (fifo ? O_NONBLOCK : 0));
  if (fd < 0) source.fail(std::strerror(errno));
  std::vector<unsigned char> bytes;
  try {
    bytes = read_all(fd, source, max_bytes, stop);
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);
  if (bytes.empty()) source.fail(fifo ? "the stream is empty" : "the file is empty");
  return bytes;
}

}  // namespace nst
