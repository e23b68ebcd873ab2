#include "nst/batch/runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "nst/batch/checkpoint.h"
#include "nst/engine/colour.h"
#include "nst/engine/error.h"
#include "nst/engine/scales.h"
#include "nst/engine/system_limits.h"
#include "nst/io/file_info.h"
#include "nst/io/image_header.h"
#include "nst/io/image_io.h"

namespace nst {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// An image too thin for the network, at its size or at a coarser scale of the schedule, would
// fail deep inside a pooling layer; say so before any work.
void check_input_size(const torch::Tensor& rgb, const std::string& path,
                      const StyleTransferOptions& options) {
  const int64_t minimum = FeatureExtractor::min_input_side(options.loss_layers());
  const auto shapes = scale_shapes(options, rgb.size(2), rgb.size(3));
  const auto sides = options.scale_sides();
  for (size_t i = 0; i < shapes.size(); ++i) {
    const auto [height, width] = shapes[i];
    if (width >= minimum && height >= minimum) continue;
    const bool coarse = i + 1 < shapes.size();
    throw Error(ErrorCode::kImageRead,
                "cannot use image '" + path + "'" +
                    (coarse ? " at the scale of " + std::to_string(sides[i]) + " px" : "") +
                    ": resized to " + std::to_string(width) + "x" + std::to_string(height) +
                    " it is too small; the layers in use need at least " + std::to_string(minimum) +
                    " pixels on each side (" + (coarse ? "raise --min-scale" : "raise --size") +
                    ", or use shallower layers)");
  }
}

// The content's alpha plane at `image`'s size: a scale smaller than the output keeps its
// pictures (--save-every, the .partial) at its own size.
cv::Mat alpha_at_size_of(const cv::Mat& alpha, const torch::Tensor& image) {
  const cv::Size size(static_cast<int>(image.size(3)), static_cast<int>(image.size(2)));
  if (alpha.empty() || alpha.size() == size) return alpha;
  cv::Mat resized;
  cv::resize(alpha, resized, size, 0, 0, cv::INTER_AREA);
  return resized;
}

// Tells the listener that a job's optimisation is over when it goes out of scope, however the
// scope ends.
class OptimisationEnd {
 public:
  OptimisationEnd(BatchListener& listener, const Job& job) : listener_(listener), job_(job) {}
  ~OptimisationEnd() { listener_.optimisation_ended(job_); }
  OptimisationEnd(const OptimisationEnd&) = delete;
  OptimisationEnd& operator=(const OptimisationEnd&) = delete;

 private:
  BatchListener& listener_;
  const Job& job_;
};

}  // namespace

int64_t sample_interval(int64_t every, int64_t iterations) {
  return every > 0 ? every : std::max<int64_t>(1, iterations / 10);
}

BatchRunner::BatchRunner(const FeatureExtractor& extractor, StyleTransferOptions options,
                         BatchOptions batch, const StopRequested& stop)
    : engine_(extractor, std::move(options), batch.memory_limit_bytes), batch_(std::move(batch)) {
  if (engine_.options().init() == Init::kImage) {
    if (batch_.init_image.empty()) {
      throw Error(ErrorCode::kInvalidOptions, "starting from an image needs the image's path");
    }
    init_image_ =
        load_image(batch_.init_image, engine_.options().size(), batch_.max_input_pixels, stop).rgb;
  }
}

// The content is resized to --size before the run, so its header's aspect ratio and --size
// decide the memory the job needs; refuse it now rather than meet the kernel's OOM killer.
void BatchRunner::check_memory(const std::string& content_path) {
  const auto& options = engine_.options();
  std::optional<ImageSize> stored;
  if (is_stream(content_path)) {
    if (const auto header = read_image_header(stream(content_path))) {
      stored = ImageSize{header->width, header->height};
    }
  } else {
    stored = read_image_size(content_path);
  }
  // Unknown header: assume the worst shape, a square.
  const ImageSize size = stored ? fit_long_side(stored->width, stored->height, options.size())
                                : ImageSize{options.size(), options.size()};
  engine_.check_memory(size.height, size.width, content_path);
}

