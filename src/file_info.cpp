#include "nst/file_info.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "nst/error.h"

namespace nst {

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kImageRead, "cannot read '" + path + "' to hash it");
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                        EVP_MD_CTX_free);
  EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    EVP_DigestUpdate(context.get(), buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(ErrorCode::kImageRead, "cannot read '" + path + "' to hash it");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest, &length);
  std::string hex;
  char pair[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(pair, sizeof(pair), "%02x", digest[i]);
    hex += pair;
  }
  return hex;
}

int64_t file_size_bytes(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? -1 : static_cast<int64_t>(size);
}

void reset_peak_memory() {
  // Writing 5 resets VmHWM (Linux 4.0 and later).
  if (std::FILE* file = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", file);
    std::fclose(file);
  }
}

namespace {

// The value of `key` in a "Key: value kB" file such as /proc/self/status, in bytes; 0 if absent.
int64_t kilobyte_field(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string name;
  while (in >> name) {
    if (name == key) {
      int64_t kilobytes = 0;
      in >> kilobytes;
      return kilobytes * 1024;
    }
    in.ignore(4096, '\n');
  }
  return 0;
}

// A cgroup v2 or v1 limit file's value, or -1 for "max", absent or unreadable.
int64_t cgroup_value(const char* file) {
  std::ifstream in(file);
  std::string text;
  if (!(in >> text) || text == "max") return -1;
  try {
    return std::stoll(text);
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

int64_t peak_memory_bytes() {
  return kilobyte_field("/proc/self/status", "VmHWM:");
}

int64_t resident_memory_bytes() {
  return kilobyte_field("/proc/self/status", "VmRSS:");
}

int64_t available_memory_bytes() {
  int64_t available = kilobyte_field("/proc/meminfo", "MemAvailable:");
  // A container's memory limit can be far below what the kernel has free.
  for (const auto& [limit_file, usage_file] :
       {std::pair{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
        std::pair{"/sys/fs/cgroup/memory/memory.limit_in_bytes",
                  "/sys/fs/cgroup/memory/memory.usage_in_bytes"}}) {
    const int64_t limit = cgroup_value(limit_file);
    const int64_t usage = cgroup_value(usage_file);
    if (limit > 0 && usage >= 0) {
      const int64_t left = std::max<int64_t>(0, limit - usage);
      available = available > 0 ? std::min(available, left) : left;
    }
  }
  return available;
}

}  // namespace nst
