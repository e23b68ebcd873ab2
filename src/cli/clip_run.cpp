#include "nst/cli/clip_run.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "nst/batch/batch.h"
#include "nst/batch/checkpoint.h"
#include "nst/cli/exit_codes.h"
#include "nst/cli/run_steps.h"
#include "nst/cli/signals.h"
#include "nst/engine/colour.h"
#include "nst/engine/error.h"
#include "nst/engine/precision.h"
#include "nst/engine/system_limits.h"
#include "nst/io/atomic_file.h"
#include "nst/io/file_info.h"
#include "nst/io/image_io.h"
#include "nst/report/json_text.h"
#include "nst/video/audio_track.h"
#include "nst/video/clip_painter.h"
#include "nst/video/clip_writer.h"
#include "nst/video/frame_source.h"

namespace nst::cli {
namespace fs = std::filesystem;
namespace {

// Frame rate of a clip read from images, which declare none.
constexpr double kImagesFps = 25.0;

bool is_folder(const std::string& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

bool is_clip_output(const std::string& output) {
  return has_video_extension(output) || is_frame_pattern(output);
}

// --frames "A:B", "A:" or ":B" (from 1, inclusive) into the options.
void parse_frame_range(const std::string& text, ClipOptions& clip) {
  if (text.empty()) return;
  static const std::regex range(R"((\d{0,9}):(\d{0,9}))");
  std::smatch match;
  if (std::regex_match(text, match, range)) {
    clip.first = match[1].length() > 0 ? std::stoll(match[1]) : 1;
    clip.last = match[2].length() > 0 ? std::stoll(match[2]) : 0;
    if (clip.first >= 1 && (clip.last == 0 || clip.last >= clip.first)) return;
  }
  throw Error(ErrorCode::kInvalidOptions,
              "--frames '" + text +
                  "' is not A:B with 1 <= A <= B (A: or :B for the clip's end "
                  "or start; frames are numbered from 1)");
}

// Where the frames go: the output pattern, or a folder beside a video output.
struct FrameStore {
  std::string pattern;  // printf pattern of the frames' files
  std::string folder;   // the folder of a video's frames, removed once it is written; "" else
  std::string state;    // which clip and settings the frames there were painted with
};

FrameStore frame_store(const std::string& output) {
  FrameStore store;
  if (is_frame_pattern(output)) {
    store.pattern = output;
    const fs::path path(output);
    store.state =
        (path.parent_path() / ("." + path.filename().string() + ".nst-clip.json")).string();
  } else {
    store.folder = output + ".nst-frames";
    store.pattern = (fs::path(store.folder) / "%06d.png").string();
    store.state = (fs::path(store.folder) / "clip.json").string();
  }
  return store;
}

// What makes the frames of an earlier run this clip's: the inputs, every setting, the range.
std::string clip_key(const CliOptions& cli, const StyleTransferOptions& options,
                     const ClipOptions& clip) {
  Job job;
  job.content = cli.contents.front();
  job.style = cli.styles.front();
  job.output = cli.output;
  const std::string text =
      job_key(job, options, "") + "|temporal " + std::to_string(clip.temporal_weight) + "|flow " +
      to_string(clip.flow) + "|later " + std::to_string(clip.later_iterations) + " " +
      std::to_string(clip.later_learning_rate) + "|cut " + std::to_string(clip.cut_threshold) +
      "|frames " + std::to_string(clip.first) + ":" + std::to_string(clip.last);
  return sha256_bytes(std::vector<unsigned char>(text.begin(), text.end()));
}

std::string read_state_key(const std::string& state) {
  std::ifstream in(state);
  if (!in) return "";
  try {
    return nlohmann::json::parse(in).value("key", "");
  } catch (const std::exception&) {
    return "";  // a foreign or truncated file: no resume
  }
}

// The frames of the range that exist as files.
std::vector<std::string> existing_frames(const FrameStore& store, const ClipOptions& clip) {
  std::vector<std::string> found;
  std::error_code error;
  for (int64_t number = clip.first; number <= clip.last; ++number) {
    const std::string path = numbered_frame(store.pattern, number);
    if (fs::exists(path, error)) found.push_back(path);
  }
  return found;
}

// Makes the store ready: frames of an earlier run of the same clip stay to be gone on from;
// any others are removed (a video's frame folder is the run's own) or, in an output pattern,
// refused without --overwrite. Returns whether an earlier run's frames are kept.
bool prepare_store(const FrameStore& store, const std::string& key, const CliOptions& cli,
                   const ClipOptions& clip) {
  std::error_code error;
  const fs::path folder =
      store.folder.empty() ? fs::path(store.pattern).parent_path() : fs::path(store.folder);
  if (!folder.empty()) {
    fs::create_directories(folder, error);
    if (error) {
      throw Error(ErrorCode::kImageWrite, "cannot write frames '" + store.pattern +
                                              "': cannot create folder '" + folder.string() +
                                              "': " + error.message());
    }
  }
  for (const auto& path : remove_stale_temporary_files(folder.string())) {
    spdlog::info("removed '{}': a temporary file of an earlier run that was killed", path);
  }
  check_output_path(numbered_frame(store.pattern, clip.first));
  const bool same_clip = read_state_key(store.state) == key;
  const auto existing = existing_frames(store, clip);
  if (!same_clip && !existing.empty()) {
    if (store.folder.empty() && !cli.overwrite) {
      throw Error(ErrorCode::kImageWrite,
                  std::to_string(existing.size()) + " of the frames exist already (first '" +
                      existing.front() +
                      "') and no earlier run of this clip with these settings wrote them; pass "
                      "--overwrite to replace them");
    }
    for (const auto& path : existing) fs::remove(path, error);
  }
  write_file_atomically(store.state, json_text({{"key", key}, {"frames", store.pattern}}, 2),
                        ErrorCode::kImageWrite, "clip state");
  return same_clip && !existing.empty();
}

// Removes the store's folder (a video's) or state (a pattern's) when the run ends without a
// frame in it, as one refused for its model or style does: nothing is left behind then.
class StoreCleanup {
 public:
  StoreCleanup(const FrameStore& store, const ClipOptions& clip) : store_(store), clip_(clip) {}
  ~StoreCleanup() {
    if (!existing_frames(store_, clip_).empty()) return;
    std::error_code error;
    if (store_.folder.empty()) {
      fs::remove(store_.state, error);
    } else {
      fs::remove_all(store_.folder, error);
    }
  }
  StoreCleanup(const StoreCleanup&) = delete;
  StoreCleanup& operator=(const StoreCleanup&) = delete;

 private:
  const FrameStore& store_;
  const ClipOptions& clip_;
};

// Shows the clip's progress through the batch display: each frame painted is a job.
class FrameEvents : public ClipListener {
 public:
  FrameEvents(BatchListener& display, const FrameSource& source, const std::string& style,
              const FrameStore& store, std::vector<JobResult>& results)
      : display_(display), source_(source), style_(style), store_(store), results_(results) {}

  void frame_started(int64_t number, int64_t position, int64_t total) override {
    job_ = Job();
    job_.index = static_cast<size_t>(position - 1);
    job_.content = source_.frame_name(number - 1);
    job_.style = style_;
    job_.output = numbered_frame(store_.pattern, number);
    position_ = position;
    total_ = total;
    started_ = false;
  }
  void step(const ProgressEvent& event) override {
    if (!started_) {
      display_.job_started(job_, static_cast<size_t>(position_), static_cast<size_t>(total_));
      display_.optimisation_started(job_);
      started_ = true;
    }
    display_.iteration(job_, event);
  }
  void frame_finished(const FrameRecord& record) override {
    JobResult result;
    result.job = job_;
    result.written = record.path;
    result.iterations = record.iterations;
    result.seconds = record.seconds;
    result.optimisation_seconds = record.seconds - record.flow_seconds;
    result.peak_memory_bytes = peak_memory_bytes();
    result.scales = record.scales;
    result.content.path = job_.content;
    if (!record.scales.empty()) {
      result.content.width = record.scales.back().width;
      result.content.height = record.scales.back().height;
    }
    result.style.path = style_;
    if (record.resumed) {
      result.status = JobStatus::kSkipped;
      result.reason = "painted by an earlier run";
    } else {
      result.status = record.cut_short ? JobStatus::kCutShort : JobStatus::kDone;
      if (record.cut_short) result.reason = "the time limit ended its steps";
      result.losses.push_back(
          {record.iterations, record.loss, record.content_loss, record.style_loss});
    }
    if (started_) {
      display_.optimisation_ended(job_);
      display_.job_finished(result);
    }
    results_.push_back(std::move(result));
  }

 private:
  BatchListener& display_;
  const FrameSource& source_;
  std::string style_;
  const FrameStore& store_;
  std::vector<JobResult>& results_;
  Job job_;
  int64_t position_ = 0, total_ = 0;
  bool started_ = false;
};

void check_clip_arguments(const CliOptions& cli) {
  if (cli.contents.size() != 1) {
    throw Error(ErrorCode::kInvalidOptions,
                "a clip is painted from one --content (a video, a frame pattern or a folder of "
                "frames); got " +
                    std::to_string(cli.contents.size()));
  }
  if (cli.styles.size() != 1 || !cli.blend.empty()) {
    throw Error(ErrorCode::kInvalidOptions, "a clip is painted in one --style image");
  }
  if (has_video_extension(cli.styles.front())) {
    throw Error(ErrorCode::kImageRead, "cannot read style '" + cli.styles.front() +
                                           "': it is a video; a style is one image");
  }
  if (!is_clip_output(cli.output)) {
    std::string formats;
    for (const auto& format : video_formats()) formats += std::string(" .") + format.extension;
    throw Error(ErrorCode::kInvalidOptions,
                "the output of a clip must be a video (" + formats.substr(1) +
                    ") or a frame pattern such as out/%05d.png; got '" + cli.output + "'");
  }
  for (const char* flag : {"--shard", "--save-every", "--gallery", "--contact-sheet"}) {
    const bool given = (std::string(flag) == "--shard" && !cli.shard.empty()) ||
                       (std::string(flag) == "--save-every" && cli.save_every > 0) ||
                       (std::string(flag) == "--gallery" && !cli.gallery.empty()) ||
                       (std::string(flag) == "--contact-sheet" && !cli.contact_sheet.empty());
    if (given) {
      throw Error(ErrorCode::kInvalidOptions,
                  std::string(flag) + " is for batches of stills, not for a clip");
    }
  }
}

}  // namespace

bool is_clip_run(const CliOptions& cli) {
  if (cli.contents.size() != 1) return false;
  const std::string& content = cli.contents.front();
  if (has_video_extension(content) || is_frame_pattern(content)) return true;
  return is_folder(content) && is_clip_output(cli.output);
}

int run_clip(const CliOptions& cli, const StyleTransferOptions& options, StopDeadline& deadline,
             std::vector<JobResult>& results, RunInfo& info, const std::string& executable) {
  check_clip_arguments(cli);
  info.options = options;
  info.batch = batch_options(cli);
  const StopRequested stop = [] { return interrupt_signal() != 0; };
  ClipOptions clip = cli.clip;
  parse_frame_range(cli.frames, clip);
  clip.time_limit_seconds = cli.time_limit;
  const std::string& input = cli.contents.front();

  deadline.set_phase("reading the clip");
  FrameSource source = FrameSource::open(input);
  const int64_t frames = source.count_frames(stop);
  if (source.is_video() && frames < source.claimed_frames()) {
    spdlog::warn(
        "'{}' claims {} frames but {} decode: the rest is missing or damaged, and the "
        "{} that decode are painted",
        input, source.claimed_frames(), frames, frames);
  }
  if (clip.first > frames) {
    throw Error(ErrorCode::kInvalidOptions, "--frames starts at frame " +
                                                std::to_string(clip.first) + " but '" + input +
                                                "' has " + std::to_string(frames));
  }
  clip.last = clip.last == 0 ? frames : std::min(clip.last, frames);
  if (cli.fps > 0 && source.is_video()) {
    throw Error(ErrorCode::kInvalidOptions, "--fps is for clips read from images; the video '" +
                                                input + "' keeps its own frame rate");
  }
  const double fps = cli.fps > 0 ? cli.fps : source.fps() > 0 ? source.fps() : kImagesFps;
  const bool video_out = !is_frame_pattern(cli.output);
  if (cli.dry_run) {
    std::printf("clip '%s': frames %lld to %lld of %lld, %dx%d at %.3g fps -> '%s'\n",
                input.c_str(), static_cast<long long>(clip.first),
                static_cast<long long>(clip.last), static_cast<long long>(frames),
                source.size().width, source.size().height, fps, cli.output.c_str());
    return kExitSuccess;
  }

  std::error_code error;
  if (video_out && fs::exists(cli.output, error)) {
    if (cli.skip_existing) {
      spdlog::info("'{}' exists: skipped (--skip-existing)", cli.output);
      return kExitSuccess;
    }
    if (!cli.overwrite) {
      throw Error(ErrorCode::kImageWrite, "output '" + cli.output +
                                              "' exists already; pass --overwrite to replace it "
                                              "or --skip-existing to skip it");
    }
  }
  deadline.set_phase("preparing the output");
  if (video_out) {
    const fs::path folder = fs::path(cli.output).parent_path();
    if (!folder.empty()) fs::create_directories(folder, error);
    check_video_output(cli.output);
  }
  const FrameStore store = frame_store(cli.output);
  const bool resuming = prepare_store(store, clip_key(cli, options, clip), cli, clip);
  const StoreCleanup cleanup(store, clip);

  const auto extractor = load_run_model(cli, info, deadline, results, executable, stop);
  const int64_t memory_limit = info.batch.memory_limit_bytes;
  const StyleTransfer first(extractor, options, memory_limit);
  const StyleTransfer later(extractor, later_engine_options(options, clip), memory_limit);
  info.precision = type_name(first.layer_type());
  deadline.set_phase("reading the style");
  torch::Tensor style =
      load_image(cli.styles.front(), options.effective_style_size(), cli.max_input_pixels, stop)
          .rgb;
  if (options.preserve_colours() == PreserveColours::kHistogram) {
    // One match for the whole clip, to its first frame: a match per frame would flicker.
    const cv::Mat first_frame = *FrameSource::open(input).next();
    style = match_colour_statistics(style, bgr_to_tensor(first_frame));
  }
  deadline.set_phase("computing the style's targets");
  const StyleTargets first_targets = first.style_targets(style, stop);
  const StyleTargets later_style = later_targets(first_targets);
  deadline.set_run(info, results);

  FrameEvents events(deadline, source, cli.styles.front(), store, results);
  if (resuming)
    spdlog::info("going on from the frames an earlier run painted in '{}'", store.pattern);
  deadline.set_phase("painting the clip");
  ClipSummary summary = paint_clip(
      source, {first, first_targets, later, later_style}, clip,
      [&store](int64_t number) { return numbered_frame(store.pattern, number); }, events, stop);
  summary.input = input;
  summary.output = cli.output;
  summary.fps = fps;
  summary.stored_size = video_out ? storable_size(summary.painted_size) : summary.painted_size;
  info.clip = summary;
  deadline.set_run(info, results);
  if (summary.stopped) {
    const int64_t done = summary.frames.empty() ? clip.first - 1 : summary.frames.back().number;
    spdlog::warn(
        "stopped after frame {} of {}: the frames painted are kept in '{}', and the "
        "same command goes on from frame {}",
        done, clip.last, store.pattern, done + 1);
    return exit_code_of(results);
  }
  spdlog::info(
      "flicker (E_warp): {:.5f} painted, {:.5f} in the input, {:.5f} for the paintings carried "
      "unchanged along the flow; {} scene cut{}",
      summary.output_warping_error, summary.input_warping_error, summary.carried_warping_error,
      summary.cuts, summary.cuts == 1 ? "" : "s");
  if (video_out) {
    deadline.set_phase("writing the video");
    std::vector<std::string> files;
    for (const auto& frame : summary.frames) files.push_back(frame.path);
    write_video(cli.output, files, fps, stop);
    if (summary.stored_size != summary.painted_size) {
      spdlog::info(
          "'{}': frames of {}x{} stored as {}x{}, their last column or row repeated "
          "(the codec needs even sides)",
          cli.output, summary.painted_size.width, summary.painted_size.height,
          summary.stored_size.width, summary.stored_size.height);
    }
    if (source.is_video()) {
      deadline.set_phase("copying the sound");
      const AudioOutcome audio =
          copy_audio(cli.output, input, static_cast<double>(clip.first - 1) / fps,
                     static_cast<double>(clip.last - clip.first + 1) / fps);
      summary.audio = audio.note;
      if (audio.lost) {
        spdlog::warn("{}", audio.note);
      } else {
        spdlog::info("{}", audio.note);
      }
    } else {
      summary.audio = "frames have no sound";
    }
    fs::remove_all(store.folder, error);
  } else {
    fs::remove(store.state, error);
  }
  info.clip = summary;
  return exit_code_of(results);
}

}  // namespace nst::cli
