#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nst {

/// What an image file's header says, read without decoding any pixels.
struct ImageHeader {
  std::string format;  ///< "jpeg", "png", "webp", "bmp", "tiff", "pnm", "pfm", "sunras", "hdr"
  int64_t width = 0;   ///< as stored, before any EXIF rotation
  int64_t height = 0;
};

/// Reads the dimensions from the header of an image held in `bytes`, for the formats OpenCV
/// decodes whose headers are simple to read: JPEG, PNG, WebP, BMP, TIFF, PNM/PAM, PFM, Sun
/// raster and Radiance HDR. Returns nothing for other formats and for headers it cannot make
/// sense of (too short, malformed): the decoder then judges the file. Never reads out of bounds.
std::optional<ImageHeader> read_image_header(const std::vector<unsigned char>& bytes);

/// For JPEG and PNG, whose decoders would otherwise pass a cut-off file as a partly grey
/// image or print their complaints on stderr: why `bytes` cannot be a complete image (the
/// JPEG stops before its end-of-image marker; the PNG stops before its IEND chunk, or a chunk
/// fails its CRC). Also for PFM, whose OpenCV decoder leaves a temporary file behind when it
/// rejects a header: anything but a well-formed header followed by all its pixels. Nothing when
/// no such problem is found, or for other formats.
std::optional<std::string> find_structure_problem(const std::vector<unsigned char>& bytes);

}  // namespace nst
