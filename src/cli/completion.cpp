#include "nst/cli/completion.h"

namespace nst::cli {
namespace {

// Single quotes keep every character as it is, so option names and choices reach bash
// unchanged whatever they contain.
std::string quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string join_quoted(const std::vector<std::string>& words, const char* separator) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : separator) + word;
  return quote(out);
}

const char* kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::kNone:
      return "none";
    case ValueKind::kNumber:
      return "number";
    case ValueKind::kText:
      return "text";
    case ValueKind::kChoice:
      return "choice";
    case ValueKind::kFile:
      return "file";
    case ValueKind::kPath:
      return "path";
  }
  return "text";
}

// The table the script looks options up in: one `case` arm per option, all its names.
std::string option_table(const std::vector<OptionInfo>& options) {
  std::string arms;
  for (const auto& option : options) {
    if (option.names.empty()) continue;
    std::string pattern;
    for (const auto& name : option.names) pattern += (pattern.empty() ? "" : "|") + quote(name);
    arms += "        " + pattern + ") kind=" + kind_name(option.value) +
            " list=" + (option.list ? "1" : "0");
    if (option.value == ValueKind::kChoice) arms += " choices=" + join_quoted(option.choices, " ");
    arms += " ;;\n";
  }
  return arms;
}

std::vector<std::string> all_names(const std::vector<OptionInfo>& options) {
  std::vector<std::string> names;
  for (const auto& option : options)
    names.insert(names.end(), option.names.begin(), option.names.end());
  return names;
}

constexpr const char* kHeader =
    R"(# bash completion for nst, made from its option table by `nst --completion bash`.

# Sets kind (none, number, text, choice, file or path; empty for an unknown word), list (1 when
# the option takes several values) and choices for the option named $1.
_nst_option()
{
    kind= list=0 choices=
    case $1 in
)";

// Comments inside the script say why for whoever reads the installed file.
constexpr const char* kFunction = R"(    esac
}

_nst()
{
    local cur=${COMP_WORDS[COMP_CWORD]} cword=$COMP_CWORD opt= prefix= head= is_value=0
    local kind list choices i names=%NAMES%
    COMPREPLY=()
    # Find the option whose value this word is. bash splits --opt=value at '=' (it is in
    # COMP_WORDBREAKS) into --opt, = and value; with '=' taken out of it, the word stays whole.
    if [[ $cur == = ]] && ((cword > 0)); then
        opt=${COMP_WORDS[cword-1]} cur= is_value=1
    elif ((cword > 1)) && [[ ${COMP_WORDS[cword-1]} == = ]]; then
        opt=${COMP_WORDS[cword-2]} is_value=1
    elif [[ $cur == -*=* ]]; then
        opt=${cur%%=*} prefix=${cur%%=*}= cur=${cur#*=} is_value=1
    elif [[ $cur != -* ]]; then
        # The nearest option before the word takes it if it came just before, or if it
        # takes several values (-c a.jpg b.jpg).
        for ((i = cword - 1; i > 0; i--)); do
            if [[ ${COMP_WORDS[i]} == -* ]]; then
                _nst_option "${COMP_WORDS[i]}"
                if ((i == cword - 1 || list)); then opt=${COMP_WORDS[i]}; fi
                break
            fi
        done
    fi
    if [[ -n $opt ]]; then
        _nst_option "$opt"
        case $kind in
            choice)
                # A list of choices is comma-separated: complete the last item.
                if ((list)) && [[ $cur == *,* ]]; then
                    head=${cur%,*}, cur=${cur##*,}
                fi
                mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$cur")
                ;;
            file | path)
                if declare -F _filedir >/dev/null; then
                    _filedir  # bash-completion's: quoting, ~ and folders done right
                else
                    compopt -o filenames 2>/dev/null
                    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                fi
                ;;
            number | text) return 0 ;;  # nothing to suggest: any file name would mislead
        esac
        if [[ $kind != none && -n $kind ]] || ((is_value)); then
            # bash replaces the whole word: give back what was taken off its front.
            for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=$prefix$head${COMPREPLY[i]}; done
            return 0
        fi
    fi
    # nst takes no operands, so a bare word can only start an option.
    if [[ -z $cur || $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$names" -- "$cur")
    fi
    return 0
}

complete -F _nst nst
)";

}  // namespace

std::string bash_completion(const std::vector<OptionInfo>& options) {
  std::string function = kFunction;
  const std::string marker = "%NAMES%";
  function.replace(function.find(marker), marker.size(), join_quoted(all_names(options), " "));
  return kHeader + option_table(options) + function;
}

}  // namespace nst::cli
