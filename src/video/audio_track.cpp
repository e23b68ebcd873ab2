#include "nst/video/audio_track.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <vector>

#include "nst/engine/error.h"
#include "nst/io/atomic_file.h"

extern char** environ;

namespace nst {
namespace {

struct ProgramRun {
  int exit_code = -1;  // -1: it could not be started or did not exit normally
  std::string output;  // its standard output and error together
};

// Runs `program` with `arguments`, no shell between, its output collected.
ProgramRun run_program(const std::string& program, const std::vector<std::string>& arguments) {
  ProgramRun run;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return run;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    run.output = std::strerror(spawned);
    return run;
  }
  char buffer[4096];
  while (true) {
    const ssize_t n = read(pipe_fds[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    run.output.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  return run;
}

// The last line of a program's output that says something: its error message.
std::string last_line(const std::string& output) {
  std::istringstream lines(output);
  std::string line, last;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  }
  return last.empty() ? "no message" : last;
}

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.6f", seconds);
  return text;
}

}  // namespace

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream folders(path ? path : "/usr/bin:/bin");
  std::string folder;
  while (std::getline(folders, folder, ':')) {
    const std::string candidate = (folder.empty() ? "." : folder) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) {
      return candidate;
    }
  }
  return "";
}

AudioOutcome copy_audio(const std::string& video, const std::string& source, double start_seconds,
                        double duration_seconds) {
  AudioOutcome outcome;
  outcome.lost = true;
  const std::string ffmpeg = find_program("ffmpeg");
  const std::string ffprobe = find_program("ffprobe");
  if (ffmpeg.empty() || ffprobe.empty()) {
    outcome.note = "the video is silent: copying the sound of '" + source +
                   "' needs the ffmpeg program, which is not installed (Debian package ffmpeg)";
    return outcome;
  }
  const ProgramRun probe =
      run_program(ffprobe, {"-v", "error", "-select_streams", "a", "-show_entries",
                            "stream=codec_name", "-of", "csv=p=0", source});
  if (probe.exit_code != 0) {
    outcome.note =
        "the video is silent: ffprobe cannot read '" + source + "': " + last_line(probe.output);
    return outcome;
  }
  const std::string codec = last_line(probe.output);
  if (probe.output.find_first_not_of(" \t\r\n") == std::string::npos) {
    outcome.note = "'" + source + "' has no sound";
    outcome.lost = false;
    return outcome;
  }
  try {
    // Copied as it is where the container takes the codec, else encoded in its usual one.
    std::string failure;
    for (const bool copy : {true, false}) {
      StagedFile staged(video, ErrorCode::kImageWrite, "video");
      std::vector<std::string> arguments = {"-nostdin",
                                            "-hide_banner",
                                            "-loglevel",
                                            "error",
                                            "-y",
                                            "-i",
                                            video,
                                            "-ss",
                                            seconds_text(start_seconds),
                                            "-t",
                                            seconds_text(duration_seconds),
                                            "-i",
                                            source,
                                            "-map",
                                            "0:v:0",
                                            "-map",
                                            "1:a",
                                            "-c:v",
                                            "copy"};
      if (copy) arguments.insert(arguments.end(), {"-c:a", "copy"});
      // No -shortest: it ends the video with a sound shorter than the painted range (a clip's
      // sound that starts late or ends early), and every painted frame must stay.
      arguments.push_back(staged.path());
      const ProgramRun run = run_program(ffmpeg, arguments);
      if (run.exit_code == 0) {
        staged.commit();
        outcome.copied = true;
        outcome.lost = false;
        outcome.note = "sound copied from '" + source + "' (" + codec +
                       (copy ? ", as it was)" : ", encoded anew for this container)");
        return outcome;
      }
      failure = last_line(run.output);
    }
    outcome.note =
        "the video is silent: ffmpeg could not copy the sound of '" + source + "': " + failure;
  } catch (const Error& error) {
    outcome.note = std::string("the video is silent: ") + error.what();
  }
  return outcome;
}

}  // namespace nst
