#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nst {

/// SHA-256 of a file's bytes, as 64 lower-case hex digits. Throws `nst::Error(kImageRead)`
/// naming the file when it cannot be read.
std::string sha256_file(const std::string& path);

/// SHA-256 of bytes in memory (an input read from a stream), as `sha256_file` gives it.
std::string sha256_bytes(const std::vector<unsigned char>& bytes);

/// Size of a file in bytes, or -1 when it cannot be read.
int64_t file_size_bytes(const std::string& path);

}  // namespace nst
