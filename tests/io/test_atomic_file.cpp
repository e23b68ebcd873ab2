// Atomic writes: safe from several threads at once with no process-wide side effects, and the
// temporary files of killed processes recognised and removed, never those of live ones.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "nst/io/atomic_file.h"
#include "test_helpers.h"

namespace nst {
namespace {

// The process's umask as the kernel reports it, without changing it.
std::string current_umask() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Umask:", 0) == 0) return line.substr(6);
  }
  return "";
}

// A process id that belonged to a process which has exited and been reaped.
pid_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  return child;
}

TEST(AtomicFile, ThreadsWriteAtOnceWithoutTouchingTheUmask) {
  if (current_umask().empty()) GTEST_SKIP() << "no Umask line in /proc/self/status";
  const mode_t previous = umask(022);
  const std::string expected = current_umask();
  test::TempDir dir;
  std::atomic<bool> writing{true};
  std::atomic<int> changes{0};
  std::thread watcher([&] {
    while (writing.load()) {
      if (current_umask() != expected) ++changes;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string name = "f" + std::to_string(t) + "_" + std::to_string(i);
        write_file_atomically(dir.file(name), name, ErrorCode::kImageWrite, "image");
      }
    });
  }
  for (auto& writer : writers) writer.join();
  writing.store(false);
  watcher.join();
  umask(previous);
  EXPECT_EQ(changes.load(), 0) << "the umask changed while files were written";
  const auto names = test::list_folder(dir.path());
  ASSERT_EQ(names.size(), 200u);  // no temporary file left
  for (const auto& name : names) {
    EXPECT_EQ(test::read_bytes(dir.file(name)), name);
    struct stat info {};
    ASSERT_EQ(stat(dir.file(name).c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0644u) << name;
  }
}

TEST(AtomicFile, RemovesOnlyTheTemporaryFilesOfDeadProcesses) {
  test::TempDir dir;
  const std::string dead = ".out.png.nst-" + std::to_string(dead_pid()) + "-00ab.tmp";
  const std::string live = ".out.png.nst-" + std::to_string(getpid()) + "-00cd.tmp";
  const std::vector<std::string> others = {"out.png",           ".out.png.partial.png",
                                           "notes.nst-1-2.tmp", ".x.nst-abc-1.tmp",
                                           ".x.nst--1.tmp",     ".x.nst-1-2.txt"};
  for (const auto& name : others) test::write_bytes(dir.file(name), "keep");
  test::write_bytes(dir.file(dead), "half");
  test::write_bytes(dir.file(live), "in progress");
  const auto removed = remove_stale_temporary_files(dir.path().string());
  EXPECT_EQ(removed, std::vector<std::string>{dir.file(dead)});
  std::vector<std::string> expected = others;
  expected.push_back(live);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(test::list_folder(dir.path()), expected);
  // A folder that does not exist has nothing to clean.
  EXPECT_TRUE(remove_stale_temporary_files(dir.file("missing")).empty());
}

// A staged file keeps the target's extension (an encoder picks its container by it), is moved
// into place only when committed, and is gone otherwise, also when its process died.
TEST(StagedFile, KeepsTheExtensionAndReplacesTheTargetOnlyWhenCommitted) {
  test::TempDir dir;
  const std::string target = dir.file("clip.mp4");
  test::write_bytes(target, "old");
  {
    const StagedFile staged(target, ErrorCode::kImageWrite, "video");
    EXPECT_EQ(staged.path().substr(staged.path().size() - 8), ".tmp.mp4") << staged.path();
    test::write_bytes(staged.path(), "abandoned");
  }
  EXPECT_EQ(test::list_folder(dir.path()), std::vector<std::string>{"clip.mp4"});
  EXPECT_EQ(test::read_bytes(target), "old");
  {
    StagedFile staged(target, ErrorCode::kImageWrite, "video");
    test::write_bytes(staged.path(), "new");
    staged.commit();
  }
  EXPECT_EQ(test::list_folder(dir.path()), std::vector<std::string>{"clip.mp4"});
  EXPECT_EQ(test::read_bytes(target), "new");
  const std::string dead = ".clip.mp4.nst-" + std::to_string(dead_pid()) + "-00ab.tmp.mp4";
  test::write_bytes(dir.file(dead), "half");
  EXPECT_EQ(remove_stale_temporary_files(dir.path().string()),
            std::vector<std::string>{dir.file(dead)});
  try {
    const StagedFile staged(dir.file("missing/clip.mp4"), ErrorCode::kImageWrite, "video");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what())
                  .find("cannot write video '" + dir.file("missing/clip.mp4") +
                        "': cannot create a temporary file"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace nst
