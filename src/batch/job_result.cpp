#include "nst/batch/job_result.h"

namespace nst {

const char* to_string(JobStatus status) {
  switch (status) {
    case JobStatus::kPending:
      return "pending";
    case JobStatus::kDone:
      return "done";
    case JobStatus::kSkipped:
      return "skipped";
    case JobStatus::kFailed:
      return "failed";
    case JobStatus::kCutShort:
      return "cut short";
    case JobStatus::kInterrupted:
      return "interrupted";
  }
  return "?";
}

}  // namespace nst
