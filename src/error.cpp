#include "nst/error.h"

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
    return first_line(error.what());
  } catch (...) {
    return "an unknown error";
  }
}

}  // namespace nst
