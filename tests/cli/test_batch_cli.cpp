// End-to-end tests of batch runs of the `nst` program: folders of inputs, output names,
// reruns, shards, reports, progress events and interrupts, on the random-weight model.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nst/engine/settings.h"
#include "test_images.h"

extern char** environ;

namespace nst {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using test::shell_quote;
using Strings = std::vector<std::string>;
using Clock = std::chrono::steady_clock;

const std::string kModel = NST_TEST_MODEL;
// Small and short: these tests check the batch's bookkeeping, not the painting.
const std::string kQuick = " --size 32 --iterations 3 --model " + shell_quote(kModel) + " ";

// What a run printed on each stream, and its exit status.
struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::string all() const { return out + err; }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

#define EXPECT_CONTAINS(text, part) \
  EXPECT_TRUE(contains(text, part)) << "expected '" << (part) << "' in:\n" << (text)

Strings lines_of(const std::string& text) {
  Strings lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Every file under `folder`, as paths relative to it, sorted.
Strings tree(const fs::path& folder) {
  Strings names;
  if (!fs::exists(folder)) return names;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    names.push_back(fs::relative(entry.path(), folder).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

json parse_json(const std::string& text) {
  return json::parse(text, nullptr, false);
}

bool is_png(const std::string& path) {
  return test::read_bytes(path).rfind("\x89PNG\r\n\x1a\n", 0) == 0;
}

bool is_jpeg(const std::string& path) {
  return test::read_bytes(path).rfind("\xff\xd8\xff", 0) == 0;
}

bool is_hex64(const json& value) {
  return value.is_string() &&
         std::regex_match(value.get<std::string>(), std::regex("[0-9a-f]{64}"));
}

// Statuses of a report's jobs, in order.
Strings statuses(const json& report) {
  Strings result;
  for (const auto& job : report["jobs"]) result.push_back(job["status"].get<std::string>());
  return result;
}

// Bytes that no image decoder accepts, always the same.
std::string garbage(size_t size) {
  std::mt19937 random(12345);
  std::string bytes(size, '\0');
  for (auto& byte : bytes) byte = static_cast<char>(random() & 0xff);
  bytes[0] = 'X';  // never a format's signature
  return bytes;
}

// `nst` as a child process of the test, with stdout and stderr sent to files, so that it can be
// signalled and its exit status read.
class Child {
 public:
  Child(const Strings& arguments, const fs::path& folder, const std::string& out,
        const std::string& err) {
    // Everything the child needs is prepared before fork: after it only async-signal-safe
    // calls are allowed.
    std::vector<std::string> args = {NST_BINARY};
    args.insert(args.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (char** e = environ; *e; ++e) {
      if (std::string(*e).rfind("NST_MODEL=", 0) != 0) envp.push_back(*e);
    }
    envp.push_back(nullptr);
    const std::string cwd = folder.string();
    const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out_fd < 0 || err_fd < 0) throw std::runtime_error("cannot open the child's log files");
    pid_ = fork();
    if (pid_ == 0) {
      if (chdir(cwd.c_str()) != 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
          dup2(err_fd, STDERR_FILENO) < 0) {
        _exit(126);
      }
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    close(out_fd);
    close(err_fd);
    if (pid_ < 0) throw std::runtime_error("fork failed");
  }

  ~Child() {
    if (exit_code_ == kRunning) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Whether it is still running; reaps it if not.
  bool running() {
    if (exit_code_ != kRunning) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
    return false;
  }

  void signal(int number) const { kill(pid_, number); }

  // The exit status (1000 + signal if killed by one), or -1 if it runs past `limit`.
  int wait(std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (running()) {
      if (Clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return exit_code_;
  }

 private:
  static constexpr int kRunning = -2;
  pid_t pid_ = -1;
  int exit_code_ = kRunning;
};

class BatchCli : public testing::Test {
 protected:
  // Full path of `relative` under the run's folder.
  std::string at(const std::string& relative) const { return (root_ / relative).string(); }

  void image(const std::string& relative, const cv::Mat& pixels) const {
    fs::create_directories(fs::path(at(relative)).parent_path());
    test::write_image(at(relative), pixels);
  }

  // contents/{a.png 96×72, b.png 72×96, bad.jpg (garbage), notes.txt} and
  // styles/{x.png, y.png}.
  void mixed_inputs() const {
    image("contents/a.png", test::gradient_image(96, 72));
    image("contents/b.png", test::gradient_image(72, 96));
    test::write_bytes(at("contents/bad.jpg"), garbage(600));
    test::write_bytes(at("contents/notes.txt"), "not an image\n");
    styles();
  }

  void styles() const {
    image("styles/x.png", test::stripes_image(64, 64));
    image("styles/y.png", test::stripes_image(48, 64));
  }

  // contents/{a.png, b.png} 48×36, for runs at --size 32.
  void small_contents() const {
    image("contents/a.png", test::gradient_image(48, 36));
    image("contents/b.png", test::gradient_image(36, 48));
  }

  // Runs nst in the run's folder without $NST_MODEL (unless `environment` sets it), keeping
  // stdout and stderr apart.
  Outcome nst(const std::string& arguments, const std::string& environment = "") const {
    const std::string err = (logs_.path() / ("err" + std::to_string(runs_++))).string();
    const auto result = test::run_command(
        "cd " + shell_quote(root_.string()) + " && env -u NST_MODEL " + environment + " " +
        shell_quote(NST_BINARY) + " " + arguments + " 2>" + shell_quote(err));
    return {result.exit_code, result.output, test::read_bytes(err)};
  }

  // The report at `relative`, or null (with a failure) if it is missing or not JSON.
  json report(const std::string& relative) const {
    const std::string text = test::read_bytes(at(relative));
    const json parsed = parse_json(text);
    if (parsed.is_discarded() || !parsed.is_object()) {
      ADD_FAILURE() << "no valid report at " << relative << ":\n" << text;
      return json();
    }
    return parsed;
  }

  // Starts nst in the run's folder and waits until its first iteration is reported on stderr
  // (it must be run with --progress json --print-every 1). Returns the stderr file's path.
  std::string start_and_wait_for_iteration(std::unique_ptr<Child>& child,
                                           const Strings& arguments) const {
    const std::string err = (logs_.path() / ("err" + std::to_string(runs_++))).string();
    child = std::make_unique<Child>(arguments, root_, err + ".out", err);
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (!contains(test::read_bytes(err), "\"event\":\"iteration\"")) {
      if (!child->running() || Clock::now() > deadline) {
        ADD_FAILURE() << "no iteration event; stderr:\n" << test::read_bytes(err);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return err;
  }

  test::TempDir dir_;
  test::TempDir logs_;
  fs::path root_ = dir_.path();
  mutable int runs_ = 0;
};

// Contents × styles, with a corrupt content and a file that is not an image.
TEST_F(BatchCli, FoldersOfContentsAndStyles) {
  mixed_inputs();
  const auto run = nst("-c contents -s styles -o out --size 64 --iterations 3 --model " +
                       shell_quote(kModel) + " --report run.json");
  EXPECT_EQ(run.exit_code, 2) << run.all();
  const Strings outputs = {"a_x.png", "a_y.png", "b_x.png", "b_y.png"};
  EXPECT_EQ(test::list_folder(at("out")), outputs);
  EXPECT_CONTAINS(run.err, "contents/bad.jpg");
  EXPECT_CONTAINS(run.err, "contents/notes.txt");
  EXPECT_CONTAINS(run.err, "skipping");

  const json r = report("run.json");
  ASSERT_FALSE(r.is_null());
  EXPECT_EQ(r["tool"], "nst");
  EXPECT_TRUE(r["version"].is_string() && !r["version"].get<std::string>().empty());
  EXPECT_EQ(r["model"]["path"], kModel);
  EXPECT_TRUE(is_hex64(r["model"]["sha256"])) << r["model"];
  EXPECT_TRUE(r["device"].is_string() && !r["device"].get<std::string>().empty());
  EXPECT_TRUE(r["precision"].is_string());
  EXPECT_GT(r["threads"].get<int>(), 0);
  EXPECT_EQ(r["status"], "failed");
  EXPECT_EQ(r["exit_code"], 2);
  EXPECT_TRUE(std::regex_match(r["started_at"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << r["started_at"];
  EXPECT_GT(r["seconds"].get<double>(), 0);
  const json& options = r["options"];
  EXPECT_EQ(options["size"], 64);
  EXPECT_EQ(options["iterations"], 3);
  for (const char* key : {"content_layers", "style_layers", "content_weight", "style_weight",
                          "learning_rate", "seed"}) {
    EXPECT_TRUE(options.contains(key)) << key << " in " << options;
  }
  // Every setting under its key, and the scales they make: nothing else.
  EXPECT_EQ(options.size(), nst::settings().size() + 1) << options;
  for (const auto& setting : nst::settings()) {
    EXPECT_TRUE(options.contains(setting.key)) << setting.key << " in " << options;
  }
  EXPECT_EQ(options["scales"], json::array({64}));
  EXPECT_TRUE(options["content_layers"].is_array() && !options["content_layers"].empty());
  EXPECT_TRUE(options["style_layers"].is_array() && !options["style_layers"].empty());
  EXPECT_TRUE(r["batch"].is_object());
  EXPECT_TRUE(r["shard"].is_null());
  EXPECT_EQ(r["counts"]["done"], 4);
  EXPECT_EQ(r["counts"]["failed"], 2);
  EXPECT_EQ(r["counts"]["pending"], 0);

  ASSERT_EQ(r["jobs"].size(), 6u);
  EXPECT_EQ(statuses(r), (Strings{"done", "done", "done", "done", "failed", "failed"}));
  const std::map<std::string, cv::Size> content_sizes = {{"contents/a.png", {64, 48}},
                                                         {"contents/b.png", {48, 64}}};
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE("job " + std::to_string(i));
    const json& job = r["jobs"][i];
    EXPECT_EQ(job["index"], i);
    const std::string content = job["content"]["path"];
    const std::string output = "out/" + outputs[i];
    ASSERT_EQ(content_sizes.count(content), 1u) << content;
    const cv::Size size = content_sizes.at(content);
    EXPECT_EQ(job["output"], output);
    EXPECT_EQ(job["written"], output);
    EXPECT_TRUE(job["seed"].is_number());
    for (const char* input : {"content", "style"}) {
      const json& info = job[input];
      EXPECT_TRUE(is_hex64(info["sha256"])) << info;
      EXPECT_EQ(info["bytes"], fs::file_size(at(info["path"].get<std::string>()))) << info;
    }
    EXPECT_EQ(job["content"]["width"], size.width);
    EXPECT_EQ(job["content"]["height"], size.height);
    EXPECT_EQ(job["style"]["path"], i % 2 == 0 ? "styles/x.png" : "styles/y.png");
    EXPECT_EQ(std::max(job["style"]["width"].get<int>(), job["style"]["height"].get<int>()), 64);
    ASSERT_FALSE(job["scales"].empty());
    const json& scale = job["scales"][0];
    for (const char* key : {"loss", "content_loss", "style_loss"}) {
      EXPECT_TRUE(scale[key].is_number()) << key;
    }
    EXPECT_GT(scale["loss"].get<double>(), 0);
    EXPECT_EQ(scale["iterations"], 3);
    EXPECT_EQ(scale["width"], size.width);
    EXPECT_EQ(scale["height"], size.height);
    EXPECT_EQ(job["iterations"], 3);
    // The loss history, as often as the progress lines: a tenth of 3 steps is every step.
    ASSERT_EQ(job["losses"].size(), 3u) << job["losses"];
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(job["losses"][k]["iteration"], k + 1);
      EXPECT_GT(job["losses"][k]["loss"].get<double>(), 0);
    }
    EXPECT_GT(job["seconds"].get<double>(), 0);
    EXPECT_GT(job["peak_memory_bytes"].get<double>(), 0);
    EXPECT_TRUE(job["peak_gpu_memory_bytes"].is_null());  // run on the CPU

    EXPECT_TRUE(is_png(at(output)));
    const cv::Mat written = cv::imread(at(output), cv::IMREAD_UNCHANGED);
    EXPECT_EQ(written.size(), size);
  }
  for (size_t i = 4; i < 6; ++i) {
    const json& job = r["jobs"][i];
    EXPECT_EQ(job["content"]["path"], "contents/bad.jpg");
    EXPECT_CONTAINS(job["reason"].get<std::string>(), "bad.jpg");
    EXPECT_TRUE(job["written"].is_null());
    EXPECT_TRUE(job["losses"].empty());
    EXPECT_FALSE(fs::exists(at(job["output"].get<std::string>())));
  }
}

// Reruns: --skip-existing does only what is left, no flag changes nothing, --overwrite
// replaces.
TEST_F(BatchCli, RerunsSkipRefuseOrOverwrite) {
  mixed_inputs();
  const std::string command = "-c contents -s styles -o out" + kQuick;
  ASSERT_EQ(nst(command).exit_code, 2);
  const Strings outputs = {"a_x.png", "a_y.png", "b_x.png", "b_y.png"};
  ASSERT_EQ(test::list_folder(at("out")), outputs);
  // An old time stamp shows whether a file was written again, whatever the clock's resolution.
  const auto old = fs::file_time_type::clock::now() - std::chrono::hours(1);
  std::map<std::string, std::string> bytes;
  for (const auto& name : outputs) {
    fs::last_write_time(at("out/" + name), old);
    bytes[name] = test::read_bytes(at("out/" + name));
  }
  const auto expect_unchanged = [&] {
    EXPECT_EQ(test::list_folder(at("out")), outputs);
    for (const auto& name : outputs) {
      EXPECT_EQ(fs::last_write_time(at("out/" + name)), old) << name;
      EXPECT_EQ(test::read_bytes(at("out/" + name)), bytes[name]) << name;
    }
  };

  const auto skipped = nst(command + "--skip-existing --report skip.json");
  EXPECT_EQ(skipped.exit_code, 2) << skipped.all();
  expect_unchanged();
  const json r = report("skip.json");
  EXPECT_EQ(statuses(r), (Strings{"skipped", "skipped", "skipped", "skipped", "failed", "failed"}));
  EXPECT_EQ(r["counts"]["skipped"], 4);
  EXPECT_EQ(r["counts"]["failed"], 2);

  const auto refused = nst(command);
  EXPECT_EQ(refused.exit_code, 1) << refused.all();
  EXPECT_CONTAINS(refused.err, "--overwrite");
  EXPECT_CONTAINS(refused.err, "out/a_x.png");
  expect_unchanged();

  const auto replaced = nst(command + "--overwrite");
  EXPECT_EQ(replaced.exit_code, 2) << replaced.all();
  EXPECT_EQ(test::list_folder(at("out")), outputs);
  for (const auto& name : outputs) {
    EXPECT_GT(fs::last_write_time(at("out/" + name)), old) << name;
    EXPECT_FALSE(cv::imread(at("out/" + name)).empty()) << name;
  }
}

// Shards together cover the batch exactly once.
TEST_F(BatchCli, ShardsCoverTheBatchOnce) {
  small_contents();
  styles();
  std::multiset<std::string> written;
  for (int shard = 0; shard < 2; ++shard) {
    SCOPED_TRACE("shard " + std::to_string(shard));
    const std::string report_name = "shard" + std::to_string(shard) + ".json";
    const auto run = nst("-c contents -s styles -o out" + kQuick + "--shard " +
                         std::to_string(shard) + "/2 --report " + report_name);
    EXPECT_EQ(run.exit_code, 0) << run.all();
    const json r = report(report_name);
    EXPECT_EQ(r["shard"], std::to_string(shard) + "/2");
    ASSERT_EQ(r["jobs"].size(), 2u);
    for (const auto& job : r["jobs"]) {
      EXPECT_EQ(job["index"].get<int>() % 2, shard) << job["index"];
      EXPECT_EQ(job["status"], "done");
      written.insert(job["output"].get<std::string>());
    }
  }
  EXPECT_EQ(written, (std::multiset<std::string>{"out/a_x.png", "out/a_y.png", "out/b_x.png",
                                                 "out/b_y.png"}));
  EXPECT_EQ(test::list_folder(at("out")), (Strings{"a_x.png", "a_y.png", "b_x.png", "b_y.png"}));

  for (const char* shard : {"2/2", "abc", "1/0", "-1/2"}) {
    SCOPED_TRACE(shard);
    const auto run = nst("-c contents -s styles -o rejected" + kQuick + "--shard " + shard);
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_CONTAINS(run.all(), "shard");
    EXPECT_FALSE(fs::exists(at("rejected")));
  }
}

// Output templates make folders and keep the content's format.
TEST_F(BatchCli, TemplateMakesFoldersAndKeepsTheFormat) {
  image("photos/a.jpg", test::gradient_image(48, 36));
  image("photos/b.jpg", test::gradient_image(36, 48));
  styles();
  const auto run = nst("-c photos -s styles -o 'res/{style}/{index}_{content}.{ext}'" + kQuick);
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_EQ(tree(at("res")),
            (Strings{"x", "x/0_a.jpg", "x/2_b.jpg", "y", "y/1_a.jpg", "y/3_b.jpg"}));
  for (const char* name : {"res/x/0_a.jpg", "res/y/1_a.jpg", "res/x/2_b.jpg", "res/y/3_b.jpg"}) {
    EXPECT_TRUE(is_jpeg(at(name))) << name;
    EXPECT_FALSE(cv::imread(at(name)).empty()) << name;
  }
}

TEST_F(BatchCli, TemplateIndexIsZeroPadded) {
  for (int i = 0; i < 11; ++i)
    image("many/c" + std::to_string(i) + ".png", test::gradient_image(8, 8));
  styles();
  const auto run = nst(
      "-c many -s styles/x.png -o 'res/{index}_{content}.png' --dry-run --model /nonexistent.pt");
  EXPECT_EQ(run.exit_code, 0) << run.all();
  // Folders list by name: c0, c1, c10, c2, ...
  EXPECT_CONTAINS(run.out, "-> 'res/00_c0.png'");
  EXPECT_CONTAINS(run.out, "-> 'res/01_c1.png'");
  EXPECT_CONTAINS(run.out, "-> 'res/02_c10.png'");
  EXPECT_CONTAINS(run.out, "-> 'res/10_c9.png'");
}

TEST_F(BatchCli, TwoJobsWritingOneFileStopBeforeAnyWork) {
  image("one/a.png", test::gradient_image(48, 36));
  image("two/a.png", test::gradient_image(36, 48));
  styles();
  const auto run = nst("-c one two -s styles/x.png -o 'res/{content}.png'" + kQuick);
  EXPECT_EQ(run.exit_code, 1) << run.all();
  EXPECT_CONTAINS(run.err, "would both write");
  EXPECT_CONTAINS(run.err, "one/a.png");
  EXPECT_CONTAINS(run.err, "two/a.png");
  EXPECT_CONTAINS(run.err, "res/a.png");
  EXPECT_FALSE(fs::exists(at("res")));
}

TEST_F(BatchCli, OneOutputFileForSeveralJobsIsRefused) {
  small_contents();
  styles();
  const auto run = nst("-c contents -s styles/x.png -o x.png" + kQuick);
  EXPECT_EQ(run.exit_code, 1) << run.all();
  EXPECT_CONTAINS(run.err, "x.png");
  EXPECT_CONTAINS(run.err, "folder");
  EXPECT_CONTAINS(run.err, "template");
  EXPECT_FALSE(fs::exists(at("x.png")));
}

TEST_F(BatchCli, GlobPatterns) {
  small_contents();
  image("contents/c.jpg", test::gradient_image(48, 36));
  styles();
  const auto run = nst("-c 'contents/*.png' -s 'styles/[x]*' -o out" + kQuick);
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_EQ(test::list_folder(at("out")), (Strings{"a_x.png", "b_x.png"}));

  const auto none = nst("-c 'contents/*.webp' -s styles -o none --dry-run");
  EXPECT_EQ(none.exit_code, 1) << none.all();
  EXPECT_CONTAINS(none.err, "contents/*.webp");
}

TEST_F(BatchCli, RecursiveDescendsIntoSubFolders) {
  image("tree/a.png", test::gradient_image(48, 36));
  image("tree/sub/b.png", test::gradient_image(48, 36));
  styles();
  const auto flat = nst("-c tree -s styles/x.png -o out --dry-run");
  EXPECT_EQ(flat.exit_code, 0) << flat.all();
  EXPECT_CONTAINS(flat.out, "'tree/a.png'");
  EXPECT_FALSE(contains(flat.out, "b.png")) << flat.out;
  EXPECT_CONTAINS(flat.err, "tree/sub");
  EXPECT_CONTAINS(flat.err, "--recursive");

  const auto deep = nst("-c tree -s styles/x.png -o out --recursive" + kQuick);
  EXPECT_EQ(deep.exit_code, 0) << deep.all();
  EXPECT_EQ(test::list_folder(at("out")), (Strings{"a_x.png", "b_x.png"}));
}

// A dry run lists the jobs and touches nothing, without a model.
TEST_F(BatchCli, DryRunNeedsNoModelAndWritesNothing) {
  small_contents();
  styles();
  const Strings before = tree(root_);
  const auto run = nst("-c contents -s styles -o out --dry-run --model /nonexistent.pt");
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_EQ(tree(root_), before);
  const std::vector<std::pair<std::string, std::string>> jobs = {{"contents/a.png", "out/a_x.png"},
                                                                 {"contents/a.png", "out/a_y.png"},
                                                                 {"contents/b.png", "out/b_x.png"},
                                                                 {"contents/b.png", "out/b_y.png"}};
  const Strings lines = lines_of(run.out);
  ASSERT_GE(lines.size(), jobs.size()) << run.out;
  for (size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_CONTAINS(lines[i], "job " + std::to_string(i));
    EXPECT_CONTAINS(lines[i], "'" + jobs[i].first + "'");
    EXPECT_CONTAINS(lines[i], "-> '" + jobs[i].second + "'");
    // and how it would be computed, from the header alone
    EXPECT_CONTAINS(lines[i], " whole, about ");
  }
}

// SIGINT keeps the current job as .partial and leaves the rest pending.
TEST_F(BatchCli, InterruptSavesThePartialResult) {
  image("contents/a.png", test::gradient_image(96, 72));
  image("contents/b.png", test::gradient_image(96, 72));
  styles();
  std::unique_ptr<Child> child;
  const std::string err = start_and_wait_for_iteration(
      child,
      {"-c", "contents", "-s", "styles/x.png", "-o", "out", "--size", "64", "--iterations", "2000",
       "--model", kModel, "--progress", "json", "--print-every", "1", "--report", "run.json"});
  child->signal(SIGINT);
  const int exit_code = child->wait(std::chrono::seconds(60));
  EXPECT_EQ(exit_code, 130) << test::read_bytes(err);

  // The image so far and where it stands; no temporary files.
  EXPECT_EQ(test::list_folder(at("out")), (Strings{"a_x.partial.json", "a_x.partial.png"}));
  const cv::Mat partial = cv::imread(at("out/a_x.partial.png"), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(partial.size(), cv::Size(64, 48));
  for (const auto& name : test::list_folder(root_)) EXPECT_NE(name[0], '.') << name;

  const json r = report("run.json");
  ASSERT_FALSE(r.is_null());
  EXPECT_EQ(r["status"], "interrupted");
  EXPECT_EQ(r["exit_code"], 130);
  EXPECT_EQ(statuses(r), (Strings{"interrupted", "pending"}));
  const json& first = r["jobs"][0];
  EXPECT_EQ(first["output"], "out/a_x.png");
  EXPECT_EQ(first["written"], "out/a_x.partial.png");
  EXPECT_GE(first["iterations"].get<int>(), 1);
  EXPECT_LT(first["iterations"].get<int>(), 2000);
  EXPECT_TRUE(r["jobs"][1]["written"].is_null());
  EXPECT_EQ(r["counts"]["interrupted"], 1);
  EXPECT_EQ(r["counts"]["pending"], 1);

  // Resuming does what is left; the finished job's output supersedes its .partial.
  const auto resumed = nst("-c contents -s styles/x.png -o out --size 64 --iterations 3 --model " +
                           shell_quote(kModel) + " --skip-existing");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.all();
  EXPECT_EQ(test::list_folder(at("out")), (Strings{"a_x.png", "b_x.png"}));
}

// SIGTERM keeps the current job as .partial; the same command again says it resumes it.
TEST_F(BatchCli, TerminateExits143AndTheSameCommandResumes) {
  small_contents();
  styles();
  std::unique_ptr<Child> child;
  const std::string err = start_and_wait_for_iteration(
      child,
      {"-c", "contents", "-s", "styles/x.png", "-o", "out", "--size", "32", "--iterations", "120",
       "--model", kModel, "--progress", "json", "--print-every", "1", "--report", "run.json"});
  child->signal(SIGTERM);
  EXPECT_EQ(child->wait(std::chrono::seconds(60)), 143) << test::read_bytes(err);
  EXPECT_EQ(test::list_folder(at("out")), (Strings{"a_x.partial.json", "a_x.partial.png"}));
  const json r = report("run.json");
  EXPECT_EQ(r["status"], "interrupted");
  EXPECT_EQ(r["exit_code"], 143);
  EXPECT_EQ(statuses(r), (Strings{"interrupted", "pending"}));
  const int64_t reached = r["jobs"][0]["iterations"].get<int64_t>();

  const auto resumed =
      nst("-c contents -s styles/x.png -o out --size 32 --iterations 120 "
          "--progress plain --model " +
          shell_quote(kModel));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.all();
  EXPECT_TRUE(contains(resumed.err, "job 1/2: resuming 'out/a_x.png' after iteration " +
                                        std::to_string(reached) + ", from 'out/a_x.partial.png'"))
      << resumed.err;
  EXPECT_EQ(test::list_folder(at("out")), (Strings{"a_x.png", "b_x.png"}));
}

// With --progress json, stderr is for programs: the interrupt notice must be JSON too.
TEST_F(BatchCli, InterruptNoticeKeepsJsonProgressParseable) {
  small_contents();
  styles();
  std::unique_ptr<Child> child;
  const std::string err = start_and_wait_for_iteration(
      child,
      {"-c", "contents/a.png", "-s", "styles/x.png", "-o", "out/a.png", "--size", "32",
       "--iterations", "100000", "--model", kModel, "--progress", "json", "--print-every", "1"});
  child->signal(SIGINT);
  EXPECT_EQ(child->wait(std::chrono::seconds(60)), 130);
  for (const auto& line : lines_of(test::read_bytes(err))) {
    EXPECT_FALSE(parse_json(line).is_discarded()) << "not JSON: '" << line << "'";
  }
}

// The time limit cuts a job short and keeps its result.
TEST_F(BatchCli, TimeLimitCutsAJobShort) {
  small_contents();
  styles();
  const auto run =
      nst("-c contents/a.png -s styles/x.png -o out/a.png --size 32 --iterations "
          "100000 --time-limit 0.5 --report run.json --model " +
          shell_quote(kModel));
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_TRUE(is_png(at("out/a.png")));
  const json r = report("run.json");
  EXPECT_EQ(r["status"], "done");
  ASSERT_EQ(r["jobs"].size(), 1u);
  const json& job = r["jobs"][0];
  EXPECT_EQ(job["status"], "cut short");
  EXPECT_EQ(job["written"], "out/a.png");
  EXPECT_CONTAINS(job["reason"].get<std::string>(), "time limit");
  EXPECT_GT(job["iterations"].get<int>(), 0);
  EXPECT_LT(job["iterations"].get<int>(), 100000);
  EXPECT_EQ(r["counts"]["cut short"], 1);
}

// --save-every writes intermediate images beside the output.
TEST_F(BatchCli, SaveEveryWritesIntermediateImages) {
  small_contents();
  styles();
  const auto run =
      nst("-c contents/a.png -s styles/x.png -o out/a.png --size 32 --iterations 5 "
          "--save-every 2 --model " +
          shell_quote(kModel));
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_EQ(test::list_folder(at("out")), (Strings{"a.iter00002.png", "a.iter00004.png", "a.png"}));
  for (const auto& name : test::list_folder(at("out"))) {
    EXPECT_EQ(cv::imread(at("out/" + name)).size(), cv::Size(32, 24)) << name;
  }
}

// --progress json: one event per line, in order.
TEST_F(BatchCli, JsonProgressEvents) {
  small_contents();
  styles();
  const auto run =
      nst("-c contents -s styles/x.png -o out" + kQuick + "--progress json --print-every 1");
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_EQ(run.out, "");
  Strings events;
  std::vector<json> parsed;
  for (const auto& line : lines_of(run.err)) {
    const json event = parse_json(line);
    ASSERT_FALSE(event.is_discarded()) << "not JSON: '" << line << "'";
    ASSERT_TRUE(event.contains("event")) << line;
    if (event["event"] != "log") {
      events.push_back(event["event"].get<std::string>());
      parsed.push_back(event);
    }
  }
  EXPECT_EQ(events,
            (Strings{"job_start", "iteration", "iteration", "iteration", "job_end", "job_start",
                     "iteration", "iteration", "iteration", "job_end", "run_end"}));
  ASSERT_EQ(parsed.size(), 11u);
  EXPECT_EQ(parsed[0]["index"], 0);
  EXPECT_EQ(parsed[0]["jobs"], 2);
  EXPECT_EQ(parsed[0]["output"], "out/a_x.png");
  EXPECT_EQ(parsed[3]["iteration"], 3);
  EXPECT_EQ(parsed[4]["status"], "done");
  EXPECT_EQ(parsed[5]["index"], 1);
  EXPECT_EQ(parsed[10]["exit_code"], 0);
  EXPECT_EQ(parsed[10]["counts"]["done"], 2);
}

// Without --print-every, a step is shown each time the job's work passes another tenth, work
// weighing each step by its scale's pixels: a coarse-to-fine chain's lines come evenly in time
// instead of crowding its cheap first scale.
TEST_F(BatchCli, DefaultProgressFollowsTheWorkAcrossScales) {
  small_contents();
  styles();
  // Scales of 32, 45 and 64 px with 20, 6 and 2 steps: the first scale's 20 steps are half
  // of the work, the last scale's 2 steps a fifth of it.
  const auto run =
      nst("-c contents/a.png -s styles/x.png -o out.png --size 64 --min-scale 32 "
          "--initial-iterations 20 --iterations 2 --progress json --model " +
          shell_quote(kModel));
  ASSERT_EQ(run.exit_code, 0) << run.all();
  std::vector<int64_t> shown;
  for (const auto& line : lines_of(run.err)) {
    const json event = parse_json(line);
    if (event.value("event", "") == "iteration") shown.push_back(event["iteration"].get<int64_t>());
  }
  ASSERT_FALSE(shown.empty()) << run.err;
  EXPECT_LE(shown.size(), 10u) << run.err;
  EXPECT_LE(std::count_if(shown.begin(), shown.end(), [](int64_t i) { return i <= 20; }), 5)
      << run.err;
  // Both steps of the last scale: the first passes nine tenths, the second ends the job.
  EXPECT_EQ(std::vector<int64_t>(shown.end() - 2, shown.end()), (std::vector<int64_t>{27, 28}))
      << run.err;
}

TEST_F(BatchCli, JsonProgressReportsErrorsAsJson) {
  small_contents();
  styles();
  const auto run =
      nst("-c contents -s styles/x.png -o out --progress json --model /nonexistent.pt");
  EXPECT_EQ(run.exit_code, 1) << run.all();
  bool found = false;
  for (const auto& line : lines_of(run.err)) {
    const json event = parse_json(line);
    ASSERT_FALSE(event.is_discarded()) << "not JSON: '" << line << "'";
    if (event.value("event", "") == "log" && event.value("level", "") == "error") {
      found = true;
      EXPECT_CONTAINS(event.value("message", ""), "/nonexistent.pt");
    }
  }
  EXPECT_TRUE(found) << run.err;
}

// --fail-fast stops at the first failed job.
TEST_F(BatchCli, FailFastStopsAtTheFirstFailure) {
  image("contents/good.png", test::gradient_image(48, 36));
  test::write_bytes(at("contents/bad.jpg"), garbage(600));
  styles();
  // The report may go into the output folder before it exists.
  const auto run = nst("-c contents -s styles -o out --fail-fast --report out/run.json" + kQuick);
  EXPECT_EQ(run.exit_code, 2) << run.all();
  const json r = report("out/run.json");
  EXPECT_EQ(statuses(r), (Strings{"failed", "pending", "pending", "pending"}));
  EXPECT_EQ(r["status"], "failed");
  EXPECT_EQ(r["counts"]["failed"], 1);
  EXPECT_EQ(r["counts"]["pending"], 3);
  EXPECT_EQ(tree(at("out")), Strings{"run.json"});
}

// A run that cannot start still leaves a report saying why.
TEST_F(BatchCli, MissingModelStillWritesTheReport) {
  small_contents();
  styles();
  const auto run = nst("-c contents -s styles -o out --report run.json --model /nonexistent.pt");
  EXPECT_EQ(run.exit_code, 1) << run.all();
  EXPECT_CONTAINS(run.err, "/nonexistent.pt");
  const json r = report("run.json");
  ASSERT_FALSE(r.is_null());
  EXPECT_EQ(r["status"], "error");
  EXPECT_EQ(r["exit_code"], 1);
  EXPECT_CONTAINS(r.value("error", ""), "/nonexistent.pt");
  EXPECT_EQ(statuses(r), (Strings{"pending", "pending", "pending", "pending"}));
  EXPECT_TRUE(tree(at("out")).empty());
}

// --print-every sets how often the report records the losses; the last step is always there.
TEST_F(BatchCli, PrintEverySetsTheLossHistory) {
  small_contents();
  styles();
  const auto run =
      nst("-c contents/a.png -s styles/x.png -o out/a.png --size 32 --iterations 5 "
          "--print-every 2 --progress none --report run.json --model " +
          shell_quote(kModel));
  EXPECT_EQ(run.exit_code, 0) << run.all();
  const json r = report("run.json");
  ASSERT_EQ(r["jobs"].size(), 1u);
  std::vector<int> iterations;
  for (const auto& point : r["jobs"][0]["losses"]) iterations.push_back(point["iteration"]);
  EXPECT_EQ(iterations, (std::vector<int>{2, 4, 5}));
  EXPECT_EQ(r["batch"]["loss_every"], 2);
}

// The gallery and the contact sheet are written with the report, into folders made for them;
// one that cannot be written stops the run before any work, naming the file.
TEST_F(BatchCli, GalleryAndContactSheet) {
  small_contents();
  styles();
  const auto run =
      nst("-c contents -s styles -o out --report out/run.json --gallery "
          "review/gallery.html --contact-sheet review/sheet.jpg" +
          kQuick);
  EXPECT_EQ(run.exit_code, 0) << run.all();
  const std::string page = test::read_bytes(at("review/gallery.html"));
  EXPECT_CONTAINS(page, "data-rows=\"2\" data-columns=\"2\"");
  EXPECT_CONTAINS(page, "<a href=\"../out/b_y.png\"");
  size_t pictures = 0;
  for (size_t pos = page.find("<img "); pos != std::string::npos;
       pos = page.find("<img ", pos + 1)) {
    ++pictures;
  }
  EXPECT_EQ(pictures, 8u);  // 4 inputs, 4 outputs
  EXPECT_TRUE(is_jpeg(at("review/sheet.jpg")));
  EXPECT_EQ(cv::imread(at("review/sheet.jpg")).size(),
            cv::Size(2 * 8 + 170 * 3, 2 * 8 + 146 + 2 * 214));
  EXPECT_EQ(test::list_folder(at("review")), (Strings{"gallery.html", "sheet.jpg"}));

  for (const std::string& arguments :
       {std::string("--gallery styles"), std::string("--contact-sheet sheet.gif"),
        std::string("--contact-sheet styles"),
        std::string("--gallery run.json --report run.json")}) {
    SCOPED_TRACE(arguments);
    const auto refused = nst("-c contents -s styles -o fresh " + arguments + kQuick);
    EXPECT_EQ(refused.exit_code, 1) << refused.all();
    EXPECT_CONTAINS(refused.err, arguments.substr(arguments.rfind(' ') + 1));
    EXPECT_FALSE(fs::exists(at("fresh")));
  }
}

// Linux file names may hold any bytes; a report and JSON logs about them must still be written.
TEST_F(BatchCli, FileNamesThatAreNotUtf8AreReportedWithReplacementCharacters) {
  image("contents/a\xff\xfe.png", test::gradient_image(48, 36));
  styles();
  const auto run = nst("-c contents -s styles/x.png -o out/ --size 32 --iterations 2 --model " +
                       shell_quote(kModel) + " --report run.json --progress json");
  EXPECT_EQ(run.exit_code, 0) << run.all();
  const json r = report("run.json");
  ASSERT_FALSE(r.is_null());
  EXPECT_EQ(r["status"], "done");
  // Each byte that is not UTF-8 becomes U+FFFD.
  EXPECT_CONTAINS(r["jobs"][0]["content"]["path"].get<std::string>(),
                  "a\xef\xbf\xbd\xef\xbf\xbd.png");
  // Every progress line on stderr is still JSON.
  std::istringstream lines(run.err);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_FALSE(parse_json(line).is_discarded()) << line;
  }
}

TEST_F(BatchCli, BadArgumentsExit1) {
  small_contents();
  styles();
  const std::string inputs = "-c contents -s styles --model " + shell_quote(kModel) + " ";
  for (const std::string& arguments :
       {inputs + "-o out --no-such-flag", inputs + "-o out --size abc",
        inputs + "-o out --progress loud", inputs + "-o out --overwrite --skip-existing",
        inputs + "-o out --time-limit -1", inputs + "-o out --save-every 0", inputs}) {
    SCOPED_TRACE(arguments);
    const auto run = nst(arguments);
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_FALSE(run.all().empty());
  }
  EXPECT_CONTAINS(nst(inputs).all(), "--output");
  EXPECT_FALSE(fs::exists(at("out")));
}

TEST_F(BatchCli, EmptyOutputIsRefusedClearly) {
  small_contents();
  styles();
  const auto run = nst("-c contents/a.png -s styles/x.png -o ''" + kQuick);
  EXPECT_EQ(run.exit_code, 1) << run.all();
  EXPECT_TRUE(contains(run.err, "-o") || contains(run.err, "output")) << run.err;
}

TEST_F(BatchCli, HelpAndVersionExit0) {
  const auto help = nst("--help");
  EXPECT_EQ(help.exit_code, 0) << help.all();
  for (const char* text : {"--shard", "--skip-existing", "--report", "--dry-run", "130", "143"}) {
    EXPECT_CONTAINS(help.out, text);
  }
  const auto version = nst("--version");
  EXPECT_EQ(version.exit_code, 0) << version.all();
  EXPECT_EQ(version.out.rfind("nst ", 0), 0u) << version.out;
}

TEST_F(BatchCli, BlendedStylesCountAsOneStyle) {
  mixed_inputs();
  const std::string flags = " --size 32 --iterations 2 --model " + shell_quote(kModel);
  const auto run = nst("-c contents -s styles -o out --blend 0.7,0.3 --report run.json" + flags);
  EXPECT_EQ(run.exit_code, 2) << run.all();  // the corrupt content still fails
  EXPECT_EQ(test::list_folder(at("out")), (Strings{"a_x+y.png", "b_x+y.png"}));
  const json r = report("run.json");
  ASSERT_EQ(r["jobs"].size(), 3u);  // 3 contents x 1 blended style
  EXPECT_EQ(r["jobs"][0]["style"]["blend"].size(), 2u);
  EXPECT_NEAR(r["jobs"][0]["style"]["blend"][0]["weight"].get<double>(), 0.7, 1e-9);
  const auto wrong = nst("-c contents -s styles -o out2 --blend 1,2,3" + flags);
  EXPECT_EQ(wrong.exit_code, 1) << wrong.all();
  EXPECT_CONTAINS(wrong.err, "--blend");
}

}  // namespace
}  // namespace nst
