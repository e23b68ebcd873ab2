#include "nst/report/gallery.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "nst/engine/error.h"
#include "nst/io/atomic_file.h"
#include "nst/io/read_bytes.h"
#include "nst/report/batch_grid.h"
#include "nst/report/html_text.h"
#include "nst/report/json_text.h"
#include "nst/report/loss_curve.h"
#include "nst/report/number_text.h"
#include "nst/report/thumbnail.h"

namespace nst {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr int kHeaderInputSide = 96;  // the inputs in the headers: enough to recognise them
constexpr int kCurveHeight = 36;
// Keeps a cell's picture at about 4-9 kB, so that a page of 200 jobs stays a few megabytes.
constexpr int kJpegQuality = 72;
constexpr int kCellWidth = kThumbnailSide + 10;  // the picture, padding and border

const std::vector<JobStatus>& all_statuses() {
  static const std::vector<JobStatus> statuses = {JobStatus::kDone,    JobStatus::kCutShort,
                                                  JobStatus::kSkipped, JobStatus::kInterrupted,
                                                  JobStatus::kFailed,  JobStatus::kPending};
  return statuses;
}

// "cut short" → "st-cut-short", a CSS class.
std::string status_class(JobStatus status) {
  std::string name = std::string("st-") + to_string(status);
  for (auto& c : name) c = c == ' ' ? '-' : c;
  return name;
}

std::string hex(Rgb colour) {
  char text[8];
  std::snprintf(text, sizeof(text), "#%02x%02x%02x", colour.r, colour.g, colour.b);
  return text;
}

// "4.2 s" under a minute, "12:05" or "1:02:03" above.
std::string duration(double seconds) {
  if (seconds < 60) return number_text("%.1f s", seconds);
  const long long total = static_cast<long long>(seconds + 0.5);
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", total / 3600, total / 60 % 60,
                  total % 60);
  } else {
    std::snprintf(text, sizeof(text), "%lld:%02lld", total / 60, total % 60);
  }
  return text;
}

// Reads the pictures of the page while the time allows.
class Pictures {
 public:
  Pictures(double seconds, int64_t max_pixels)
      : until_(seconds < 0 ? Clock::time_point::max()
                           : Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(seconds))),
        max_pixels_(max_pixels) {}

  // An <img> of the picture at `path`, or empty with `why` saying what is shown instead.
  std::string img(const std::string& path, int side, const std::string& alt, std::string& why) {
    if (Clock::now() >= until_) {
      why = "picture left out to stop in time";
      return {};
    }
    if (is_stream(path)) {
      why = "read from a stream";  // once, by the run: it is gone
      return {};
    }
    const cv::Mat picture = read_thumbnail(path, side, max_pixels_);
    if (picture.empty()) {
      why = "cannot read the picture";
      return {};
    }
    return "<img src=\"" + jpeg_data_uri(picture, kJpegQuality) + "\" width=\"" +
           std::to_string(picture.cols) + "\" height=\"" + std::to_string(picture.rows) +
           "\" alt=\"" + html_escape(alt) + "\">";
  }

 private:
  Clock::time_point until_;
  int64_t max_pixels_;
};

