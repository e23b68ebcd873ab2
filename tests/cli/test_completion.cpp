// The bash completion script, run in bash as readline would run it: COMP_WORDS and COMP_CWORD
// set, _nst called, COMPREPLY read back.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "nst/cli/completion.h"
#include "test_helpers.h"

namespace nst::cli {
namespace {
namespace fs = std::filesystem;
using test::shell_quote;
using Words = std::vector<std::string>;

// Loads bash-completion first when asked (its _filedir), then the script; completes the last
// of the words given and prints each reply on a line.
constexpr const char* kDriver = R"(script=$1 library=$2
shift 2
if [ -n "$library" ]; then source "$library" || exit 3; fi
source "$script" || exit 4
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_nst || exit 5
for reply in "${COMPREPLY[@]}"; do printf '%s\n' "$reply"; done
)";

constexpr const char* kBashCompletion = "/usr/share/bash-completion/bash_completion";

std::vector<OptionInfo> sample_options() {
  return {
      {{"-c", "--content"}, "Content images", ValueKind::kPath, {}, true},
      {{"-o", "--output"}, "Output file", ValueKind::kFile, {}, false},
      {{"--preset"}, "Settings", ValueKind::kChoice, {"default", "tutorial", "fast"}, false},
      {{"--progress"}, "Progress", ValueKind::kChoice, {"auto", "bar", "plain"}, false},
      {{"--style-layers"}, "Layers", ValueKind::kChoice, {"relu1_1", "relu2_1", "relu3_1"}, true},
      {{"--size"}, "Size", ValueKind::kNumber, {}, false},
      {{"--init"}, "Start", ValueKind::kText, {}, false},
      {{"--recursive"}, "Sub-folders", ValueKind::kNone, {}, false},
  };
}

class Completion : public testing::Test {
 protected:
  void SetUp() override {
    test::write_bytes(script_, bash_completion(sample_options()));
    test::write_bytes(driver_, kDriver);
    fs::create_directory(dir_.path() / "images");
    fs::create_directory(dir_.path() / "images" / "sub");
    for (const char* name : {"alpha.jpg", "beta.png", "beach.png"}) {
      test::write_bytes((dir_.path() / "images" / name).string(), "x");
    }
  }

  // The sorted replies to `words` (the last is the word being completed).
  Words complete(const Words& words, const std::string& library = "") const {
    std::string command = "cd " + shell_quote(dir_.path().string()) + " && bash " +
                          shell_quote(driver_) + " " + shell_quote(script_) + " " +
                          shell_quote(library);
    for (const auto& word : words) command += " " + shell_quote(word);
    const auto result = test::run_command(command);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    Words replies;
    std::istringstream lines(result.output);
    for (std::string line; std::getline(lines, line);) replies.push_back(line);
    std::sort(replies.begin(), replies.end());
    return replies;
  }

  test::TempDir dir_;
  std::string script_ = dir_.file("nst.bash");
  std::string driver_ = dir_.file("driver.sh");
};

TEST_F(Completion, ScriptIsValidBash) {
  const auto result = test::run_command("bash -n " + shell_quote(script_));
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(Completion, OptionPrefix) {
  EXPECT_EQ(complete({"nst", "--pr"}), (Words{"--preset", "--progress"}));
  EXPECT_EQ(complete({"nst", "--pres"}), (Words{"--preset"}));
  // Every name of an option is offered.
  EXPECT_EQ(complete({"nst", "--recursive", "-"}).size(), 10u);
  EXPECT_EQ(complete({"nst", "-c"}), (Words{"-c"}));
  EXPECT_EQ(complete({"nst", "--cont"}), (Words{"--content"}));
}

TEST_F(Completion, ChoiceAfterChoiceOption) {
  EXPECT_EQ(complete({"nst", "--preset", "t"}), (Words{"tutorial"}));
  EXPECT_EQ(complete({"nst", "--preset", ""}), (Words{"default", "fast", "tutorial"}));
  EXPECT_EQ(complete({"nst", "--progress", "b"}), (Words{"bar"}));
  // A list of choices: the item after the last comma.
  EXPECT_EQ(complete({"nst", "--style-layers", "relu1_1,relu2"}), (Words{"relu1_1,relu2_1"}));
}

TEST_F(Completion, EqualsForm) {
  // bash splits at '=' by default (COMP_WORDBREAKS): --preset, =, value.
  EXPECT_EQ(complete({"nst", "--preset", "=", "f"}), (Words{"fast"}));
  EXPECT_EQ(complete({"nst", "--preset", "="}), (Words{"default", "fast", "tutorial"}));
  // Without '=' in COMP_WORDBREAKS the word stays whole, and so must the replies.
  EXPECT_EQ(complete({"nst", "--preset=t"}), (Words{"--preset=tutorial"}));
  EXPECT_EQ(complete({"nst", "--output=images/al"}), (Words{"--output=images/alpha.jpg"}));
  EXPECT_EQ(complete({"nst", "--size=1"}), Words{});
}

TEST_F(Completion, FilesAfterFileOption) {
  EXPECT_EQ(complete({"nst", "-o", "images/be"}), (Words{"images/beach.png", "images/beta.png"}));
  EXPECT_EQ(complete({"nst", "--content", "images/"}),
            (Words{"images/alpha.jpg", "images/beach.png", "images/beta.png", "images/sub"}));
  // Options that take several files take the next word too.
  EXPECT_EQ(complete({"nst", "-c", "images/alpha.jpg", "images/a"}), (Words{"images/alpha.jpg"}));
  // Numbers and free text: nothing, rather than file names.
  EXPECT_EQ(complete({"nst", "--size", ""}), Words{});
  EXPECT_EQ(complete({"nst", "--init", ""}), Words{});
  // A flag takes no value: the next word is an option.
  EXPECT_EQ(complete({"nst", "--recursive", "images/"}), Words{});
}

TEST_F(Completion, FilesWithBashCompletion) {
  if (!fs::exists(kBashCompletion)) GTEST_SKIP() << kBashCompletion << " is not installed";
  EXPECT_EQ(complete({"nst", "-o", "images/be"}, kBashCompletion),
            (Words{"images/beach.png", "images/beta.png"}));
  EXPECT_EQ(complete({"nst", "--output", "=", "images/al"}, kBashCompletion),
            (Words{"images/alpha.jpg"}));
  EXPECT_EQ(complete({"nst", "--preset", "f"}, kBashCompletion), (Words{"fast"}));
}

}  // namespace
}  // namespace nst::cli
