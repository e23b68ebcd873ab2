#include "nst/io/image_header.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

namespace nst {
namespace {

// A bounds-checked view of the file's bytes: every read past the end yields nothing.
class Bytes {
 public:
  explicit Bytes(const std::vector<unsigned char>& bytes) : bytes_(bytes) {}

  size_t size() const { return bytes_.size(); }

  bool starts_with(size_t offset, const char* text) const {
    const size_t n = std::strlen(text);
    return offset + n <= bytes_.size() && std::memcmp(bytes_.data() + offset, text, n) == 0;
  }

  std::optional<uint32_t> big_endian(size_t offset, size_t width) const {
    if (offset + width > bytes_.size()) return std::nullopt;
    uint32_t value = 0;
    for (size_t i = 0; i < width; ++i) value = (value << 8) | bytes_[offset + i];
    return value;
  }

  std::optional<uint32_t> little_endian(size_t offset, size_t width) const {
    if (offset + width > bytes_.size()) return std::nullopt;
    uint32_t value = 0;
    for (size_t i = width; i-- > 0;) value = (value << 8) | bytes_[offset + i];
    return value;
  }

  std::optional<uint32_t> read(size_t offset, size_t width, bool little) const {
    return little ? little_endian(offset, width) : big_endian(offset, width);
  }

  unsigned char operator[](size_t offset) const { return bytes_[offset]; }

  // Up to `n` bytes from `offset` as text (for the textual headers of PNM and HDR).
  std::string text(size_t offset, size_t n) const {
    if (offset >= bytes_.size()) return {};
    n = std::min(n, bytes_.size() - offset);
    return std::string(bytes_.begin() + static_cast<std::ptrdiff_t>(offset),
                       bytes_.begin() + static_cast<std::ptrdiff_t>(offset + n));
  }

