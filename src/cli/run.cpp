#include "nst/cli/run.h"

#include <spdlog/spdlog.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>
#include <vector>

#include "nst/batch/batch.h"
#include "nst/batch/runner.h"
#include "nst/cli/clip_run.h"
#include "nst/cli/exit_codes.h"
#include "nst/cli/model_lookup.h"
#include "nst/cli/progress.h"
#include "nst/cli/run_steps.h"
#include "nst/cli/signals.h"
#include "nst/cli/stop_deadline.h"
#include "nst/engine/blas_kernels.h"
#include "nst/engine/device.h"
#include "nst/engine/error.h"
#include "nst/engine/image_size.h"
#include "nst/engine/memory_plan.h"
#include "nst/engine/precision.h"
#include "nst/engine/system_limits.h"
#include "nst/engine/vgg.h"
#include "nst/io/atomic_file.h"
#include "nst/io/file_info.h"
#include "nst/io/image_io.h"
#include "nst/io/model_file.h"
#include "nst/io/read_bytes.h"
#include "nst/report/contact_sheet.h"
#include "nst/report/gallery.h"
#include "nst/report/report.h"

namespace nst::cli {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

bool output_exists(const Job& job) {
  if (job.output == "-") return false;  // standard output
  std::error_code ec;
  return fs::exists(job.output, ec);
}

// What --dry-run says about a job's memory: its size at --size (from the header alone), whole
// or in tiles, and the estimated peak, planned as the run would plan it.
std::string memory_note(const Job& job, const StyleTransferOptions& options,
                        const MemoryModel& model, const MemoryBudget& budget) {
  if (is_stream(job.content)) return "";
  std::optional<ImageSize> stored;
  try {
    stored = read_image_size(job.content);
  } catch (const std::exception&) {
    return "";  // the run says what is wrong with it
  }
  if (!stored) return "";
  const ImageSize size = fit_long_side(stored->width, stored->height, options.size());
  return "; " + describe_plan(model.plan(size.height, size.width, budget), budget);
}

// " over 7 scales (512 to 4096 px: 200, 141, ... 25 steps)" for a coarse-to-fine run; "" for
// one scale.
std::string describe_scales(const StyleTransferOptions& options) {
  const std::vector<int64_t> sides = options.scale_sides();
  if (sides.size() < 2) return "";
  std::string steps;
  for (size_t i = 0; i < sides.size(); ++i) {
    steps += (i == 0 ? "" : ", ") + std::to_string(options.iterations_at(i));
  }
  return " over " + std::to_string(sides.size()) + " scales (" + std::to_string(sides.front()) +
         " to " + std::to_string(sides.back()) + " px: " + steps + " steps)";
}

void print_plan(const std::vector<Job>& jobs, const StyleTransferOptions& options,
                const BatchOptions& batch, const std::string& device_name) {
  const torch::Device device = parse_device(device_name);
  torch::ScalarType type = torch::kFloat32;
  try {
    type = compute_type(options.precision(), device);
  } catch (const std::exception&) {
    // The run refuses a precision the device lacks; the plan assumes float32.
  }
  StyleTransferOptions planned = options;
  if (type == torch::kHalf && planned.tile() == kTileAuto) planned.tile(kTileOff);
  const MemoryModel model(planned, type, device.is_cuda());
  const MemoryBudget budget = memory_budget(device, batch.memory_limit_bytes);
  size_t skip = 0, existing = 0;
  for (const auto& job : jobs) {
    const char* note = "";
    if (output_exists(job)) {
      note = batch.skip_existing ? "  (exists: skip)"
             : batch.overwrite   ? "  (exists: replace)"
                                 : "  (exists: refused without --overwrite or --skip-existing)";
      ++(batch.skip_existing ? skip : existing);
    }
    std::printf("job %zu: '%s' x '%s' -> '%s'%s%s\n", job.index, job.content.c_str(),
                job.style.c_str(), job.output.c_str(), note,
                memory_note(job, planned, model, budget).c_str());
  }
  const auto style_size = options.effective_style_size();
  std::printf(
      "%zu job%s, size %lld (style %lld), %lld iterations each%s: %zu to run, %zu to "
      "skip, %zu with an existing output%s\n",
      jobs.size(), jobs.size() == 1 ? "" : "s", static_cast<long long>(options.size()),
      static_cast<long long>(style_size), static_cast<long long>(options.total_iterations()),
      describe_scales(options).c_str(), jobs.size() - skip, skip, existing,
      existing > 0 && !batch.overwrite ? " (refused without --overwrite)" : "");
}

// Existing outputs are never replaced by accident: without --overwrite or --skip-existing
// they stop the run before any work.
void refuse_existing_outputs(const std::vector<Job>& jobs, const BatchOptions& batch) {
  if (batch.overwrite || batch.skip_existing) return;
  size_t existing = 0;
  const Job* first = nullptr;
  for (const auto& job : jobs) {
    if (output_exists(job)) {
      ++existing;
      if (!first) first = &job;
    }
  }
  if (first) {
    throw Error(ErrorCode::kImageWrite,
                std::to_string(existing) + " of " + std::to_string(jobs.size()) +
                    " outputs exist already (first '" + first->output +
                    "'); pass --overwrite to replace them or --skip-existing to skip those jobs");
  }
}

// Removes what a killed earlier run left half-written in `folder`, once per folder.
void clean_folder(const fs::path& folder, std::set<fs::path>& cleaned) {
  if (!cleaned.insert(folder).second) return;
  for (const auto& path : remove_stale_temporary_files(folder.string())) {
    spdlog::info("removed '{}': a temporary file of an earlier run that was killed", path);
  }
}

// Creates the outputs' folders and checks, before any optimisation, that each output can be
// written there.
void prepare_outputs(const std::vector<Job>& jobs, const BatchOptions& batch) {
  std::set<fs::path> cleaned;
  for (const auto& job : jobs) {
    if (job.output == "-") continue;  // standard output
    const fs::path folder = fs::path(job.output).parent_path();
    clean_folder(folder, cleaned);
    if (batch.skip_existing && output_exists(job)) continue;
    std::error_code ec;
    if (!folder.empty() && !fs::exists(folder, ec)) {
      fs::create_directories(folder, ec);
      if (ec) {
        throw Error(ErrorCode::kImageWrite, "cannot write image '" + job.output +
                                                "': cannot create folder '" + folder.string() +
                                                "': " + ec.message());
      }
    }
    check_output_path(job.output);
  }
}

std::map<std::string, int> count_statuses(const std::vector<JobResult>& results) {
  std::map<std::string, int> counts;
  for (const auto status : {JobStatus::kDone, JobStatus::kCutShort, JobStatus::kSkipped,
                            JobStatus::kFailed, JobStatus::kInterrupted, JobStatus::kPending}) {
    counts[to_string(status)] = 0;
  }
  for (const auto& r : results) ++counts[to_string(r.status)];
  return counts;
}

const char* status_of(int exit_code) {
  switch (exit_code) {
    case kExitSuccess:
      return "done";
    case kExitSomeFailed:
      return "failed";
    case kExitNothingRan:
      return "error";
    default:
      return "interrupted";
  }
}

// A file the run writes at its end, also when it fails or is interrupted: the report, the
// gallery, the contact sheet.
struct RunFile {
  const char* flag;
  std::string path;  // empty: not asked for
  std::function<void(const std::string&)> check;
  std::function<void(const std::string&, const RunInfo&, const std::vector<JobResult>&)> write;
  bool refused = false;  // up front: the run's error says why, and the end does not try again
};

std::vector<RunFile> run_files(const CliOptions& cli) {
  return {{"--report", cli.report,
           [](const std::string& path) { check_writable(path, ErrorCode::kReportWrite, "report"); },
           write_report},
          {"--gallery", cli.gallery, check_gallery_path,
           [](const std::string& path, const RunInfo& run, const std::vector<JobResult>& jobs) {
             write_gallery(path, run, jobs);
           }},
          {"--contact-sheet", cli.contact_sheet, check_contact_sheet_path, write_contact_sheet}};
}

// Checks, before any work, that each file can be written, creating its folder (they often go
// into the output folder, which may not exist yet), and that no two share a name, where the
// last write would silently win.
void prepare_run_files(std::vector<RunFile>& files) {
  for (size_t i = 0; i < files.size(); ++i) {
    RunFile& file = files[i];
    if (file.path.empty()) continue;
    for (size_t k = 0; k < i; ++k) {
      if (files[k].path == file.path) {
        file.refused = true;
        throw Error(ErrorCode::kInvalidOptions, std::string(files[k].flag) + " and " + file.flag +
                                                    " both name '" + file.path +
                                                    "'; give each its own file");
      }
    }
    const fs::path folder = fs::path(file.path).parent_path();
    std::error_code ec;
    if (!folder.empty()) fs::create_directories(folder, ec);
    std::set<fs::path> cleaned;
    clean_folder(folder, cleaned);
    try {
      file.check(file.path);
    } catch (const Error&) {
      file.refused = true;
      throw;
    }
  }
}

// Writes each file asked for and not refused, each on its own: one that cannot be written
// does not keep the others from being written. Returns whether all were.
bool write_run_files(const std::vector<RunFile>& files, const RunInfo& info,
                     const std::vector<JobResult>& results) {
  bool written = true;
  for (const auto& file : files) {
    if (file.path.empty() || file.refused) continue;
    try {
      file.write(file.path, info, results);
    } catch (const Error& error) {
      spdlog::error("{}", error.what());
      written = false;
    }
  }
  return written;
}

// The part of a run that can fail as a whole; fills `results` and `info` as it goes so that
// the report says how far it got.
int run_batch(const CliOptions& cli, const StyleTransferOptions& options, StopDeadline& deadline,
              std::vector<JobResult>& results, RunInfo& info, const std::string& executable) {
  BatchOptions batch = batch_options(cli);
  batch.loss_every = cli.print_every;  // the report's loss history as often as --print-every
  info.options = options;
  info.batch = batch;
  // Every phase below asks this where it may wait or take long, and ends within a fraction of
  // a second of SIGINT or SIGTERM; the optimisation asks after each step.
  const StopRequested stop = [] { return interrupt_signal() != 0; };
  stop_if_requested(stop, "starting");
  deadline.set_phase("scanning the inputs");

  const auto [shard, shard_count] = parse_shard(cli.shard);
  const InputFiles contents = expand_inputs(cli.contents, cli.recursive, stop);
  const InputFiles styles = expand_inputs(cli.styles, cli.recursive, stop);
  for (const auto* list : {&contents, &styles}) {
    for (const auto& note : list->notes) spdlog::info("note: {}", note);
  }
  std::vector<Job> planned;
  if (cli.blend.empty()) {
    planned = plan_jobs(contents.files, styles.files, cli.output);
  } else {
    // Blended styles count as one style.
    const auto weights = normalise_blend_weights(styles.files, cli.blend);
    planned = plan_jobs(contents.files, {blend_name(styles.files)}, cli.output);
    for (auto& job : planned) {
      job.blend = styles.files;
      job.blend_weights = weights;
    }
  }
  if (batch.save_every > 0 && !planned.empty() && planned.front().output == "-") {
    throw Error(ErrorCode::kInvalidOptions,
                "--save-every writes files named after the output, and -o - has no name; give "
                "an output file");
  }
  const auto jobs = select_shard(planned, shard, shard_count);
  results.assign(jobs.size(), JobResult());
  for (size_t i = 0; i < jobs.size(); ++i) results[i].job = jobs[i];
  if (cli.dry_run) {
    print_plan(jobs, options, batch, cli.device);
    return kExitSuccess;
  }
  refuse_existing_outputs(jobs, batch);
  deadline.set_phase("preparing the output folders");
  prepare_outputs(jobs, batch);

  const auto extractor = load_run_model(cli, info, deadline, results, executable, stop);
  deadline.set_phase("reading the starting image");
  BatchRunner runner(extractor, options, batch, stop);
  info.precision = type_name(runner.layer_type());
  spdlog::debug("VGG layers in {} (--precision {})", info.precision,
                to_string(options.precision()));
  deadline.set_run(info, results);
  results = runner.run(jobs, deadline, stop);
  return exit_code_of(results);
}

}  // namespace

