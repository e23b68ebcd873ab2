#pragma once

#include <string>
#include <vector>

#include "nst/batch/job_result.h"
#include "nst/report/report.h"

namespace nst {

/// Long side of the pictures in a gallery's cells and a contact sheet's, in pixels.
constexpr int kThumbnailSide = 160;

/// The run as one self-contained HTML page for reviewing a batch by eye: a grid of contents
/// (rows) by styles (columns), with small pictures of the inputs in its headers; in each cell
/// the job's picture (its output, its `.partial`, or the existing output it skipped) as a JPEG
/// `data:` URI that links to the file itself by a path relative to the folder of
/// `page_path`, its status in colour, its time, final losses, a loss curve from
/// `JobResult::losses` and any reason; then the run's settings. It needs no network, no other
/// file and no script to show. Jobs without a picture get a grey box. Making the pictures
/// stops once `thumbnail_seconds` have passed (negative: no limit), leaving grey boxes that
/// say so, for a run that must end at once.
std::string gallery_html(const RunInfo& run, const std::vector<JobResult>& jobs,
                         const std::string& page_path, double thumbnail_seconds = -1);

/// Writes `gallery_html` to `path` atomically. Throws
/// `nst::Error(kReportWrite, "cannot write gallery '<path>': ...")`.
void write_gallery(const std::string& path, const RunInfo& run, const std::vector<JobResult>& jobs,
                   double thumbnail_seconds = -1);

/// Checks, before any work, that a gallery can be written at `path`. Throws
/// `nst::Error(kReportWrite)` naming it.
void check_gallery_path(const std::string& path);

}  // namespace nst