 private:
  const std::vector<unsigned char>& bytes_;
};

std::optional<ImageHeader> make(const char* format, std::optional<uint32_t> width,
                                std::optional<uint32_t> height) {
  if (!width || !height) return std::nullopt;
  return ImageHeader{format, static_cast<int64_t>(*width), static_cast<int64_t>(*height)};
}

std::optional<ImageHeader> png(const Bytes& b) {
  // Signature, then the IHDR chunk: length, "IHDR", width, height (big-endian).
  if (!b.starts_with(12, "IHDR")) return std::nullopt;
  return make("png", b.big_endian(16, 4), b.big_endian(20, 4));
}

// Where a JPEG's first start-of-frame and first start-of-scan segments begin (0: not found),
// walking the marker segments from the start of the file up to the scan.
struct JpegSegments {
  size_t frame = 0;
  size_t scan = 0;
};

JpegSegments jpeg_segments(const Bytes& b) {
  JpegSegments found;
  size_t at = 2;
  while (at + 1 < b.size() && b[at] == 0xFF) {
    const unsigned char marker = b[at + 1];
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {  // no length field
      at += 2;
      continue;
    }
    if (marker == 0xD9) break;  // end of image
    if (marker == 0xDA) {
      found.scan = at;
      break;
    }
    const auto length = b.big_endian(at + 2, 2);
    if (!length || *length < 2) break;
    const bool start_of_frame =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (start_of_frame && found.frame == 0) found.frame = at;
    at += 2 + *length;
  }
  return found;
}

std::optional<ImageHeader> jpeg(const Bytes& b) {
  const size_t frame = jpeg_segments(b).frame;
  if (frame == 0) return std::nullopt;
  // Length, precision, height, width. A height of 0 (set later by a DNL marker) is left to the
  // decoder.
  const auto height = b.big_endian(frame + 5, 2);
  if (height && *height == 0) return std::nullopt;
  return make("jpeg", b.big_endian(frame + 7, 2), height);
}

std::optional<ImageHeader> webp(const Bytes& b) {
  if (b.starts_with(12, "VP8X")) {  // extended: 24-bit canvas size minus one
    const auto w = b.little_endian(24, 3);
    const auto h = b.little_endian(27, 3);
    if (!w || !h) return std::nullopt;
    return make("webp", *w + 1, *h + 1);
  }
  if (b.starts_with(12, "VP8L")) {  // lossless: signature 0x2F, then 14-bit sizes minus one
    const auto bits = b.little_endian(21, 4);
    if (b.size() < 21 || b[20] != 0x2F || !bits) return std::nullopt;
    return make("webp", (*bits & 0x3FFF) + 1, ((*bits >> 14) & 0x3FFF) + 1);
  }
  if (b.starts_with(12, "VP8 ")) {  // lossy: frame tag, start code, then 14-bit sizes
    if (b.size() < 30 || b[23] != 0x9D || b[24] != 0x01 || b[25] != 0x2A) return std::nullopt;
    const auto w = b.little_endian(26, 2);
    const auto h = b.little_endian(28, 2);
    if (!w || !h) return std::nullopt;
    return make("webp", *w & 0x3FFF, *h & 0x3FFF);
  }
  return std::nullopt;
}

std::optional<ImageHeader> bmp(const Bytes& b) {
  const auto header_size = b.little_endian(14, 4);
  if (!header_size) return std::nullopt;
  if (*header_size == 12) return make("bmp", b.little_endian(18, 2), b.little_endian(20, 2));
  const auto w = b.little_endian(18, 4);
  const auto h = b.little_endian(22, 4);
  if (!w || !h) return std::nullopt;
  // Both are signed; a negative height means rows stored top-down.
  const auto magnitude = [](uint32_t v) {
    const auto s = static_cast<int32_t>(v);
    return static_cast<uint32_t>(s < 0 ? -static_cast<int64_t>(s) : s);
  };
  return make("bmp", magnitude(*w), magnitude(*h));
}

std::optional<ImageHeader> tiff(const Bytes& b) {
  const bool little = b[0] == 'I';
  const auto ifd = b.read(4, 4, little);
  if (!ifd) return std::nullopt;
  const auto entries = b.read(*ifd, 2, little);
  if (!entries) return std::nullopt;
  std::optional<uint32_t> width, height;
  for (uint32_t i = 0; i < *entries; ++i) {
    const size_t entry = *ifd + 2 + 12 * static_cast<size_t>(i);
    const auto tag = b.read(entry, 2, little);
    const auto type = b.read(entry + 2, 2, little);
    if (!tag || !type) return std::nullopt;
    if (*tag != 256 && *tag != 257) continue;
    // SHORT (3) or LONG (4), held in the entry's value field.
    std::optional<uint32_t> value;
    if (*type == 3) value = b.read(entry + 8, 2, little);
    if (*type == 4) value = b.read(entry + 8, 4, little);
    (*tag == 256 ? width : height) = value;
  }
  return make("tiff", width, height);
}

// PNM (P1–P6) and PFM: the magic, then width and height as whitespace-separated decimal
// numbers, '#' starting a comment up to the end of the line.
std::optional<ImageHeader> pnm(const Bytes& b, const char* format) {
  const std::string header = b.text(2, 1024);
  std::vector<uint32_t> numbers;
  size_t at = 0;
  while (numbers.size() < 2 && at < header.size()) {
    const char c = header[at];
    if (c == '#') {
      at = header.find('\n', at);
      if (at == std::string::npos) return std::nullopt;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      uint64_t value = 0;
      while (at < header.size() && std::isdigit(static_cast<unsigned char>(header[at]))) {
        value = value * 10 + static_cast<uint64_t>(header[at++] - '0');
        if (value > UINT32_MAX) return std::nullopt;
      }
      // A number is only whole once something follows it: "37 2" may be cut from "37 23".
      if (at == header.size()) return std::nullopt;
      numbers.push_back(static_cast<uint32_t>(value));
      continue;
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    ++at;
  }
  if (numbers.size() < 2) return std::nullopt;
  return make(format, numbers[0], numbers[1]);
}

// PAM (P7): "WIDTH n" and "HEIGHT n" lines up to "ENDHDR".
std::optional<ImageHeader> pam(const Bytes& b) {
  // Only whole lines: "WIDTH 3" may be cut from "WIDTH 37".
  std::string header = b.text(2, 1024);
  header.erase(header.rfind('\n') == std::string::npos ? 0 : header.rfind('\n') + 1);
  std::istringstream lines(header);
  std::string line;
  std::optional<uint32_t> width, height;
  while (std::getline(lines, line) && line != "ENDHDR") {
    std::istringstream fields(line);
    std::string key;
    int64_t value = -1;
    fields >> key >> value;
    if (value < 0 || value > UINT32_MAX) continue;
    if (key == "WIDTH") width = static_cast<uint32_t>(value);
    if (key == "HEIGHT") height = static_cast<uint32_t>(value);
  }
  return make("pnm", width, height);
}

// Radiance HDR: header lines, a blank line, then "-Y <height> +X <width>".
std::optional<ImageHeader> hdr(const Bytes& b) {
  const std::string header = b.text(0, 4096);
  const size_t blank = header.find("\n\n");
  if (blank == std::string::npos) return std::nullopt;
  const size_t end = header.find('\n', blank + 2);
  if (end == std::string::npos) return std::nullopt;  // the resolution line may be cut
  std::istringstream resolution(header.substr(blank + 2, end - blank - 2));
  std::string y_axis, x_axis;
  int64_t height = -1, width = -1;
  resolution >> y_axis >> height >> x_axis >> width;
  if (y_axis.size() != 2 || y_axis[1] != 'Y' || x_axis.size() != 2 || x_axis[1] != 'X' ||
      height < 0 || width < 0 || height > UINT32_MAX || width > UINT32_MAX) {
    return std::nullopt;
  }
  return make("hdr", static_cast<uint32_t>(width), static_cast<uint32_t>(height));
}

std::optional<std::string> jpeg_problem(const std::vector<unsigned char>& bytes) {
  const size_t scan = jpeg_segments(Bytes(bytes)).scan;
  if (scan == 0) return "the file is truncated or corrupt: no JPEG image data was found";
  // Entropy-coded data never holds 0xFF 0xD9 (a data 0xFF is followed by 0x00), so the first
  // one after the scan starts is the end-of-image marker. An EXIF thumbnail's lies before.
  for (size_t i = scan + 2; i + 1 < bytes.size(); ++i) {
    if (bytes[i] == 0xFF && bytes[i + 1] == 0xD9) return std::nullopt;
  }
  return "the file is truncated: its JPEG data stops before the end-of-image marker";
}

std::optional<std::string> png_problem(const std::vector<unsigned char>& bytes) {
  const Bytes b(bytes);
  size_t at = 8;  // after the signature
  while (true) {
    const auto length = b.big_endian(at, 4);
    if (!length || at + 12 + *length > b.size()) {
      return std::string("the file is truncated: its PNG data stops before the IEND chunk");
    }
    const std::string type = b.text(at + 4, 4);
    const auto stored_crc = b.big_endian(at + 8 + *length, 4);
    const auto crc = crc32(crc32(0L, Z_NULL, 0), bytes.data() + at + 4, 4 + *length);
    // Like libpng, only a critical chunk (upper-case first letter) with a bad CRC is fatal.
    const bool critical = std::isupper(static_cast<unsigned char>(type[0]));
    if (critical && (!stored_crc || *stored_crc != crc)) {
      return "the file is corrupt: its PNG chunk '" + type + "' fails its CRC check";
    }
    if (type == "IEND") return std::nullopt;
    at += 12 + *length;
  }
}

// PFM: "PF" (colour) or "Pf" (grey), width, height and a non-zero scale separated by
// whitespace, one whitespace character, then width × height × channels 32-bit floats.
// OpenCV decodes PFM from a temporary file, and a header it rejects by throwing leaves that
// file behind in /tmp: only whole, well-formed PFM files reach it.
std::optional<std::string> pfm_problem(const std::vector<unsigned char>& bytes) {
  const std::string problem =
      "the file is truncated or corrupt: a PFM file is 'PF' or 'Pf', its width, height and "
      "scale, then its pixels";
  const std::string head(bytes.begin(), bytes.begin() + std::min<size_t>(bytes.size(), 256));
  std::vector<std::string> fields;
  size_t at = 2;
  while (fields.size() < 3) {
    if (at >= head.size() || !std::isspace(static_cast<unsigned char>(head[at]))) return problem;
    while (at < head.size() && std::isspace(static_cast<unsigned char>(head[at]))) ++at;
    const size_t start = at;
    while (at < head.size() && !std::isspace(static_cast<unsigned char>(head[at]))) ++at;
    if (at == start || at >= head.size()) return problem;
    fields.push_back(head.substr(start, at - start));
  }
  for (int i = 0; i < 2; ++i) {
    if (fields[i].size() > 9 || fields[i].find_first_not_of("0123456789") != std::string::npos) {
      return problem;
    }
  }
  char* end = nullptr;
  const double scale = std::strtod(fields[2].c_str(), &end);
  if (*end != '\0' || !std::isfinite(scale) || scale == 0) return problem;
  const uint64_t channels = bytes[1] == 'F' ? 3 : 1;
  const uint64_t needed = std::stoull(fields[0]) * std::stoull(fields[1]) * channels * 4;
  if (bytes.size() - (at + 1) < needed) return problem;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> find_structure_problem(const std::vector<unsigned char>& bytes) {
  if (bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == 'F' || bytes[1] == 'f')) {
    return pfm_problem(bytes);
  }
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), "\x89PNG\r\n\x1a\n", 8) == 0) {
    return png_problem(bytes);
  }
  if (bytes.size() >= 2 && bytes[0] == 0xFF && bytes[1] == 0xD8) return jpeg_problem(bytes);
  return std::nullopt;
}

