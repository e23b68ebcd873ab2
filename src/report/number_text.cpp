#include "nst/report/number_text.h"

#include <cstdio>

namespace nst {

std::string number_text(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof(text), pattern, value);
  return text;
}

}  // namespace nst
