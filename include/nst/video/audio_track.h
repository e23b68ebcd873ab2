#pragma once

#include <string>

namespace nst {

/// What `copy_audio` did, for the log and the report.
struct AudioOutcome {
  bool copied = false;  ///< the video now carries the source's sound
  bool lost = false;    ///< the source has sound (or may have) and the video does not
  std::string note;     ///< what happened, in a sentence: why not, or how it was copied
};

/// The path of program `name` found on $PATH, or "" when there is none.
std::string find_program(const std::string& name);

/// Copies the sound of `source` into the video `video`, from `start_seconds` for
/// `duration_seconds` (the part of the clip that was painted), replacing `video` atomically.
/// OpenCV writes no sound, so this runs the `ffmpeg` program (Debian's package `ffmpeg`):
/// the audio stream copied as it is where the container takes it, else encoded in the
/// container's usual codec. Never throws: a missing `ffmpeg`, a source without sound or a
/// failed run leaves `video` as it was, silent, and says so in the outcome's note.
AudioOutcome copy_audio(const std::string& video, const std::string& source, double start_seconds,
                        double duration_seconds);

}  // namespace nst
