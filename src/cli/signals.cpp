#include "nst/cli/signals.h"

#include <unistd.h>

#include <atomic>

#include "nst/cli/exit_codes.h"
#include "nst/io/atomic_file.h"

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
  // Only async-signal-safe calls here.
  if (received.exchange(signal) != 0) {
    remove_pending_temporary_file();
    write_stderr(json_notices.load()
                     ? "{\"event\":\"log\",\"level\":\"error\",\"message\":\"stopped at once; "
                       "the current job's result is lost\"}\n"
                     : "\nnst: stopped at once; the current job's result is lost\n");
    _exit(signal == SIGTERM ? kExitTerminated : kExitInterrupted);
  }
  write_stderr(json_notices.load()
                   ? "{\"event\":\"log\",\"level\":\"warning\",\"message\":\"interrupted; "
                     "stopping (a job being optimised is saved as .partial after its current "
                     "iteration; interrupt again to stop at once)\"}\n"
                   : "\nnst: interrupted; stopping (a job being optimised is saved as .partial "
                     "after its current iteration; interrupt again to stop at once)\n");
}

sigset_t interrupt_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  // Restarting interrupted calls keeps the libraries' own reads and waits simple; the places
  // that may wait long (streams, pipes) poll in slices and ask `interrupt_signal` instead.
  action.sa_flags = SA_RESTART;
  // A SIGINT ignored from the start stays ignored, as is the custom: a non-interactive shell
  // ignores it for the jobs it starts with '&', so that Ctrl-C meant for the foreground does
  // not reach them.
  struct sigaction current {};
  if (sigaction(SIGINT, nullptr, &current) != 0 || current.sa_handler != SIG_IGN) {
    sigaction(SIGINT, &action, nullptr);
  }
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  const sigset_t set = interrupt_signals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

void set_json_notices(bool json) {
  json_notices.store(json);
}

// The handlers from the program's first instant: `.preinit_array` runs before the shared
// libraries' initialisers, and LibTorch's take half a second, during which a scheduler's
// SIGTERM would otherwise kill the process with no report. Only plain system calls here.
extern "C" void install_handlers_before_initialisers(int, char**, char**) {
  install_interrupt_handlers();
}
__attribute__((section(".preinit_array"), used)) static void (*const early_handlers)(
    int, char**, char**) = install_handlers_before_initialisers;

int interrupt_signal() {
  return received.load();
}

InterruptsHeld::InterruptsHeld() {
  const sigset_t set = interrupt_signals();
  pthread_sigmask(SIG_BLOCK, &set, &previous_);
}

InterruptsHeld::~InterruptsHeld() {
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

}  // namespace nst::cli
