#include "nst/report/contact_sheet.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "nst/engine/error.h"
#include "nst/io/atomic_file.h"
#include "nst/io/image_io.h"
#include "nst/io/read_bytes.h"
#include "nst/report/batch_grid.h"
#include "nst/report/gallery.h"
#include "nst/report/html_text.h"
#include "nst/report/number_text.h"
#include "nst/report/thumbnail.h"

namespace nst {
namespace {

using L = ContactSheetLayout;

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kTextScale = 0.42;
constexpr double kSmallScale = 0.36;
constexpr int kLineHeight = 15;
constexpr int kInputSide = 96;  // the inputs in the header row and the left column
// The baseline of the styles' names, under their pictures.
constexpr int kNamesY = ContactSheetLayout::kMargin + ContactSheetLayout::kGutter + kInputSide + 18;
const cv::Scalar kBackground(255, 255, 255);
const cv::Scalar kText(40, 40, 40);
const cv::Scalar kQuiet(110, 110, 110);
const cv::Scalar kPlaceholder(220, 220, 220);
const cv::Scalar kNoJob(244, 244, 244);
// The most pixels a sheet may have: JPEG's side limit, and what memory allows for a review.
constexpr int kMaxSide = 65000;
constexpr double kMaxPixels = 400e6;

cv::Scalar bgr(Rgb colour) {
  return cv::Scalar(colour.b, colour.g, colour.r);
}

// What OpenCV's Hershey fonts can draw: ASCII, one '?' per other character (after the
// report's treatment of bytes that are not UTF-8, so a bad byte is one '?' too).
std::string ascii(const std::string& text) {
  std::string result;
  for (const char c : valid_utf8(text)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      result += c;
    } else if (byte < 0x80 || byte >= 0xc0) {
      result += '?';  // a control, or the first byte of a character beyond ASCII
    }
  }
  return result;
}

int text_width(const std::string& text, double scale) {
  int baseline = 0;
  return cv::getTextSize(text, kFont, scale, 1, &baseline).width;
}

// `text` broken into at most `max_lines` lines of at most `width` pixels, preferably after a
// '/', '_', '-', '+', '.' or space; "..." ends a text that does not fit.
std::vector<std::string> wrap(const std::string& text, int width, double scale, size_t max_lines) {
  std::vector<std::string> lines;
  std::string rest = ascii(text);
  while (!rest.empty() && lines.size() < max_lines) {
    size_t fit = 0;
    while (fit < rest.size() && text_width(rest.substr(0, fit + 1), scale) <= width) ++fit;
    if (fit == rest.size()) {
      lines.push_back(rest);
      rest.clear();
      break;
    }
    fit = std::max<size_t>(fit, 1);
    const size_t split = rest.find_last_of("/_-+. ", fit - 1);
    const size_t end = split != std::string::npos && split + 1 >= fit / 2 ? split + 1 : fit;
    lines.push_back(rest.substr(0, end));
    rest = rest.substr(end);
  }
  if (!rest.empty() && !lines.empty()) {
    std::string& last = lines.back();
    while (!last.empty() && text_width(last + "...", scale) > width) last.pop_back();
    last += "...";
  }
  return lines;
}

// Draws `lines` from the baseline `y`, centred on `centre_x` or left-aligned at `x`.
void draw_lines(cv::Mat& sheet, const std::vector<std::string>& lines, int x, int y, double scale,
                const cv::Scalar& colour, bool centred, int width = 0) {
  for (const auto& line : lines) {
    const int left = centred ? x + (width - text_width(line, scale)) / 2 : x;
    cv::putText(sheet, line, {left, y}, kFont, scale, colour, 1, cv::LINE_AA);
    y += kLineHeight;
  }
}

// "done 3.2 s", "failed", "skipped".
std::string status_line(const JobResult& r) {
  std::string line = to_string(r.status);
  if (r.status != JobStatus::kPending && r.status != JobStatus::kSkipped && r.seconds > 0) {
    line += "  " + number_text(r.seconds < 100 ? "%.1f s" : "%.0f s", r.seconds);
  }
  return line;
}

// Draws the input at `path` as large as fits in `box`, centred, or a grey box that says it
// cannot be shown.
void draw_input(cv::Mat& sheet, const std::string& path, const cv::Rect& box, int64_t max_pixels) {
  const cv::Mat picture = read_thumbnail(path, std::min(box.width, box.height), max_pixels);
  if (picture.empty()) {
    const cv::Rect grey(box.x + std::max(0, box.width - kInputSide) / 2, box.y + box.height / 8,
                        std::min(box.width, kInputSide), box.height * 3 / 4);
    sheet(grey).setTo(kPlaceholder);
    draw_lines(sheet, {is_stream(path) ? "a stream" : "unreadable"}, grey.x,
               grey.y + grey.height / 2 + 4, kSmallScale, kQuiet, true, grey.width);
    return;
  }
  picture.copyTo(
      sheet(cv::Rect(box.x + (box.width - picture.cols) / 2,
                     box.y + (box.height - picture.rows) / 2, picture.cols, picture.rows)));
}

void draw_cell(cv::Mat& sheet, const JobResult& r, const cv::Rect& cell, int64_t max_pixels) {
  const int side = kThumbnailSide;
  const cv::Rect inner(cell.x + L::kGutter, cell.y + L::kGutter, side, side + 6);
  const Rgb colour = status_colour(r.status);
  cv::rectangle(sheet, cv::Rect(inner.x, inner.y, side, 5), bgr(colour), cv::FILLED);
  const cv::Rect box(inner.x, inner.y + 6, side, side);
  const cv::Mat picture = read_thumbnail(shown_image(r), side, max_pixels);
  if (!picture.empty()) {
    sheet(box).setTo(kPlaceholder);
    const cv::Rect place(box.x + (side - picture.cols) / 2, box.y + (side - picture.rows) / 2,
                         picture.cols, picture.rows);
    picture.copyTo(sheet(place));
  } else {
    // Say why there is no picture, in the status's colour, with the start of any reason.
    sheet(box).setTo(kPlaceholder);
    const std::string what = r.written == "-"         ? "standard output"
                             : shown_image(r).empty() ? to_string(r.status)
                                                      : "unreadable";
    draw_lines(sheet, {ascii(what)}, box.x, box.y + 40, 0.6, bgr(colour), true, side);
    draw_lines(sheet, wrap(r.reason, side - 10, kSmallScale, 6), box.x, box.y + 66, kSmallScale,
               kText, true, side);
  }
  const int text_y = box.y + side + 16;
  draw_lines(sheet, {status_line(r)}, box.x, text_y, kTextScale, bgr(colour), false);
  if (!r.scales.empty()) {
    draw_lines(sheet, {"loss " + number_text("%.3g", r.scales.back().loss)}, box.x,
               text_y + kLineHeight, kSmallScale, kQuiet, false);
  }
}

// Refuses, before anything is allocated, a sheet larger than an image can be (checked in
// doubles: a huge batch must not overflow an int).
void check_sheet_size(const BatchGrid& grid) {
  const double width =
      2.0 * L::kMargin + L::kLabelWidth + double(grid.columns.size()) * L::kCellWidth;
  const double height =
      2.0 * L::kMargin + L::kHeaderHeight + double(grid.rows.size()) * L::kCellHeight;
  if (width > kMaxSide || height > kMaxSide || width * height > kMaxPixels) {
    throw Error(ErrorCode::kImageWrite,
                std::to_string(grid.rows.size()) + " contents by " +
                    std::to_string(grid.columns.size()) + " styles make a sheet of " +
                    number_text("%.0f", width) + "x" + number_text("%.0f", height) +
                    " pixels, more than an image can be; use the gallery, or shards");
  }
}

// The style of column `column` above it: its picture (a blend's parts side by side) and name.
void draw_style_head(cv::Mat& sheet, const BatchGrid& grid, size_t column, const Job& job,
                     int64_t max_pixels) {
  const cv::Rect cell = L::cell(0, column);
  const int width = cell.width - 2 * L::kGutter;
  const auto parts = job.blend.empty() ? std::vector<std::string>{job.style} : job.blend;
  const int n = static_cast<int>(parts.size());
  const int part_width = (width - 4 * (n - 1)) / n;
  for (int i = 0; i < n; ++i) {
    const cv::Rect box(cell.x + L::kGutter + i * (part_width + 4), L::kMargin + L::kGutter,
                       part_width, kInputSide);
    draw_input(sheet, parts[static_cast<size_t>(i)], box, max_pixels);
  }
  draw_lines(sheet, wrap(grid.column_labels[column], width, kTextScale, 2), cell.x + L::kGutter,
             kNamesY, kTextScale, kText, true, width);
}

// The content of row `row` left of it: its picture level with the cells' pictures, its name
// below.
void draw_content_head(cv::Mat& sheet, const BatchGrid& grid, size_t row, int64_t max_pixels) {
  const int top = L::cell(row, 0).y + L::kGutter + 6;
  const int width = L::kLabelWidth - 2 * L::kGutter;
  draw_input(sheet, grid.rows[row], {L::kMargin + L::kGutter, top, width, kInputSide}, max_pixels);
  draw_lines(sheet, wrap(grid.row_labels[row], width, kTextScale, 5), L::kMargin + L::kGutter,
             top + kInputSide + 18, kTextScale, kText, true, width);
}

// The format of the sheet at `path`, by its extension (lower case, without the dot). Throws
// nst::Error(kImageWrite) naming the file when it is not one an output image may have.
std::string sheet_format(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  if (!extension.empty()) extension.erase(0, 1);
  for (auto& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto& known = writable_extensions();
  if (std::find(known.begin(), known.end(), extension) == known.end()) {
    std::string list;
    for (const auto& e : known) list += (list.empty() ? "" : ", ") + e;
    throw Error(ErrorCode::kImageWrite,
                "cannot write contact sheet '" + path + "': " +
                    (extension.empty() ? std::string("it has no extension")
                                       : "unsupported extension '." + extension + "'") +
                    "; use one of " + list);
  }
  return extension;
}

}  // namespace

cv::Size ContactSheetLayout::size(size_t rows, size_t columns) {
  return {2 * kMargin + kLabelWidth + static_cast<int>(columns) * kCellWidth,
          2 * kMargin + kHeaderHeight + static_cast<int>(rows) * kCellHeight};
}

cv::Rect ContactSheetLayout::cell(size_t row, size_t column) {
  return {kMargin + kLabelWidth + static_cast<int>(column) * kCellWidth,
          kMargin + kHeaderHeight + static_cast<int>(row) * kCellHeight, kCellWidth, kCellHeight};
}

cv::Mat contact_sheet(const RunInfo& run, const std::vector<JobResult>& jobs) {
  const BatchGrid grid = batch_grid(jobs);
  check_sheet_size(grid);
  cv::Mat sheet(L::size(grid.rows.size(), grid.columns.size()), CV_8UC3, kBackground);
  const int64_t max_pixels = run.batch.max_input_pixels;
  draw_lines(sheet, {"content \\ style"}, L::kMargin, kNamesY, kSmallScale, kQuiet, false);
  for (size_t c = 0; c < grid.columns.size(); ++c) {
    draw_style_head(sheet, grid, c, jobs[grid.column_jobs[c]].job, max_pixels);
  }
  for (size_t r = 0; r < grid.rows.size(); ++r) {
    draw_content_head(sheet, grid, r, max_pixels);
    for (size_t c = 0; c < grid.columns.size(); ++c) {
      const cv::Rect cell = L::cell(r, c);
      const size_t j = grid.cells[r][c];
      if (j == BatchGrid::kNoJob) {
        // Another shard's job: an empty, lighter box.
        sheet(
            cv::Rect(cell.x + L::kGutter, cell.y + L::kGutter, kThumbnailSide, kThumbnailSide + 6))
            .setTo(kNoJob);
      } else {
        draw_cell(sheet, jobs[j], cell, max_pixels);
      }
    }
  }
  return sheet;
}

void write_contact_sheet(const std::string& path, const RunInfo& run,
                         const std::vector<JobResult>& jobs) {
  const std::string extension = "." + sheet_format(path);
  std::vector<unsigned char> bytes;
  std::string problem;
  try {
    const std::vector<int> parameters = {cv::IMWRITE_JPEG_QUALITY, 90};
    if (!cv::imencode(extension, contact_sheet(run, jobs), bytes, parameters)) {
      problem = "cannot encode it as " + extension;
    }
  } catch (const std::exception& error) {
    problem = first_line(error.what());  // a sheet too large, OpenCV's encoders, memory
  }
  if (!problem.empty()) {
    throw Error(ErrorCode::kImageWrite, "cannot write contact sheet '" + path + "': " + problem);
  }
  write_file_atomically(path, std::string(bytes.begin(), bytes.end()), ErrorCode::kImageWrite,
                        "contact sheet");
}

void check_contact_sheet_path(const std::string& path) {
  sheet_format(path);
  check_writable(path, ErrorCode::kImageWrite, "contact sheet");
}

}  // namespace nst
