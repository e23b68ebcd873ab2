#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace nst {

/// `value` as JSON text (`indent` as nlohmann's `dump` takes it). Strings that are not valid
/// UTF-8, as file names on Linux may be, get U+FFFD for each bad byte instead of an exception:
/// a report or a log line about such a file must still be written.
inline std::string json_text(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

}  // namespace nst