std::optional<ImageHeader> read_image_header(const std::vector<unsigned char>& bytes) {
  const Bytes b(bytes);
  if (b.size() < 4) return std::nullopt;
  if (b.starts_with(0, "\x89PNG\r\n\x1a\n")) return png(b);
  if (b[0] == 0xFF && b[1] == 0xD8) return jpeg(b);
  if (b.starts_with(0, "RIFF") && b.starts_with(8, "WEBP")) return webp(b);
  if (b.starts_with(0, "BM")) return bmp(b);
  if (b.starts_with(0, "II*") || b.starts_with(0, "MM")) {
    if (b.starts_with(0, "MM") && !(b[2] == 0 && b[3] == '*')) return std::nullopt;
    if (b.starts_with(0, "II*") && b[3] != 0) return std::nullopt;
    return tiff(b);
  }
  if (b[0] == 'P' && b[1] >= '1' && b[1] <= '6') return pnm(b, "pnm");
  if (b.starts_with(0, "P7")) return pam(b);
  if (b.starts_with(0, "PF") || b.starts_with(0, "Pf")) return pnm(b, "pfm");
  if (b.starts_with(0, "\x59\xa6\x6a\x95")) {
    return make("sunras", b.big_endian(4, 4), b.big_endian(8, 4));
  }
  if (b.starts_with(0, "#?RADIANCE") || b.starts_with(0, "#?RGBE")) return hdr(b);
  return std::nullopt;
}

}  // namespace nst
