#pragma once

#include <string>
#include <vector>

#include "nst/batch/job_result.h"
#include "nst/cli/arguments.h"
#include "nst/cli/stop_deadline.h"
#include "nst/report/report.h"

// A clip: one video, frame pattern or folder of frames painted in one style, frame by frame
// with the temporal loss, into a video or numbered frames.
namespace nst::cli {

/// Whether the command line asks for a clip rather than a batch of stills: one content that
/// is a video file (by its extension) or a printf pattern of frames, or one content folder
/// with an output that is a video file or a frame pattern.
bool is_clip_run(const CliOptions& cli);

/// Paints the clip the command line names. The frames go to the output pattern, or for a video
/// output to a folder beside it (`<output>.nst-frames/`) from which the video is assembled,
/// atomically, once all are painted, with the input's sound where `ffmpeg` is installed. A run
/// that stops keeps the frames it finished, and the same command goes on from the first
/// unfinished one. Each frame is one entry of `results`; `info.clip` describes the clip.
/// Returns the exit code; throws `nst::Error` for what stops it before the first frame.
int run_clip(const CliOptions& cli, const StyleTransferOptions& options, StopDeadline& deadline,
             std::vector<JobResult>& results, RunInfo& info, const std::string& executable);

}  // namespace nst::cli
