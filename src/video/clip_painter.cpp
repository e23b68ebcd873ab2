#include "nst/video/clip_painter.h"

#include <chrono>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "nst/engine/error.h"
#include "nst/engine/image_size.h"
#include "nst/io/image_io.h"
#include "nst/video/flicker.h"
#include "nst/video/flow_warp.h"
#include "nst/video/frame_link.h"

namespace nst {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The frame as the network sees it: resized to the painted size, the same way stills are.
cv::Mat to_painted_size(const cv::Mat& frame, cv::Size size) {
  if (frame.size() == size) return frame;
  cv::Mat resized;
  const bool shrinking = size.area() < frame.size().area();
  cv::resize(frame, resized, size, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_CUBIC);
  return resized;
}

// The painting an earlier run wrote for this frame, if it reads whole at the painted size.
std::optional<cv::Mat> earlier_painting(const std::string& path, cv::Size size) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return std::nullopt;
  try {
    cv::Mat painted = tensor_to_bgr8(load_image(path, 0).rgb);
    if (painted.size() == size) return painted;
  } catch (const Error&) {
    // Not a painting this run can go on from: it is painted again.
  }
  return std::nullopt;
}

}  // namespace

StyleTransferOptions later_engine_options(const StyleTransferOptions& still,
                                          const ClipOptions& options) {
  StyleTransferOptions later = still;
  later.min_scale(0).initial_iterations(0).init(Init::kImage);
  if (options.later_iterations > 0) later.iterations(options.later_iterations);
  later.learning_rate(options.later_learning_rate);
  // The cosine schedule ends lower than it starts; a start below the end would climb.
  later.final_learning_rate(std::min(still.final_learning_rate(), options.later_learning_rate));
  return later;
}

StyleTargets later_targets(const StyleTargets& targets) {
  StyleTargets last;
  if (!targets.scales.empty()) last.scales.push_back(targets.scales.back());
  return last;
}

ClipSummary paint_clip(FrameSource& source, const ClipEngines& engines, const ClipOptions& options,
                       const std::function<std::string(int64_t)>& frame_path,
                       ClipListener& listener, const StopRequested& stop) {
  ClipSummary summary;
  summary.options = options;
  summary.fps = source.fps();
  summary.input_size = source.size();
  summary.flow = to_string(options.flow);
  const ImageSize painted =
      fit_long_side(source.size().width, source.size().height, engines.first.options().size());
  summary.painted_size =
      cv::Size(static_cast<int>(painted.width), static_cast<int>(painted.height));
  summary.first = options.first;
  summary.last = options.last;
  const auto stopping = [&stop] { return stop && stop(); };

  WarpingError input_flicker(options.flow);
  WarpingError output_flicker(options.flow);
  WarpingError carried_flicker(options.flow);
  cv::Mat previous_content;  // at the painted size, BGR 8-bit
  cv::Mat previous_written;  // the painting before, BGR 8-bit as written
  bool resuming = true;      // every frame so far was painted by an earlier run
  int64_t number = 0;
  while (true) {
    if (options.last > 0 && number >= options.last) break;
    if (stopping()) {
      summary.stopped = true;
      break;
    }
    std::optional<cv::Mat> frame = source.next();
    if (!frame) break;
    ++number;
    if (number < options.first) continue;
    const auto frame_start = Clock::now();
    FrameRecord record;
    record.number = number;
    record.path = frame_path(number);
    const int64_t position = number - options.first + 1;
    listener.frame_started(number, position,
                           options.last > 0 ? options.last - options.first + 1 : 0);

    const cv::Mat content = to_painted_size(*frame, summary.painted_size);
    std::optional<FrameLink> link;
    if (!previous_content.empty()) {
      const auto flow_start = Clock::now();
      link = link_frames(previous_content, content, options.flow);
      record.flow_seconds = seconds_since(flow_start);
      record.reliable = link->reliable;
    }
    // A frame whose flow from the one before holds on too few pixels follows a cut.
    const bool same_scene = link && link->reliable >= options.cut_threshold;
    record.chain_start = !same_scene || options.temporal_weight <= 0;
    if (link && !same_scene && options.temporal_weight > 0) ++summary.cuts;

    cv::Mat painting;
    if (resuming) {
      if (auto earlier = earlier_painting(record.path, summary.painted_size)) {
        painting = *earlier;
        record.resumed = true;
      } else {
        resuming = false;
      }
    }
    if (!record.resumed) {
      const torch::Tensor content_rgb = bgr_to_tensor(content);
      const auto optimisation_start = Clock::now();
      bool stopped = false;
      const ProgressCallback progress = [&](const ProgressEvent& event) {
        listener.step(event);
        if (stopping()) {
          stopped = true;
          return false;
        }
        if (options.time_limit_seconds > 0 &&
            seconds_since(optimisation_start) >= options.time_limit_seconds) {
          record.cut_short = true;
          return false;
        }
        return true;
      };
      TransferResult result;
      if (record.chain_start) {
        result = engines.first.run(content_rgb, engines.first_targets, progress);
      } else {
        const TemporalTarget temporal =
            temporal_target(*link, bgr_to_tensor(previous_written), options.temporal_weight);
        result = engines.later.run(content_rgb, engines.later_targets, progress, temporal.warped,
                                   {}, temporal);
      }
      if (stopped) {
        summary.stopped = true;
        break;  // the frame is not written: the same command paints it again
      }
      record.iterations = result.iterations;
      record.loss = result.loss;
      record.content_loss = result.content_loss;
      record.style_loss = result.style_loss;
      record.scales = result.scales;
      painting = tensor_to_bgr8(result.image);
      save_image(record.path, bgr_to_tensor(painting));
    }
    // The flicker is measured within a scene: across a cut neither the input nor a painting
    // has anything to keep.
    if (same_scene) {
      const cv::Mat mask = flow_consistency(link->forward_flow, link->backward_flow);
      input_flicker.add(content, link->forward_flow, mask);
      output_flicker.add(painting, link->forward_flow, mask);
      carried_flicker.restart(previous_written);
      carried_flicker.add(warp_by_flow(previous_written, link->backward_flow), link->forward_flow,
                          mask);
    } else {
      input_flicker.restart(content);
      output_flicker.restart(painting);
    }
    previous_content = content;
    previous_written = painting;
    record.seconds = seconds_since(frame_start);
    summary.frames.push_back(record);
    listener.frame_finished(record);
  }
  summary.frames_in_clip = source.frames_read();
  if (options.first > number && !summary.stopped) {
    throw Error(ErrorCode::kInvalidOptions,
                "frame range " + std::to_string(options.first) + ":" +
                    (options.last > 0 ? std::to_string(options.last) : std::string()) +
                    " starts after the clip's last frame (" + std::to_string(number) + ")");
  }
  summary.input_warping_error = input_flicker.value();
  summary.output_warping_error = output_flicker.value();
  summary.carried_warping_error = carried_flicker.value();
  summary.measured_pairs = output_flicker.pairs();
  return summary;
}

}  // namespace nst
