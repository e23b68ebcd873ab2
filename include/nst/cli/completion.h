#pragma once

#include <string>
#include <vector>

#include "nst/cli/option_info.h"

namespace nst::cli {

/// A bash completion script for `nst`, made from its option table: a function `_nst`
/// registered with `complete -F _nst nst`. It completes option names, the choices of options
/// that take one of a few words (after a comma too, for lists), and file names after options
/// that take files, in both `--option value` and `--option=value` forms. Uses bash-completion's
/// `_filedir` where that is loaded, else `compgen -f`.
std::string bash_completion(const std::vector<OptionInfo>& options);

}  // namespace nst::cli
