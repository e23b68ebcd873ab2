#pragma once

#include <string>

namespace nst {

/// `text` with each byte that is not part of valid UTF-8 replaced by U+FFFD, as the report
/// does (`json_text`): Linux file names may hold any bytes, and a page about them must still
/// be valid text.
std::string valid_utf8(const std::string& text);

/// `text` made safe as HTML text or as a quoted attribute value: valid UTF-8 (`valid_utf8`),
/// `& < > " '` as character references, and control characters other than tab and line
/// breaks as U+FFFD.
std::string html_escape(const std::string& text);

/// `path` as the path of a URL: every byte other than letters, digits, `-._~` and `/`
/// percent-encoded, so that spaces, `#`, `?`, `%` and bytes that are not UTF-8 reach the file
/// system unchanged.
std::string percent_encode_path(const std::string& path);

/// A link from the page at `page_path` to the file at `target`: its path relative to the
/// page's folder (worked out from the paths alone, as the browser will), percent-encoded.
std::string relative_link(const std::string& target, const std::string& page_path);

}  // namespace nst
