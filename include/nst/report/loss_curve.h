#pragma once

#include <string>
#include <vector>

#include "nst/batch/job_result.h"

namespace nst {

/// A small inline SVG (`width` × `height` pixels) of a job's total loss against its
/// iterations, the loss on a log scale (it falls by orders of magnitude, and a linear scale
/// would show only the first steps), with a tooltip giving the first and last values. Points
/// whose loss is not finite and positive are left out; empty when fewer than two remain.
std::string loss_curve_svg(const std::vector<LossPoint>& losses, int width, int height);

}  // namespace nst
