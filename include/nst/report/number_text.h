#pragma once

#include <string>

namespace nst {

/// `value` written with one printf conversion, e.g. `number_text("%.3g", 0.01234)` is "0.0123":
/// the numbers in pages, sheets and curves.
std::string number_text(const char* pattern, double value);

}  // namespace nst
