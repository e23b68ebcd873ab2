#include "nst/report/html_text.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "nst/report/json_text.h"

namespace nst {
namespace fs = std::filesystem;

std::string valid_utf8(const std::string& text) {
  // json_text already replaces every bad byte the way the report does; reading its output
  // back gives the same text the report shows.
  return nlohmann::json::parse(json_text(text)).get<std::string>();
}

std::string html_escape(const std::string& text) {
  std::string escaped;
  for (const char c : valid_utf8(text)) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          escaped += "\xef\xbf\xbd";  // HTML does not allow the other controls in text
        } else {
          escaped += c;
        }
    }
  }
  return escaped;
}

std::string percent_encode_path(const std::string& path) {
  std::string encoded;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
        (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      encoded += c;
    } else {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%%%02X", byte);
      encoded += hex;
    }
  }
  return encoded;
}

std::string relative_link(const std::string& target, const std::string& page_path) {
  // Lexical on purpose: the browser resolves the link against the page's URL, not through
  // the links of the file system.
  const fs::path folder = fs::absolute(page_path).lexically_normal().parent_path();
  const fs::path file = fs::absolute(target).lexically_normal();
  fs::path relative = file.lexically_relative(folder);
  if (relative.empty()) relative = file;
  // ':' is encoded too, so "a:b.png" cannot read as a URL scheme.
  return percent_encode_path(relative.generic_string());
}

}  // namespace nst
