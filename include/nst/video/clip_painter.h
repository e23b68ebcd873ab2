#pragma once

#include <cstdint>
#include <functional>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "nst/engine/stop.h"
#include "nst/engine/transfer.h"
#include "nst/video/frame_source.h"
#include "nst/video/optical_flow.h"

namespace nst {

/// How a clip is painted, beyond the still's settings.
struct ClipOptions {
  /// Weight of the temporal loss (`temporal_loss`); 0 paints every frame on its own, from its
  /// content, as a still. Measured (scripts/sweep_video.sh, doc/performance.md#clips): from
  /// 5e4 to 8e5 the flicker is the same, and below 5e4 it rises; higher weights paint the later
  /// frames worse (their style loss against the same frames painted alone).
  double temporal_weight = 5e4;
  /// The optical flow the frames are linked by.
  FlowMethod flow = FlowMethod::kDis;
  /// Steps of each frame after the first of a chain, which starts from the frame before it
  /// carried along the flow, already close to its answer. 0: as many as the first frame.
  /// Measured: 25 steps flicker as little as 50 and paint as well, in half the time.
  int64_t later_iterations = 25;
  /// Adam's learning rate at the first of those steps, in pixel units: small, so that the
  /// first steps do not scramble the warped painting they start from.
  double later_learning_rate = 4.0;
  /// A frame where the flow from the frame before holds on less than this share of the pixels
  /// follows a cut: it starts a new chain, painted as a still.
  double cut_threshold = 0.4;
  /// The frames to paint, numbered from 1 as the clip's reader meets them, `first` to `last`
  /// inclusive; `last` 0 for the clip's end.
  int64_t first = 1;
  int64_t last = 0;
  /// Seconds of optimisation per frame; 0 for none. A frame that reaches it keeps its image.
  double time_limit_seconds = 0;
};

/// What became of one frame.
struct FrameRecord {
  int64_t number = 0;        ///< in the clip, from 1
  std::string path;          ///< the painted frame's file
  bool resumed = false;      ///< painted by an earlier run, read back from `path`
  bool chain_start = false;  ///< the first frame, or the first after a cut: painted as a still
  double reliable = 0;       ///< share of pixels where the flow from the frame before holds
  int64_t iterations = 0;    ///< steps taken
  bool cut_short = false;    ///< the time limit ended its steps
  double loss = 0;           ///< weighted total, the temporal term included
  double content_loss = 0;
  double style_loss = 0;
  double seconds = 0;                ///< wall time of the frame: flow, optimisation and writing
  double flow_seconds = 0;           ///< of which optical flow
  std::vector<ScaleOutcome> scales;  ///< the optimisation's scales (none for a resumed frame)
};

/// A painted clip (or as much of it as a stopped run painted).
struct ClipSummary {
  std::string input;
  std::string output;     ///< the video or frame pattern written (set by the caller)
  cv::Size stored_size;   ///< the video's frames, padded to even sides (set by the caller)
  std::string audio;      ///< what became of the sound (set by the caller)
  double fps = 0;         ///< as the input declares it (0 for images: the caller chooses)
  cv::Size input_size;    ///< the input's frames
  cv::Size painted_size;  ///< the frames painted, at the still's `size`
  int64_t first = 1;      ///< the range painted
  int64_t last = 0;
  int64_t frames_in_clip = 0;  ///< frames the reader delivered
  std::string flow;            ///< flow method's name
  ClipOptions options;
  std::vector<FrameRecord> frames;  ///< in order; those of a stopped run's unpainted frames absent
  /// Flicker (`WarpingError`, flow of the clip's method on the input frames): of the input
  /// itself (the floor), and of the painted frames, over the pairs of consecutive frames
  /// within a scene (a pair across a cut, by `cut_threshold`, is not measured).
  double input_warping_error = 0;
  double output_warping_error = 0;
  /// The same measure of each painting against itself carried unchanged along the flow to the
  /// next frame (as the temporal target carries it): what a painting that followed the flow
  /// exactly would score. Resampling at sub-pixel motion softens a fine texture, which the
  /// measure counts, so the temporal method's flicker does not go far below this for the
  /// texture it paints.
  double carried_warping_error = 0;
  int64_t measured_pairs = 0;
  int64_t cuts = 0;      ///< chains started after the first
  bool stopped = false;  ///< the stop request ended the run before the last frame
};

/// Receives a clip's events, e.g. to show progress. Every method has an empty default.
class ClipListener {
 public:
  virtual ~ClipListener() = default;
  /// Frame `number` begins; `position` counts from 1 to `total` within the range.
  virtual void frame_started(int64_t /*number*/, int64_t /*position*/, int64_t /*total*/) {}
  /// A step of the current frame's optimisation was taken.
  virtual void step(const ProgressEvent& /*event*/) {}
  /// The frame is painted and written (or was, by an earlier run).
  virtual void frame_finished(const FrameRecord& /*record*/) {}
};

/// The engines and style a clip is painted with. `first` paints a chain's first frame as a
/// still; `later` the frames after it (`later_engine_options`), each with `later_targets`.
struct ClipEngines {
  const StyleTransfer& first;
  const StyleTargets& first_targets;
  const StyleTransfer& later;
  const StyleTargets& later_targets;
};

/// The settings of the engine that paints a chain's later frames: `still`'s at one scale (its
/// last), `options.later_iterations` steps from the warped frame before (`Init::kImage`) with
/// the learning rate starting at `options.later_learning_rate`.
StyleTransferOptions later_engine_options(const StyleTransferOptions& still,
                                          const ClipOptions& options);

/// `targets` of an engine with `still`'s settings, for the later engine: those of the last
/// scale.
StyleTargets later_targets(const StyleTargets& targets);

/// Paints the frames `options` ranges over (Ruder, Dosovitskiy and Brox 2016): each frame's
/// content at the still's `size`; a chain's first frame as a still, each later one from the
/// painting before it carried along the backward flow, held to it by the temporal loss where
/// the flow holds; a frame whose flow holds on less than `cut_threshold` starts a new chain.
/// Each painted frame is written to `frame_path(number)` (atomically, by its extension) as
/// soon as it is done. A frame whose file exists already, with every frame of the range before
/// it, is taken as painted by an earlier run of the same clip: read back, not painted again.
///
/// `stop` is asked after every step and between frames: a frame stopped in its steps is not
/// written, and the summary says `stopped`. Throws `nst::Error` for an unreadable frame or file,
/// a range outside the clip, or a loss that stops being finite.
ClipSummary paint_clip(FrameSource& source, const ClipEngines& engines, const ClipOptions& options,
                       const std::function<std::string(int64_t)>& frame_path,
                       ClipListener& listener, const StopRequested& stop);

}  // namespace nst
