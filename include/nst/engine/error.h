#pragma once

#include <exception>
#include <stdexcept>
#include <string>

namespace nst {

/// What kind of failure an `nst::Error` reports; lets callers pick exit codes and
/// decide whether a failure belongs to one job or to the whole run.
enum class ErrorCode {
  kInvalidOptions,  ///< an option value or combination is not allowed
  kModelNotFound,   ///< no model file at any of the places looked at
  kModelInvalid,    ///< the model file could not be loaded or is not VGG19-shaped
  kImageRead,       ///< an input image is missing, unreadable or not an image
  kImageWrite,      ///< an output image cannot be encoded or written
  kNumerical,       ///< the optimisation produced a NaN or infinite loss
  kOutOfMemory,     ///< the job would need more memory than the machine has available
  kReportWrite,     ///< the run's report cannot be written
  kStopped,         ///< the caller asked the work to stop (`nst::Stopped`)
};

/// The one exception type the library throws. Its message is a complete sentence for the
/// user: it names the file involved and says what went wrong.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}

  /// The kind of failure.
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

/// The first line of an exception's message: LibTorch's errors go on with a C++ backtrace that
/// means nothing to a user.
inline std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

/// What a caught exception of any type says to a user, in one line: an `nst::Error`'s message,
/// the first line of LibTorch's or the standard library's, or a fixed sentence for the rest.
std::string failure_reason(const std::exception_ptr& failure);

}  // namespace nst