int run(const CliOptions& cli, const std::string& executable) {
  const auto start = Clock::now();
  set_json_notices(cli.progress == "json");
  RunInfo info;
  info.tool_version = NST_VERSION;
  info.started_at = utc_timestamp();
  info.shard = cli.shard;
  std::vector<JobResult> results;
  std::unique_ptr<ProgressDisplay> display;
  // After display: ends before it.
  StopDeadline deadline(cli.report, cli.gallery, cli.progress == "json");
  deadline.set_run(info, results);

  int exit_code = kExitNothingRan;
  std::vector<RunFile> files = run_files(cli);
  try {
    const StyleTransferOptions options = resolve_options(cli);
    display = ProgressDisplay::create(pick_progress_mode(cli.progress, cli.quiet), cli.print_every);
    deadline.forward_to(display.get());
    prepare_run_files(files);
    if (is_clip_run(cli)) {
      exit_code = run_clip(cli, options, deadline, results, info, executable);
    } else {
      if (!cli.frames.empty()) {
        throw Error(ErrorCode::kInvalidOptions,
                    "--frames is for clips: a video, a frame pattern such as frames/%05d.png, "
                    "or a folder of frames with a video or pattern output");
      }
      exit_code = run_batch(cli, options, deadline, results, info, executable);
    }
  } catch (...) {
    info.error = failure_reason(std::current_exception());
  }
  deadline.finish();  // the run ends on its own from here
  if (!info.error.empty()) {
    if (interrupt_signal() != 0) {
      spdlog::warn("{}", info.error);  // what the run was doing when it was asked to stop
    } else {
      spdlog::error("{}", info.error);
    }
    exit_code = interrupt_signal() != 0 ? exit_code_of(results) : kExitNothingRan;
  }
  if (cli.dry_run && info.error.empty()) return exit_code;

  info.exit_code = exit_code;
  info.status = status_of(exit_code);
  info.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!write_run_files(files, info, results) && exit_code == kExitSuccess) {
    exit_code = kExitSomeFailed;
  }
  if (display) {
    display->run_finished(
        {count_statuses(results), info.seconds, exit_code, info.status, cli.report});
  }
  return exit_code;
}

}  // namespace nst::cli
