#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "nst/batch/batch.h"
#include "nst/batch/job_result.h"
#include "nst/engine/options.h"
#include "nst/engine/transfer.h"
#include "nst/engine/vgg.h"
#include "nst/io/image_io.h"

namespace nst {

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
  /// Memory a job may take, in bytes (--memory-limit), within what the machine has; 0: what
  /// the machine has. `--tile auto` chooses its tiles to fit it.
  int64_t memory_limit_bytes = 0;
  /// Record the losses in `JobResult::losses` every N iterations; 0: `sample_interval`'s
  /// default, about a tenth of a job.
  int64_t loss_every = 0;
};

/// How often a job of `iterations` steps is sampled when asked for every `every` steps:
/// `every` itself, or for 0 about a tenth of the job (at least every step). The progress
/// display's lines and the recorded losses follow the same rule, so that a report's loss
/// history matches what a log showed.
int64_t sample_interval(int64_t every, int64_t iterations);

/// Receives a batch's events, e.g. to show progress. Every method has an empty default.
class BatchListener {
 public:
  virtual ~BatchListener() = default;
  /// A job begins; `position` counts from 1 to `total` within this run.
  virtual void job_started(const Job& /*job*/, size_t /*position*/, size_t /*total*/) {}
  /// The current job's content is read and its run planned: whole or in tiles, the estimated
  /// peak memory, the budget it was planned in.
  virtual void job_planned(const Job& /*job*/, const MemoryPlan& /*plan*/,
                           const MemoryBudget& /*budget*/) {}
  /// The current job takes up an earlier run's work: its `.partial` image after `iteration`
  /// steps.
  virtual void job_resumed(const Job& /*job*/, int64_t /*iteration*/) {}
  /// The current job's inputs and targets are ready and its optimisation begins: from here
  /// until `optimisation_ended` a stop is heard at the end of each step, however long it is.
  virtual void optimisation_started(const Job& /*job*/) {}
  /// A step of the current job was taken.
  virtual void iteration(const Job& /*job*/, const ProgressEvent& /*event*/) {}
  /// The current job's optimisation is over (finished, stopped or failed), and the image its
  /// last step made is written (its `.partial` or its output) or failed to be.
  virtual void optimisation_ended(const Job& /*job*/) {}
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
  /// starting image that cannot be read, or `nst::Stopped` when `stop` asks while it is read.
  BatchRunner(const FeatureExtractor& extractor, StyleTransferOptions options, BatchOptions batch,
              const StopRequested& stop = {});

  /// Runs `jobs` in order and returns one result per job, in the same order. `stop_requested`
  /// is asked after every optimisation step and, outside the optimisation, wherever the work
  /// waits or takes long (reading a stream, a style's targets, writing to a stalled pipe).
  /// Once it says stop, a job in its optimisation is saved as `.partial` at the step's end
  /// (status interrupted); a job not yet optimising ends at once with nothing written (also
  /// interrupted, its reason saying what it was doing); the remaining jobs stay pending.
  std::vector<JobResult> run(const std::vector<Job>& jobs, BatchListener& listener,
                             const StopRequested& stop_requested);

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
  void run_job(JobResult& result, BatchListener& listener);
  InputInfo describe(const std::string& path);
  void check_memory(const std::string& content_path);
  // Where the job resumes: its checkpoint and `.partial` image when `key` is the checkpoint's
  // and the image decodes, else from the start.
  ResumePoint resume_point(const Job& job, const std::string& key);
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
  StopRequested stop_;  // the current run's
  bool stopped_ = false;
};

}  // namespace nst
