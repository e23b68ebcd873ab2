#include "cli/signals.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

#include "cli/exit_codes.h"
#include "nst/atomic_file.h"

namespace nst::cli {
namespace {

std::atomic<int> received{0};
std::atomic<bool> json_notices{false};

void write_stderr(const char* text) {
  size_t length = 0;
  while (text[length] != '\0') ++length;
  [[maybe_unused]] const ssize_t ignored = write(STDERR_FILENO, text, length);
}

extern "C" void on_signal(int signal) {
  if (received.exchange(signal) != 0) {
    // Only async-signal-safe calls here.
    remove_pending_temporary_file();
    write_stderr(json_notices.load()
                     ? "{\"event\":\"log\",\"level\":\"error\",\"message\":\"stopped at once; "
                       "the current job's result is lost\"}\n"
                     : "\nnst: stopped at once; the current job's result is lost\n");
    _exit(signal == SIGTERM ? kExitTerminated : kExitInterrupted);
  }
  write_stderr(json_notices.load()
                   ? "{\"event\":\"log\",\"level\":\"warning\",\"message\":\"interrupted; "
                     "saving the current job as .partial after this iteration (interrupt again to "
                     "stop at once)\"}\n"
                   : "\nnst: interrupted; saving the current job as .partial after this iteration "
                     "(interrupt again to stop at once)\n");
}

}  // namespace

void install_interrupt_handlers(bool json) {
  json_notices.store(json);
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int interrupt_signal() {
  return received.load();
}

}  // namespace nst::cli
