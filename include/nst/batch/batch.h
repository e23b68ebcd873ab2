#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "nst/engine/stop.h"

namespace nst {

/// One unit of a batch: paint `content` in the style of `style` into `output`.
struct Job {
  size_t index = 0;                   ///< position in the batch's deterministic order, from 0
  std::string content;                ///< content image path
  std::string style;                  ///< style image path, or the name of a blend of styles
  std::string output;                 ///< where the result goes
  std::vector<std::string> blend;     ///< the styles blended into one, if any
  std::vector<double> blend_weights;  ///< their weights, summing to 1
};

/// Image files found by `expand_inputs`, and notes about what was passed over.
struct InputFiles {
  std::vector<std::string> files;  ///< in order: arguments in the order given, folders by name
  std::vector<std::string> notes;  ///< one line per skipped entry, naming it and why
};

/// Expands command-line arguments into image files: a file stands for itself; a folder for the
/// image files in it (by extension, sorted by name; with `recursive`, also in its sub-folders);
/// a glob pattern (`*`, `?`, `[`) for the files it matches, sorted. A file already listed is
/// not listed again. `stop` is asked at each folder entry. Throws `nst::Error(kImageRead)` for an
/// argument that exists nowhere or matches nothing, or `nst::Stopped`.
InputFiles expand_inputs(const std::vector<std::string>& arguments, bool recursive,
                         const StopRequested& stop = {});

/// Whether a file name has the extension of an image format `nst` reads.
bool has_image_extension(const std::string& path);

/// The default output template: `{content}_{style}.png`.
extern const char* const kDefaultOutputTemplate;

/// Pairs every content with every style (content-major: all styles of the first content, then
/// of the second, …) and names each job's output from `output`, which is:
/// - a template when it contains `{`: `{content}` and `{style}` are the inputs' file names
///   without extension, `{index}` the job's position (from 0, zero-padded to a common width),
///   `{ext}` the content's extension;
/// - a file when there is exactly one job and it does not name an existing folder nor end
///   with '/';
/// - otherwise a folder, in which outputs are named by the default template.
/// Throws `nst::Error(kInvalidOptions)` when one file is named for several jobs, when two jobs
/// would write the same path, or when an output would overwrite an input.
std::vector<Job> plan_jobs(const std::vector<std::string>& contents,
                           const std::vector<std::string>& styles, const std::string& output);

/// The name of a blend of `styles`, used as the jobs' `style` and `{style}`: their file names
/// without extension joined by '+' ("a+b").
std::string blend_name(const std::vector<std::string>& styles);

/// `weights` of a blend of `styles`, normalised to sum 1. Throws
/// `nst::Error(kInvalidOptions)` when the counts differ, a weight is negative, or all are zero.
std::vector<double> normalise_blend_weights(const std::vector<std::string>& styles,
                                            const std::vector<double>& weights);

/// The jobs whose index modulo `count` is `shard`, so that `count` independent workers cover a
/// batch exactly once.
std::vector<Job> select_shard(const std::vector<Job>& jobs, size_t shard, size_t count);

/// Where an interrupted job's current result goes: `.partial` before the extension
/// (`out/a_b.png` → `out/a_b.partial.png`).
std::string partial_path(const std::string& output);

/// Where the intermediate image of `iteration` goes with `--save-every`:
/// `out/a_b.png` → `out/a_b.iter00100.png`.
std::string iteration_path(const std::string& output, long long iteration);

}  // namespace nst
