#pragma once

#include <cstddef>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "nst/batch/job_result.h"
#include "nst/report/report.h"

namespace nst {

/// Where things lie on a contact sheet, in pixels: a margin, a header row of the styles (small
/// pictures and names), a left column of the contents (likewise), then one cell per job of the
/// grid (`batch_grid`).
struct ContactSheetLayout {
  static constexpr int kMargin = 8;
  static constexpr int kLabelWidth = 170;    ///< the column of content names
  static constexpr int kHeaderHeight = 146;  ///< the row of styles: pictures and names
  static constexpr int kCellWidth = 170;     ///< a picture of `kThumbnailSide` and a gutter
  static constexpr int kCellHeight = 214;    ///< status bar, picture, two lines of text
  static constexpr int kGutter = 5;          ///< around each cell's contents

  /// The size of a sheet of `rows` × `columns` cells.
  static cv::Size size(size_t rows, size_t columns);
  /// The cell at (`row`, `column`), gutter included.
  static cv::Rect cell(size_t row, size_t column);
};

/// The batch's grid as one 8-bit BGR picture (`ContactSheetLayout`): each cell holds the job's
/// picture (as in the gallery) over a bar of its status colour and a line with its status,
/// time and final loss; a job without a picture gets a grey box saying why ("failed", with
/// the start of its reason). Names are drawn in ASCII (OpenCV's fonts have no other
/// characters; others show as '?'). Throws `nst::Error(kImageWrite)` when the sheet would be
/// larger than an image can be.
cv::Mat contact_sheet(const RunInfo& run, const std::vector<JobResult>& jobs);

/// Writes `contact_sheet` to `path` atomically, in the format of its extension (png, jpg,
/// jpeg, webp, tif, tiff, bmp). Throws
/// `nst::Error(kImageWrite, "cannot write contact sheet '<path>': ...")`.
void write_contact_sheet(const std::string& path, const RunInfo& run,
                         const std::vector<JobResult>& jobs);

/// Checks, before any work, that `path` has an image extension and can be written. Throws
/// `nst::Error(kImageWrite)` naming it.
void check_contact_sheet_path(const std::string& path);

}  // namespace nst
