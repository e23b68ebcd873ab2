#include "nst/report/report.h"

#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "nst/engine/settings.h"
#include "nst/io/atomic_file.h"
#include "nst/report/json_text.h"

namespace nst {
namespace {

using nlohmann::json;

// Every setting under its key, from the settings' one definition, and the scales they give.
json options_json(const StyleTransferOptions& o) {
  json options = json::object();
  for (const auto& setting : settings()) {
    std::visit([&](const auto& value) { options[setting.key] = value; }, setting.get(o));
  }
  options["scales"] = o.scale_sides();
  return options;
}

json batch_json(const BatchOptions& b) {
  return {{"fail_fast", b.fail_fast},   {"skip_existing", b.skip_existing},
          {"overwrite", b.overwrite},   {"time_limit_seconds", b.time_limit_seconds},
          {"save_every", b.save_every}, {"loss_every", b.loss_every}};
}

json input_json(const InputInfo& info, const std::string& fallback_path) {
  json input = {{"path", info.path.empty() ? fallback_path : info.path}};
  if (info.bytes >= 0 && !info.path.empty()) input["bytes"] = info.bytes;
  if (!info.sha256.empty()) input["sha256"] = info.sha256;
  if (info.width > 0) {
    input["width"] = info.width;
    input["height"] = info.height;
  }
  return input;
}

// The plan a job was started with: whole or tiled, its estimated peak and the budget.
json memory_json(const MemoryPlan& plan, const MemoryBudget& budget) {
  json memory = {{"estimated_peak_bytes", plan.peak_bytes},
                 {"full_size_bytes", plan.whole_image_bytes},
                 {"budget_bytes", budget.known() ? json(budget.bytes) : json(nullptr)},
                 {"budget", budget.known() ? json(budget.describe()) : json(nullptr)}};
  if (plan.tiled()) {
    memory["tiles"] = {{"core", plan.core},
                       {"halo", plan.halo},
                       {"count", plan.tiles},
                       {"pixels_read_per_pixel", plan.work}};
  } else {
    memory["tiles"] = nullptr;
  }
  return memory;
}

json job_json(const JobResult& r, uint64_t seed) {
  json scales = json::array();
  for (const auto& s : r.scales) {
    scales.push_back({{"width", s.width},
                      {"height", s.height},
                      {"iterations", s.iterations},
                      {"loss", s.loss},
                      {"content_loss", s.content_loss},
                      {"style_loss", s.style_loss},
                      {"tile", s.tiles > 0 ? json({{"core", s.tile_core}, {"tiles", s.tiles}})
                                           : json(nullptr)}});
  }
  json losses = json::array();
  for (const auto& p : r.losses) {
    losses.push_back({{"iteration", p.iteration},
                      {"loss", p.loss},
                      {"content_loss", p.content_loss},
                      {"style_loss", p.style_loss}});
  }
  json job = {{"index", r.job.index},
              {"content", input_json(r.content, r.job.content)},
              {"style", input_json(r.style, r.job.style)},
              {"output", r.job.output},
              {"written", r.written.empty() ? json(nullptr) : json(r.written)},
              {"seed", seed},
              {"status", to_string(r.status)},
              {"scales", scales},
              {"losses", losses},
              {"iterations", r.iterations},
              {"resumed_from", r.resumed_from},
              {"seconds", r.seconds},
              {"optimisation_seconds", r.optimisation_seconds},
              {"peak_memory_bytes", r.peak_memory_bytes},
              {"peak_gpu_memory_bytes",
               r.peak_device_memory_bytes < 0 ? json(nullptr) : json(r.peak_device_memory_bytes)}};
  if (r.memory_plan) job["memory"] = memory_json(*r.memory_plan, r.memory_budget);
  if (!r.reason.empty()) job["reason"] = r.reason;
  if (!r.job.blend.empty()) {
    json blend = json::array();
    for (size_t i = 0; i < r.job.blend.size(); ++i) {
      blend.push_back({{"path", r.job.blend[i]}, {"weight", r.job.blend_weights[i]}});
    }
    job["style"]["blend"] = blend;
  }
  return job;
}

json size_json(cv::Size size) {
  return {{"width", size.width}, {"height", size.height}};
}

// A clip's run: the clip as a whole, its flicker, and per frame what the jobs do not say.
json clip_json(const ClipSummary& clip) {
  json frames = json::array();
  double later_seconds = 0;
  int64_t later = 0;
  for (const auto& frame : clip.frames) {
    frames.push_back({{"frame", frame.number},
                      {"path", frame.path},
                      {"resumed", frame.resumed},
                      {"chain_start", frame.chain_start},
                      {"flow_reliable", frame.reliable},
                      {"iterations", frame.iterations},
                      {"cut_short", frame.cut_short},
                      {"loss", frame.loss},
                      {"content_loss", frame.content_loss},
                      {"style_loss", frame.style_loss},
                      {"seconds", frame.seconds},
                      {"flow_seconds", frame.flow_seconds}});
    if (!frame.resumed && !frame.chain_start) {
      later_seconds += frame.seconds;
      ++later;
    }
  }
  const FrameRecord* first = nullptr;
  for (const auto& frame : clip.frames) {
    if (!frame.resumed && frame.chain_start) {
      first = &frame;
      break;
    }
  }
  return {{"input", clip.input},
          {"output", clip.output},
          {"fps", clip.fps},
          {"input_size", size_json(clip.input_size)},
          {"painted_size", size_json(clip.painted_size)},
          {"stored_size", size_json(clip.stored_size)},
          {"first_frame", clip.first},
          {"last_frame", clip.last},
          {"frames_in_clip", clip.frames_in_clip},
          {"flow", clip.flow},
          {"temporal_weight", clip.options.temporal_weight},
          {"frame_iterations", clip.options.later_iterations},
          {"scene_cut", clip.options.cut_threshold},
          {"scene_cuts", clip.cuts},
          {"stopped", clip.stopped},
          {"audio", clip.audio},
          {"warping_error",
           {{"input", clip.input_warping_error},
            {"output", clip.output_warping_error},
            {"carried", clip.carried_warping_error},
            {"pairs", clip.measured_pairs}}},
          {"first_frame_seconds", first ? json(first->seconds) : json(nullptr)},
          {"later_frame_seconds",
           later > 0 ? json(later_seconds / static_cast<double>(later)) : json(nullptr)},
          {"frames", frames}};
}

}  // namespace

std::string options_json_text(const StyleTransferOptions& options) {
  return json_text(options_json(options));
}

std::string report_json(const RunInfo& run, const std::vector<JobResult>& jobs) {
  std::map<std::string, int> counts;
  for (const char* status : {"done", "skipped", "failed", "cut short", "interrupted", "pending"}) {
    counts[status] = 0;
  }
  json entries = json::array();
  for (const auto& job : jobs) {
    ++counts[to_string(job.status)];
    entries.push_back(job_json(job, run.options.seed()));
  }
  json document = {{"tool", "nst"},
                   {"version", run.tool_version},
                   {"started_at", run.started_at},
                   {"seconds", run.seconds},
                   {"status", run.status},
                   {"exit_code", run.exit_code},
                   {"model", {{"path", run.model_path}, {"sha256", run.model_sha256}}},
                   {"device", run.device},
                   {"precision", run.precision},
                   {"threads", run.threads},
                   {"shard", run.shard.empty() ? json(nullptr) : json(run.shard)},
                   {"options", options_json(run.options)},
                   {"batch", batch_json(run.batch)},
                   {"counts", counts},
                   {"jobs", entries}};
  if (!run.error.empty()) document["error"] = run.error;
  if (run.clip) document["clip"] = clip_json(*run.clip);
  return json_text(document, 2) + "\n";
}

void write_report(const std::string& path, const RunInfo& run, const std::vector<JobResult>& jobs) {
  write_file_atomically(path, report_json(run, jobs), ErrorCode::kReportWrite, "report");
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace nst