ResumePoint BatchRunner::resume_point(const Job& job, const std::string& key) {
  const auto checkpoint = read_checkpoint(job.output);
  if (!checkpoint || checkpoint->job_key != key ||
      checkpoint->iterations != engine_.options().total_iterations()) {
    return {};  // another job's, or none: the stale files are replaced when this one ends
  }
  try {
    // Read at its own size, the scale's it was kept at (`keep_partial`): the engine brings it
    // to the scale it resumes, so an image kept at that scale comes back unresampled.
    return {checkpoint->iteration,
            load_image(partial_path(job.output), 0, batch_.max_input_pixels, stop_).rgb};
  } catch (const Error&) {
    return {};  // a .partial that does not decode is started over
  }
}

// Size and hash of an input file, as far as it can be read: a report should say what a
// failed job was given too.
InputInfo BatchRunner::describe(const std::string& path) {
  InputInfo info;
  info.path = path;
  if (is_stream(path)) {
    try {
      const auto& bytes = stream(path);
      info.bytes = static_cast<int64_t>(bytes.size());
      if (batch_.hash_inputs) info.sha256 = sha256_bytes(bytes);
    } catch (const Stopped&) {
      throw;
    } catch (const Error&) {
      info.bytes = -1;  // the job's own error says why
    }
    return info;
  }
  info.bytes = file_size_bytes(path);
  if (batch_.hash_inputs && info.bytes >= 0) {
    try {
      info.sha256 = sha256_file(path);
    } catch (const Error&) {
      // unreadable: the job's own error says so
    }
  }
  return info;
}

// A stream can be read only once: its bytes (or why they could not be read) are kept for
// every later use, the memory check's header, the hash, the decoding and other jobs.
const std::vector<unsigned char>& BatchRunner::stream(const std::string& path) {
  auto it = streams_.find(path);
  if (it == streams_.end()) {
    StreamEntry entry;
    try {
      entry.bytes = read_input(path, stream_byte_limit(batch_.max_input_pixels), stop_);
    } catch (const Stopped&) {
      throw;  // not the stream's fault: not kept
    } catch (const Error& error) {
      entry.error = error.what();
    }
    it = streams_.emplace(path, std::move(entry)).first;
  }
  if (!it->second.error.empty()) throw Error(ErrorCode::kImageRead, it->second.error);
  return it->second.bytes;
}

Image BatchRunner::load(const std::string& path, int64_t long_side) {
  if (is_stream(path)) {
    return decode_image(stream(path), path, long_side, batch_.max_input_pixels);
  }
  return load_image(path, long_side, batch_.max_input_pixels, stop_);
}

const BatchRunner::StyleEntry& BatchRunner::style(const std::string& path) {
  if (const auto it = styles_.find(path); it != styles_.end()) return it->second;
  StyleEntry entry;
  entry.info = describe(path);
  const auto& options = engine_.options();
  try {
    const Image image = load(path, options.effective_style_size());
    check_input_size(image.rgb, path, options);
    entry.image = image.rgb;
    // With histogram matching the targets depend on each content, so they are made per job.
    if (options.preserve_colours() != PreserveColours::kHistogram) {
      try {
        entry.targets = engine_.style_targets(image.rgb, stop_);
      } catch (const Stopped&) {
        throw Stopped("computing the targets of style '" + path + "'");
      }
    }
    entry.info.width = image.rgb.size(3);
    entry.info.height = image.rgb.size(2);
  } catch (const Stopped&) {
    throw;  // not the style's fault: not kept
  } catch (...) {
    // LibTorch's errors and the standard library's too: otherwise the style would be loaded
    // and fail again for every job that uses it.
    entry.error = failure_reason(std::current_exception());
  }
  // A style that cannot be loaded fails every job that uses it, without loading it again.
  return styles_.emplace(path, std::move(entry)).first->second;
}

const StyleTargets& BatchRunner::targets_for(const Job& job, JobResult& result) {
  if (job.blend.empty()) {
    const StyleEntry& entry = style(job.style);
    result.style = entry.info;
    if (!entry.error.empty()) throw Error(ErrorCode::kImageRead, entry.error);
    return entry.targets;
  }
  result.style.path = job.style;
  if (const auto it = blends_.find(job.style); it != blends_.end()) return it->second;
  std::vector<StyleTargets> parts;
  for (const auto& path : job.blend) {
    const StyleEntry& entry = style(path);
    if (!entry.error.empty()) throw Error(ErrorCode::kImageRead, entry.error);
    parts.push_back(entry.targets);
  }
  // Histogram matching makes targets per job; there is nothing to blend once for all.
  const bool per_job = engine_.options().preserve_colours() == PreserveColours::kHistogram;
  return blends_
      .emplace(job.style,
               per_job ? StyleTargets() : engine_.blend_targets(parts, job.blend_weights))
      .first->second;
}

