#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "nst/batch.h"
#include "nst/image_io.h"
#include "nst/options.h"
#include "nst/transfer.h"
#include "nst/vgg.h"

namespace nst {

/// What became of a job.
enum class JobStatus {
  kPending,      ///< not run (the batch stopped before it)
  kDone,         ///< finished and written
  kSkipped,      ///< not run: its output existed and skipping was asked for
  kFailed,       ///< could not be done; `reason` says why, nothing was written
  kCutShort,     ///< stopped by the time limit; its result so far was written as the output
  kInterrupted,  ///< stopped by an interrupt; its result so far was written as `.partial`
};

/// "pending", "done", "skipped", "failed", "cut short", "interrupted".
const char* to_string(JobStatus status);

/// An input image as a job used it.
struct InputInfo {
  std::string path;
  std::string sha256;  ///< empty unless hashing was asked for
  int64_t bytes = -1;  ///< file size
  int64_t width = 0;   ///< after resizing, as the network saw it
  int64_t height = 0;
};

/// The outcome of one job.
struct JobResult {
  Job job;
  JobStatus status = JobStatus::kPending;
  std::string reason;   ///< why it failed, was skipped or was cut short
  std::string written;  ///< the file written (output or `.partial`), if any
  InputInfo content;
  InputInfo style;
  std::vector<ScaleOutcome> scales;  ///< losses and steps per scale
  int64_t iterations = 0;
  double seconds = 0;               ///< wall time of the whole job, loading and saving included
  double optimisation_seconds = 0;  ///< wall time of the optimisation alone
  int64_t peak_memory_bytes = 0;    ///< peak resident memory of the process during the job
};

/// How a batch treats existing outputs, failures and time.
struct BatchOptions {
  bool fail_fast = false;             ///< stop the batch at the first failed job
  bool skip_existing = false;         ///< skip jobs whose output exists
  bool overwrite = false;             ///< replace existing outputs (otherwise such a job fails)
  double time_limit_seconds = 0;      ///< per job optimisation time; 0 for none
  int64_t save_every = 0;             ///< also write the image every N iterations; 0 for never
  std::string stdout_format = "png";  ///< format of a job whose output is "-" (standard output)
  bool hash_inputs = false;           ///< record each input's SHA-256 (reads every file once more)
  std::string init_image;             ///< starting image for every job, with `Init::kImage`
  /// Inputs with more pixels are refused, judged from the header before decoding; 0: no limit.
  int64_t max_input_pixels = kDefaultMaxInputPixels;
  /// Refuse a job up front when its estimated memory exceeds what the machine has available.
  bool check_memory = true;
};

/// Receives a batch's events, e.g. to show progress. Every method has an empty default.
class BatchListener {
 public:
  virtual ~BatchListener() = default;
  /// A job begins; `position` counts from 1 to `total` within this run.
  virtual void job_started(const Job& /*job*/, size_t /*position*/, size_t /*total*/) {}
  /// A step of the current job was taken.
  virtual void iteration(const Job& /*job*/, const ProgressEvent& /*event*/) {}
  /// A job ended, in any status.
  virtual void job_finished(const JobResult& /*result*/) {}
};

/// Runs jobs one after another on one loaded model: each job's failure is caught and recorded
/// and the batch goes on (unless `fail_fast`); each style's targets are computed once and
/// reused by every job with that style; an interrupt saves the current job's result as
/// `.partial` and ends the batch.
class BatchRunner {
 public:
  /// `extractor` must outlive the runner. Throws `nst::Error` for invalid options or a
  /// starting image that cannot be read.
  BatchRunner(const FeatureExtractor& extractor, StyleTransferOptions options, BatchOptions batch);

  /// Runs `jobs` in order and returns one result per job, in the same order. `stop_requested`
  /// is polled after every step; once it returns true the current job is saved as `.partial`
  /// and the remaining jobs stay pending.
  std::vector<JobResult> run(const std::vector<Job>& jobs, BatchListener& listener,
                             const std::function<bool()>& stop_requested);

  /// The type the VGG layers compute in.
  torch::ScalarType layer_type() const { return engine_.layer_type(); }

 private:
  struct StyleEntry {
    torch::Tensor image;  // as loaded, for colour matching against each content
    StyleTargets targets;
    InputInfo info;
    std::string error;  // non-empty when the style could not be loaded
  };
  const StyleEntry& style(const std::string& path);
  // The job's style targets (one style's, or a blend's), noting the style in `result`.
  const StyleTargets& targets_for(const Job& job, JobResult& result);
  // The targets of the job's styles with their colours matched to `content`.
  StyleTargets matched_targets(const Job& job, const torch::Tensor& content);
  void run_job(JobResult& result, BatchListener& listener,
               const std::function<bool()>& stop_requested);
  InputInfo describe(const std::string& path);
  void check_memory(const std::string& content_path);
  const std::vector<unsigned char>& stream(const std::string& path);
  Image load(const std::string& path, int64_t long_side);

  StyleTransfer engine_;
  BatchOptions batch_;
  torch::Tensor init_image_;  // loaded once for Init::kImage
  struct StreamEntry {
    std::vector<unsigned char> bytes;
    std::string error;  // non-empty when the stream could not be read
  };
  std::map<std::string, StreamEntry> streams_;  // inputs read once: stdin, pipes, FIFOs
  std::map<std::string, StyleEntry> styles_;
  std::map<std::string, StyleTargets> blends_;  // by the blend's name
  std::string last_content_path_;               // the content decoded last, if it loaded
  Image last_content_;
  InputInfo last_content_info_;
  bool stopped_ = false;
};

}  // namespace nst
