#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "nst/batch/job_result.h"

namespace nst {

/// A batch laid out for review, the way the gallery and the contact sheet show it: one row per
/// content, one column per style (a blend counts as one style), in the order the jobs first
/// name them, which is the batch's own order.
struct BatchGrid {
  std::vector<std::string> rows;           ///< content paths; a path repeats only when a cell would
                                           ///< be taken twice (jobs not planned by `plan_jobs`)
  std::vector<std::string> columns;        ///< style paths, or blend names
  std::vector<std::string> row_labels;     ///< short names that tell the contents apart
  std::vector<std::string> column_labels;  ///< likewise for the styles
  std::vector<size_t> column_jobs;         ///< a job of each column, for its blend's parts
  /// `cells[row][column]`: the index of the job in the jobs given, or `kNoJob` (a shard
  /// runs only some of a batch's jobs).
  std::vector<std::vector<size_t>> cells;

  static constexpr size_t kNoJob = static_cast<size_t>(-1);
};

/// The grid of `jobs`; every job appears in exactly one cell.
BatchGrid batch_grid(const std::vector<JobResult>& jobs);

/// Short names for `paths`: each file name (with its extension), or as many of its last folders
/// as tell it apart from the others' ("a/x.png", "b/x.png"); "-" is "stdin". Equal paths get
/// equal names.
std::vector<std::string> short_labels(const std::vector<std::string>& paths);

/// The picture to show for a job: the file it wrote (its output, or its `.partial`), or for a
/// job skipped because its output exists, that output; empty when there is none or it went to
/// standard output.
std::string shown_image(const JobResult& result);

/// An 8-bit RGB colour.
struct Rgb {
  unsigned char r = 0, g = 0, b = 0;
};

/// The colour that marks a status on the gallery and the contact sheet: done green, cut short
/// amber, interrupted orange, skipped blue, failed red, pending grey.
Rgb status_colour(JobStatus status);

}  // namespace nst