StyleTargets BatchRunner::matched_targets(const Job& job, const torch::Tensor& content) {
  const auto paths = job.blend.empty() ? std::vector<std::string>{job.style} : job.blend;
  const auto weights = job.blend.empty() ? std::vector<double>{1.0} : job.blend_weights;
  std::vector<StyleTargets> parts;
  for (const auto& path : paths) {
    parts.push_back(
        engine_.style_targets(match_colour_statistics(style(path).image, content), stop_));
  }
  return parts.size() == 1 ? parts[0] : engine_.blend_targets(parts, weights);
}

void BatchRunner::run_job(JobResult& result, BatchListener& listener) {
  const Job& job = result.job;
  const auto start = Clock::now();
  reset_peak_memory();
  std::error_code ec;
  if (fs::exists(job.output, ec)) {
    if (batch_.skip_existing) {
      result.status = JobStatus::kSkipped;
      result.reason = "output exists";
      // A run killed between writing the output and removing its .partial left one behind.
      remove_partial(job.output);
      return;
    }
    if (!batch_.overwrite) {
      result.status = JobStatus::kFailed;
      result.reason = "output '" + job.output +
                      "' exists; pass --overwrite to replace it or --skip-existing to skip it";
      return;
    }
  }
  try {
    const bool to_stdout = job.output == "-";
    if (!to_stdout) check_output_path(job.output);
    const auto& options = engine_.options();
    // Jobs come content by content: a content's styles follow one another, so the decoded
    // image and its hash are kept for the next job instead of being read again.
    if (last_content_path_ != job.content) {
      last_content_path_.clear();
      last_content_info_ = describe(job.content);
      result.content = last_content_info_;
      if (batch_.check_memory) check_memory(job.content);
      last_content_ = load(job.content, options.size());
      check_input_size(last_content_.rgb, job.content, options);
      last_content_info_.width = last_content_.rgb.size(3);
      last_content_info_.height = last_content_.rgb.size(2);
      last_content_path_ = job.content;
    }
    result.content = last_content_info_;
    const Image& content = last_content_;
    result.memory_plan = engine_.memory_plan(content.rgb.size(2), content.rgb.size(3));
    result.memory_budget = engine_.memory_budget();
    listener.job_planned(job, *result.memory_plan, result.memory_budget);
    const StyleTargets targets = targets_for(job, result);
    const StyleTargets matched = options.preserve_colours() == PreserveColours::kHistogram
                                     ? matched_targets(job, content.rgb)
                                     : StyleTargets();

    // The same job stopped earlier left its image so far and how far it had got: go on from
    // there. Not for a job read from a stream, which may hold another picture next time.
    bool resumable = !to_stdout && !is_stream(job.content) && !is_stream(batch_.init_image);
    for (const auto& path : job.blend.empty() ? std::vector<std::string>{job.style} : job.blend) {
      resumable = resumable && !is_stream(path);
    }
    const std::string key = resumable ? job_key(job, options, batch_.init_image) : "";
    const ResumePoint resume = resumable ? resume_point(job, key) : ResumePoint();
    if (resume.iteration > 0) {
      result.resumed_from = resume.iteration;
      listener.job_resumed(job, resume.iteration);
    }
    // The .partial is the image at its scale's size: a resumed run gets it back unresampled,
    // and keeping it every --save-every steps costs little at a print's small scales, where
    // the output's size would take longer to encode than the steps between.
    const auto keep_partial = [&](const torch::Tensor& image, int64_t iteration) {
      save_image(partial_path(job.output), image, alpha_at_size_of(content.alpha, image));
      if (resumable) write_checkpoint(job.output, {iteration, options.total_iterations(), key});
    };

    bool interrupted = false;
    bool timed_out = false;
    const int64_t loss_every = sample_interval(batch_.loss_every, options.total_iterations());
    const bool on_gpu = engine_.device().is_cuda();
    listener.optimisation_started(job);
    TransferResult transfer;
    try {
      transfer = engine_.run(
          content.rgb, matched.scales.empty() ? targets : matched,
          [&](const ProgressEvent& e) {
            if (on_gpu) {
              result.peak_device_memory_bytes =
                  std::max(result.peak_device_memory_bytes, engine_.device_memory_in_use_bytes());
            }
            listener.iteration(job, e);
            if (batch_.save_every > 0 && !to_stdout && e.iteration % batch_.save_every == 0 &&
                e.iteration < e.iterations) {
              save_image(iteration_path(job.output, e.iteration), e.image,
                         alpha_at_size_of(content.alpha, e.image));
              // Also where a killed run resumes from.
              keep_partial(e.image, e.iteration);
            }
            if (stop_ && stop_()) {
              interrupted = true;
            } else if (batch_.time_limit_seconds > 0 &&
                       e.elapsed_seconds >= batch_.time_limit_seconds) {
              timed_out = true;
            }
            const bool go_on = !interrupted && !timed_out;
            // Reading a loss waits for the device, so only every loss_every steps; the last
            // step taken, planned or not, ends the history.
            if (e.iteration % loss_every == 0 || e.iteration == e.iterations || !go_on) {
              result.losses.push_back({e.iteration, e.loss(), e.content_loss(), e.style_loss()});
            }
            return go_on;
          },
          init_image_, resume);
    } catch (...) {
      listener.optimisation_ended(job);
      throw;
    }
    // The image the last step made is written before the optimisation ends for the listener:
    // a stop waits for it as it waits for the step (the CLI's watch gives the run a short
    // grace only after that), so a print's .partial or output is not cut off halfway.
    OptimisationEnd ended(listener, job);
    result.iterations = transfer.iterations;
    result.optimisation_seconds = transfer.seconds;
    result.scales = transfer.scales;
    // A stop asked for at the last step finds the job finished: it is written as done, and
    // the batch still ends after it.
    if (interrupted) stopped_ = true;
    if (interrupted && transfer.cancelled) {
      // Standard output gets only finished pictures: an interrupted one is not written there.
      if (!to_stdout) {
        result.written = partial_path(job.output);
        keep_partial(transfer.scale_image, transfer.iterations);
      }
      result.status = JobStatus::kInterrupted;
      result.reason = "interrupted after " + std::to_string(transfer.iterations) + " of " +
                      std::to_string(options.total_iterations()) + " iterations";
    } else {
      if (to_stdout) {
        write_image_to(STDOUT_FILENO, transfer.image, content.alpha, batch_.stdout_format, stop_);
      } else {
        save_image(job.output, transfer.image, content.alpha);
        // A .partial left by an interrupted earlier run is superseded now.
        remove_partial(job.output);
      }
      result.written = job.output;
      result.status = timed_out && transfer.cancelled ? JobStatus::kCutShort : JobStatus::kDone;
      if (result.status == JobStatus::kCutShort) {
        result.reason = "time limit reached after " + std::to_string(transfer.iterations) + " of " +
                        std::to_string(options.total_iterations()) + " iterations";
      }
    }
  } catch (const Stopped& stopped) {
    // Asked to stop before the optimisation (reading, computing targets) or while writing to
    // a stalled pipe: nothing of this job is worth keeping.
    stopped_ = true;
    result.status = JobStatus::kInterrupted;
    result.reason = stopped.what();
  } catch (...) {
    result.status = JobStatus::kFailed;
    result.reason = failure_reason(std::current_exception());
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.peak_memory_bytes = peak_memory_bytes();
}

std::vector<JobResult> BatchRunner::run(const std::vector<Job>& jobs, BatchListener& listener,
                                        const StopRequested& stop_requested) {
  stop_ = stop_requested;
  stopped_ = false;  // a new batch
  std::vector<JobResult> results(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) results[i].job = jobs[i];
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (stopped_ || (stop_requested && stop_requested())) break;
    listener.job_started(jobs[i], i + 1, jobs.size());
    run_job(results[i], listener);
    listener.job_finished(results[i]);
    if (results[i].status == JobStatus::kFailed && batch_.fail_fast) stopped_ = true;
  }
  return results;
}

}  // namespace nst
