#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nst {

/// One value of an enum and the word that names it on the command line and in reports.
template <class Enum>
struct NamedValue {
  Enum value;
  const char* name;
};

/// The words of an enum. Each enum that has words specialises this with
/// `static constexpr NamedValue<Enum> values[] = {...};`, its only list of them: `to_string`,
/// `value_named`, `names_of`, and through them the command line, its help, shell completion and
/// the report all read it.
template <class Enum>
struct EnumNames;

/// The word for `value`, or "?" for a value outside the list.
template <class Enum, class = decltype(EnumNames<Enum>::values)>
const char* to_string(Enum value) {
  for (const auto& named : EnumNames<Enum>::values) {
    if (named.value == value) return named.name;
  }
  return "?";
}

/// The value `name` names, if any.
template <class Enum>
std::optional<Enum> value_named(std::string_view name) {
  for (const auto& named : EnumNames<Enum>::values) {
    if (name == named.name) return named.value;
  }
  return std::nullopt;
}

/// Every word of the enum, in its declared order.
template <class Enum>
std::vector<std::string> names_of() {
  std::vector<std::string> names;
  names.reserve(std::size(EnumNames<Enum>::values));
  for (const auto& named : EnumNames<Enum>::values) names.emplace_back(named.name);
  return names;
}

}  // namespace nst
