#include "nst/report/batch_grid.h"

#include <algorithm>
#include <filesystem>
#include <map>

namespace nst {
namespace fs = std::filesystem;
namespace {

// The names along `path`, without the empty and "." ones that say nothing about the file.
std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> names;
  for (const auto& part : fs::path(path)) {
    const std::string name = part.string();
    if (!name.empty() && name != "." && name != "/") names.push_back(name);
  }
  return names;
}

// The last `depth` names of `parts`, joined by '/'.
std::string last_names(const std::vector<std::string>& parts, size_t depth) {
  std::string label;
  for (size_t i = parts.size() - std::min(depth, parts.size()); i < parts.size(); ++i) {
    label += (label.empty() ? "" : "/") + parts[i];
  }
  return label;
}

}  // namespace

std::vector<std::string> short_labels(const std::vector<std::string>& paths) {
  std::vector<std::string> distinct = paths;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<std::vector<std::string>> parts;
  for (const auto& path : distinct) {
    parts.push_back(path == "-" ? std::vector<std::string>{"stdin"} : components(path));
    if (parts.back().empty()) parts.back() = {path};
  }
  std::vector<size_t> depth(distinct.size(), 1);
  std::vector<std::string> labels(distinct.size());
  // Lengthen only the names that collide, until none does or they are whole.
  for (bool longer = true; longer;) {
    longer = false;
    std::map<std::string, std::vector<size_t>> holders;
    for (size_t i = 0; i < distinct.size(); ++i) {
      labels[i] = last_names(parts[i], depth[i]);
      holders[labels[i]].push_back(i);
    }
    for (const auto& [label, indices] : holders) {
      if (indices.size() < 2) continue;
      for (const size_t i : indices) {
        if (depth[i] < parts[i].size()) {
          ++depth[i];
          longer = true;
        }
      }
    }
  }
  // Paths that differ only in how they are spelt ("a//x.png", "a/x.png") keep their spelling.
  std::map<std::string, int> uses;
  for (const auto& label : labels) ++uses[label];
  std::vector<std::string> result;
  for (const auto& path : paths) {
    const size_t i = static_cast<size_t>(std::lower_bound(distinct.begin(), distinct.end(), path) -
                                         distinct.begin());
    result.push_back(uses[labels[i]] > 1 ? path : labels[i]);
  }
  return result;
}

BatchGrid batch_grid(const std::vector<JobResult>& jobs) {
  BatchGrid grid;
  std::map<std::string, size_t> column_of;
  std::map<std::string, std::vector<size_t>> rows_of;  // a content's rows, in order
  for (size_t j = 0; j < jobs.size(); ++j) {
    const Job& job = jobs[j].job;
    auto [column, added] = column_of.emplace(job.style, grid.columns.size());
    if (added) {
      grid.columns.push_back(job.style);
      grid.column_jobs.push_back(j);
      for (auto& row : grid.cells) row.push_back(BatchGrid::kNoJob);
    }
    size_t row = BatchGrid::kNoJob;
    for (const size_t r : rows_of[job.content]) {
      if (grid.cells[r][column->second] == BatchGrid::kNoJob) {
        row = r;
        break;
      }
    }
    if (row == BatchGrid::kNoJob) {
      row = grid.rows.size();
      grid.rows.push_back(job.content);
      grid.cells.emplace_back(grid.columns.size(), BatchGrid::kNoJob);
      rows_of[job.content].push_back(row);
    }
    grid.cells[row][column->second] = j;
  }
  grid.row_labels = short_labels(grid.rows);
  grid.column_labels = short_labels(grid.columns);
  return grid;
}

std::string shown_image(const JobResult& result) {
  std::string path = result.written;
  if (path.empty() && result.status == JobStatus::kSkipped) path = result.job.output;
  return path == "-" ? std::string() : path;
}

Rgb status_colour(JobStatus status) {
  switch (status) {
    case JobStatus::kDone:
      return {46, 125, 50};
    case JobStatus::kCutShort:
      return {191, 144, 0};
    case JobStatus::kInterrupted:
      return {230, 110, 20};
    case JobStatus::kSkipped:
      return {30, 100, 190};
    case JobStatus::kFailed:
      return {198, 40, 40};
    case JobStatus::kPending:
      break;
  }
  return {140, 140, 140};
}

}  // namespace nst
