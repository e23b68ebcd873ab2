#include "nst/engine/error.h"

#include <new>

namespace nst {

std::string failure_reason(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const Error& error) {
    return error.what();
  } catch (const std::bad_alloc&) {
    return "out of memory";
  } catch (const std::exception& error) {
    // LibTorch's c10::Error is one of these, its message followed by a backtrace.
    const std::string text = first_line(error.what());
    // Its allocator's failure (a memory limit met halfway through a job) in the user's words.
    if (text.find("can't allocate memory") != std::string::npos) {
      const std::string tried = "you tried to allocate ";
      const size_t at = text.find(tried);
      const size_t end = at == std::string::npos ? at : text.find(' ', at + tried.size());
      return "out of memory: an allocation of " +
             (end == std::string::npos
                  ? std::string("memory")
                  : text.substr(at + tried.size(), end - at - tried.size()) + " bytes") +
             " failed (lower --size, or raise the memory limit)";
    }
    return text;
  } catch (...) {
    return "an unknown error";
  }
}

}  // namespace nst
