#include "nst/cli/options_page.h"

#include <sstream>

namespace nst::cli {
namespace {

// A table cell: pipes escaped, lines joined, so that any help text stays inside its cell.
std::string cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \n") - first + 1);
}

}  // namespace

std::string options_markdown(const CLI::App& app) {
  std::ostringstream page;
  page
      << "# Options\n\n"
      << "Every option of `nst`, as `nst --help` gives them. This page is the output of the hidden "
         "`nst --options-markdown`, made from the same declarations as `--help`; the test "
         "`doc.options_current` fails when it is stale, and `cmake --build build --target "
         "nst_options_doc` writes it anew. Back to the [README](../README.md).\n\n"
      << app.get_description() << "\n\n"
      << "| option | value (type, allowed values, default) | meaning |\n"
      << "| --- | --- | --- |\n";
  // CLI11's own formatter, as --help uses it (the app keeps only its base class).
  const CLI::Formatter formatter;
  // Options in the order they were declared; those without a group are hidden from --help.
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_group().empty()) continue;
    const std::string value = trimmed(formatter.make_option_opts(option));
    page << "| `" << cell(option->get_name(false, true)) << "` | "
         << (value.empty() ? "" : "`" + cell(value) + "`") << " | "
         << cell(option->get_description()) << " |\n";
  }
  page << "\n## Presets, inputs, outputs, exit codes and examples\n\n"
       << "```text\n"
       << trimmed(app.get_footer()) << "\n"
       << "```\n";
  return page.str();
}

}  // namespace nst::cli