const char* const kStyle = R"(
*{box-sizing:border-box}
:root{color-scheme:light;font:13px/1.35 system-ui,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:#222;background:#f3f3f3}
body{margin:16px}
h1{font-size:18px;margin:0 0 4px}
h2{font-size:15px;margin:24px 0 8px}
p{margin:0 0 6px}
.legend span{display:inline-block;margin-right:12px;white-space:nowrap}
.key{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;
vertical-align:-1px;background:var(--c)}
.scroll{overflow-x:auto;padding-bottom:8px}
.grid{display:grid;gap:6px;width:max-content;align-items:stretch}
.corner{color:#666;font-size:12px;padding:4px;align-self:end}
.head{background:#fff;border:1px solid #ddd;border-radius:4px;padding:4px;font-size:12px}
.col-head{display:flex;flex-direction:column;justify-content:flex-end}
.row-head{position:sticky;left:0;z-index:1;box-shadow:3px 0 4px rgba(0,0,0,.07)}
.name{font-weight:600;overflow-wrap:anywhere}
.path{color:#777;font-size:11px;overflow-wrap:anywhere}
.inputs{display:flex;flex-wrap:wrap;gap:4px;align-items:flex-end;margin-bottom:3px}
.inputs figure{margin:0}
.inputs img{display:block}
.inputs .ph{display:flex;align-items:center;justify-content:center;min-width:72px;height:72px;
background:#e4e4e4;border-radius:2px;font-size:11px;padding:4px}
.inputs figcaption{font-size:11px;color:#555}
.cell{background:#fff;border:1px solid #ddd;border-top:5px solid var(--c);border-radius:4px;
padding:4px;font-size:12px}
.thumb{display:flex;align-items:center;justify-content:center;width:160px;height:160px;
background:#e4e4e4;border-radius:2px;overflow:hidden}
.thumb img{display:block;max-width:160px;max-height:160px}
.ph{color:#555;text-align:center;padding:8px;overflow-wrap:anywhere}
.missing{width:100%;height:56px;background:#e4e4e4;border-radius:2px}
.status{display:inline-block;color:#fff;background:var(--c);border-radius:3px;padding:0 5px;
font-weight:600}
.meta{color:#444;margin-top:3px;font-variant-numeric:tabular-nums}
.curve{display:block;margin-top:3px;color:var(--c);background:#f7f7f7;border-radius:2px}
.reason{margin-top:3px;color:#555;overflow-wrap:anywhere;max-height:8.2em;overflow:auto}
.st-failed .reason,.error{color:#a61b1b}
.none{border:1px dashed #ccc;border-radius:4px;color:#999;display:flex;align-items:center;
justify-content:center;font-size:12px}
.tables{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
table{border-collapse:collapse;background:#fff}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0;font-weight:600;white-space:nowrap}
td{overflow-wrap:anywhere;max-width:60em}
)";

std::string status_css() {
  std::string css;
  for (const auto status : all_statuses()) {
    css += "." + status_class(status) + "{--c:" + hex(status_colour(status)) + "}\n";
  }
  return css;
}

// "4 jobs: 2 done, 1 failed, 1 pending".
std::string counts_line(const std::vector<JobResult>& jobs) {
  std::map<JobStatus, size_t> counts;
  for (const auto& job : jobs) ++counts[job.status];
  std::string line = std::to_string(jobs.size()) + (jobs.size() == 1 ? " job" : " jobs");
  std::string parts;
  for (const auto status : all_statuses()) {
    if (counts[status] == 0) continue;
    parts += (parts.empty() ? "" : ", ") + std::to_string(counts[status]) + " " + to_string(status);
  }
  return parts.empty() ? line : line + ": " + parts;
}

std::string legend() {
  std::string html = "<p class=\"legend\">";
  for (const auto status : all_statuses()) {
    html += "<span class=\"" + status_class(status) + "\"><span class=\"key\"></span>" +
            to_string(status) + "</span>";
  }
  return html + "</p>\n";
}

// A header's pictures of its inputs, each captioned when there are several (a blend).
std::string input_pictures(const std::vector<std::string>& paths,
                           const std::vector<std::string>& captions, Pictures& pictures) {
  std::string html;
  for (size_t i = 0; i < paths.size(); ++i) {
    std::string why;
    const std::string img = pictures.img(paths[i], kHeaderInputSide, paths[i], why);
    html += "<figure>" + (img.empty() ? "<div class=\"ph\">" + html_escape(why) + "</div>" : img);
    if (!captions.empty()) html += "<figcaption>" + html_escape(captions[i]) + "</figcaption>";
    html += "</figure>";
  }
  return html.empty() ? html : "<div class=\"inputs\">" + html + "</div>";
}

std::string name_lines(const std::string& label, const std::string& path) {
  std::string html =
      "<div class=\"name\" title=\"" + html_escape(path) + "\">" + html_escape(label) + "</div>";
  if (label != path && path != "-") {
    html += "<div class=\"path\">" + html_escape(path) + "</div>";
  }
  return html;
}

std::string column_head(const BatchGrid& grid, size_t column, const std::vector<JobResult>& jobs,
                        Pictures& pictures) {
  const Job& job = jobs[grid.column_jobs[column]].job;
  std::string html = "<div class=\"head col-head\" data-column=\"" + std::to_string(column) + "\">";
  if (job.blend.empty()) {
    html += input_pictures({job.style}, {}, pictures);
    html += name_lines(grid.column_labels[column], job.style);
  } else {
    // A blend: its parts, each with its weight.
    const auto labels = short_labels(job.blend);
    std::vector<std::string> captions;
    for (size_t i = 0; i < job.blend.size(); ++i) {
      const double weight = i < job.blend_weights.size() ? job.blend_weights[i] : 0;
      captions.push_back(labels[i] + " " + number_text("%.2g", weight));
    }
    html += input_pictures(job.blend, captions, pictures);
    html += "<div class=\"name\">" + html_escape(grid.column_labels[column]) +
            "</div><div class=\"path\">a blend of " + std::to_string(job.blend.size()) +
            " styles</div>";
  }
  return html + "</div>\n";
}

std::string row_head(const BatchGrid& grid, size_t row, Pictures& pictures) {
  return "<div class=\"head row-head\" data-row=\"" + std::to_string(row) + "\">" +
         input_pictures({grid.rows[row]}, {}, pictures) +
         name_lines(grid.row_labels[row], grid.rows[row]) + "</div>\n";
}

// What a cell without a picture says instead.
std::string placeholder_text(const JobResult& r, const std::string& shown, const std::string& why) {
  if (!shown.empty()) return why;
  if (r.written == "-") return "written to standard output";
  switch (r.status) {
    case JobStatus::kPending:
      return "not run";
    case JobStatus::kFailed:
      return "failed: nothing written";
    case JobStatus::kInterrupted:
      return "interrupted: nothing written";
    default:
      return "no picture";
  }
}

std::string cell(const JobResult& r, size_t row, size_t column, const std::string& page_path,
                 Pictures& pictures) {
  const std::string shown = shown_image(r);
  std::string why;
  const std::string alt = r.job.content + " in the style of " + r.job.style;
  const std::string img = shown.empty() ? "" : pictures.img(shown, kThumbnailSide, alt, why);
  std::string html = "<div class=\"cell " + status_class(r.status) + "\" data-row=\"" +
                     std::to_string(row) + "\" data-column=\"" + std::to_string(column) +
                     "\" data-status=\"" + to_string(r.status) + "\">";
  html += "<div class=\"thumb\">";
  if (!img.empty()) {
    html += "<a href=\"" + html_escape(relative_link(shown, page_path)) + "\" title=\"" +
            html_escape(shown) + "\">" + img + "</a>";
  } else {
    html += "<div class=\"ph\">" + html_escape(placeholder_text(r, shown, why));
    if (!shown.empty()) {
      html += "<br><a href=\"" + html_escape(relative_link(shown, page_path)) + "\">" +
              html_escape(shown) + "</a>";
    }
    html += "</div>";
  }
  html += "</div><div class=\"meta\"><span class=\"status\">" + std::string(to_string(r.status)) +
          "</span>";
  if (r.status != JobStatus::kPending && r.status != JobStatus::kSkipped) {
    html += " " + duration(r.seconds);
    if (r.iterations > 0) html += " · " + std::to_string(r.iterations) + " it.";
  }
  html += "</div>";
  if (!r.scales.empty()) {
    const auto& s = r.scales.back();
    html += "<div class=\"meta\">loss " + number_text("%.3g", s.loss) + "<br>content " +
            number_text("%.3g", s.content_loss) + " · style " + number_text("%.3g", s.style_loss) +
            "</div>";
  }
  html += loss_curve_svg(r.losses, kThumbnailSide, kCurveHeight);
  if (!r.reason.empty()) html += "<div class=\"reason\">" + html_escape(r.reason) + "</div>";
  return html + "</div>\n";
}

std::string grid_html(const std::vector<JobResult>& jobs, const std::string& page_path,
                      Pictures& pictures) {
  const BatchGrid grid = batch_grid(jobs);
  if (grid.columns.empty()) {
    return "<p class=\"no-jobs\">No jobs: the run ended before it had any.</p>\n";
  }
  const std::string width = std::to_string(kCellWidth) + "px";
  std::string html = "<div class=\"scroll\"><div class=\"grid\" data-rows=\"" +
                     std::to_string(grid.rows.size()) + "\" data-columns=\"" +
                     std::to_string(grid.columns.size()) +
                     "\" style=\"grid-template-columns:" + width + " repeat(" +
                     std::to_string(grid.columns.size()) + "," + width + ")\">\n";
  html += "<div class=\"corner\">content ↓ &nbsp; style →</div>\n";
  // The headers' pictures first: they are few and say what the grid is about.
  for (size_t c = 0; c < grid.columns.size(); ++c) html += column_head(grid, c, jobs, pictures);
  for (size_t r = 0; r < grid.rows.size(); ++r) {
    html += row_head(grid, r, pictures);
    for (size_t c = 0; c < grid.columns.size(); ++c) {
      const size_t j = grid.cells[r][c];
      html += j == BatchGrid::kNoJob
                  ? "<div class=\"none\" data-row=\"" + std::to_string(r) + "\" data-column=\"" +
                        std::to_string(c) + "\">not in this run</div>\n"
                  : cell(jobs[j], r, c, page_path, pictures);
    }
  }
  return html + "</div></div>\n";
}

std::string table_row(const std::string& key, const std::string& value) {
  return "<tr><th>" + html_escape(key) + "</th><td>" + html_escape(value) + "</td></tr>\n";
}

// A value of the options' JSON as a reader wants it: text without quotes, lists by commas.
std::string plain(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string text;
    for (const auto& item : value) text += (text.empty() ? "" : ", ") + plain(item);
    return text;
  }
  return json_text(value);
}

std::string settings_html(const RunInfo& run) {
  std::string html = "<h2>Settings</h2>\n<div class=\"tables\"><table class=\"settings\">\n";
  html += table_row("tool", "nst " + run.tool_version);
  html += table_row("model", run.model_path);
  if (!run.model_sha256.empty()) html += table_row("model SHA-256", run.model_sha256);
  html += table_row("device", run.device);
  html += table_row("precision", run.precision);
  if (run.threads > 0) html += table_row("threads", std::to_string(run.threads));
  html += table_row("shard", run.shard.empty() ? "all jobs" : run.shard);
  html += table_row("status", run.status + " (exit code " + std::to_string(run.exit_code) + ")");
  if (!run.error.empty()) html += table_row("error", run.error);
  html += table_row("started", run.started_at);
  html += table_row("duration", duration(run.seconds));
  html += "</table>\n<table class=\"options\">\n<tr><th colspan=\"2\">options</th></tr>\n";
  const json options = json::parse(options_json_text(run.options), nullptr, false);
  if (options.is_object()) {
    for (const auto& [key, value] : options.items()) html += table_row(key, plain(value));
  }
  const BatchOptions& b = run.batch;
  html +=
      table_row("time limit", b.time_limit_seconds > 0 ? duration(b.time_limit_seconds) : "none");
  html += table_row("skip existing", b.skip_existing ? "yes" : "no");
  html += table_row("overwrite", b.overwrite ? "yes" : "no");
  html += table_row("fail fast", b.fail_fast ? "yes" : "no");
  html += table_row("losses every", b.loss_every > 0 ? std::to_string(b.loss_every) + " iterations"
                                                     : "a tenth of a job");
  return html + "</table></div>\n";
}

}  // namespace

std::string gallery_html(const RunInfo& run, const std::vector<JobResult>& jobs,
                         const std::string& page_path, double thumbnail_seconds) {
  Pictures pictures(thumbnail_seconds, run.batch.max_input_pixels);
  const std::string title = "nst: " + counts_line(jobs);
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<title>" +
      html_escape(title) + "</title>\n<style>" + kStyle + status_css() +
      "</style>\n</head>\n<body>\n";
  html += "<h1>nst " + html_escape(run.tool_version) + ": " + html_escape(run.status) + "</h1>\n";
  html += "<p class=\"summary\">" + html_escape(counts_line(jobs)) + " · started " +
          html_escape(run.started_at) + " · " + duration(run.seconds) +
          (run.shard.empty() ? "" : " · shard " + html_escape(run.shard)) + "</p>\n";
  if (!run.error.empty()) html += "<p class=\"error\">" + html_escape(run.error) + "</p>\n";
  html += legend();
  html += grid_html(jobs, page_path, pictures);
  html += settings_html(run);
  return html + "</body>\n</html>\n";
}

void write_gallery(const std::string& path, const RunInfo& run, const std::vector<JobResult>& jobs,
                   double thumbnail_seconds) {
  std::string page;
  try {
    page = gallery_html(run, jobs, path, thumbnail_seconds);
  } catch (const std::exception& error) {
    throw Error(ErrorCode::kReportWrite,
                "cannot write gallery '" + path + "': " + first_line(error.what()));
  }
  write_file_atomically(path, page, ErrorCode::kReportWrite, "gallery");
}

void check_gallery_path(const std::string& path) {
  check_writable(path, ErrorCode::kReportWrite, "gallery");
}

}  // namespace nst
