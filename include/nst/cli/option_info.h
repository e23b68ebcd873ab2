#pragma once

#include <string>
#include <vector>

namespace nst::cli {

/// What an option's value is, for shell completion and the manual.
enum class ValueKind {
  kNone,    ///< a flag: no value
  kNumber,  ///< an integer or real number
  kText,    ///< free text
  kChoice,  ///< one of `OptionInfo::choices`
  kFile,    ///< a file to read or write
  kPath,    ///< a file, folder or glob pattern
};

/// One option of `nst` as `add_arguments` declared it: the same record --help, shell
/// completion and the manual page are made from.
struct OptionInfo {
  std::vector<std::string> names;  ///< e.g. {"-c", "--content"}
  std::string help;
  ValueKind value = ValueKind::kNone;
  std::vector<std::string> choices;  ///< the accepted words, for kChoice
  bool list = false;                 ///< takes several values (comma-separated or repeated)
};

}  // namespace nst::cli
