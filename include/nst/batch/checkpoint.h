#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nst/batch/batch.h"
#include "nst/engine/options.h"

// Where an unfinished job stands: written beside its `.partial` image, so that the same job run
// again takes up its work from that image instead of starting over.
namespace nst {

/// How far the job that wrote a `.partial` image had got, and which job it was.
struct Checkpoint {
  int64_t iteration = 0;   ///< steps the image has had, over all scales
  int64_t iterations = 0;  ///< steps the job plans
  std::string job_key;     ///< `job_key` of that job
};

/// `out/a.partial.json` for `out/a.png`: the checkpoint of `partial_path(output)`.
std::string checkpoint_path(const std::string& output);

/// What makes a job the same job: its inputs (paths, sizes and modification times of the
/// content, the styles with their weights and the starting image) and every setting, hashed.
/// A checkpoint of a job whose key differs is not resumed.
std::string job_key(const Job& job, const StyleTransferOptions& options,
                    const std::string& init_image);

/// Writes `checkpoint` for `output` atomically. Throws `nst::Error(kImageWrite)`.
void write_checkpoint(const std::string& output, const Checkpoint& checkpoint);

/// The checkpoint of `output`, if one exists and reads whole; nothing otherwise (a missing,
/// truncated or foreign file is not resumed from).
std::optional<Checkpoint> read_checkpoint(const std::string& output);

/// Removes the `.partial` image of `output` and its checkpoint, where they exist.
void remove_partial(const std::string& output);

}  // namespace nst
