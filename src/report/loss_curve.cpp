#include "nst/report/loss_curve.h"

#include <algorithm>
#include <cmath>

#include "nst/report/number_text.h"

namespace nst {

std::string loss_curve_svg(const std::vector<LossPoint>& losses, int width, int height) {
  std::vector<LossPoint> points;
  for (const auto& p : losses) {
    if (std::isfinite(p.loss) && p.loss > 0) points.push_back(p);
  }
  if (points.size() < 2 || width < 8 || height < 8) return {};
  const auto [lowest, highest] = std::minmax_element(
      points.begin(), points.end(), [](const auto& a, const auto& b) { return a.loss < b.loss; });
  const double top = std::log10(highest->loss);
  const double bottom = std::log10(lowest->loss);
  const double first = static_cast<double>(points.front().iteration);
  const double last = static_cast<double>(points.back().iteration);
  constexpr double kPad = 3;  // keeps the stroke inside the box
  const double w = width - 2 * kPad;
  const double h = height - 2 * kPad;
  const auto x_of = [&](const LossPoint& p) {
    return last > first ? kPad + w * (static_cast<double>(p.iteration) - first) / (last - first)
                        : kPad;
  };
  const auto y_of = [&](const LossPoint& p) {
    // A flat history is drawn across the middle rather than divided by zero.
    return top > bottom ? kPad + h * (top - std::log10(p.loss)) / (top - bottom) : kPad + h / 2;
  };
  std::string polyline;
  for (const auto& p : points) {
    polyline += (polyline.empty() ? "" : " ") + number_text("%.1f", x_of(p)) + "," +
                number_text("%.1f", y_of(p));
  }
  const std::string title = "loss " + number_text("%.4g", points.front().loss) + " at iteration " +
                            std::to_string(points.front().iteration) + ", " +
                            number_text("%.4g", points.back().loss) + " at " +
                            std::to_string(points.back().iteration) + " (lowest " +
                            number_text("%.4g", lowest->loss) + "; log scale)";
  const std::string size = std::to_string(width);
  return "<svg class=\"curve\" width=\"" + size + "\" height=\"" + std::to_string(height) +
         "\" viewBox=\"0 0 " + size + " " + std::to_string(height) +
         "\" role=\"img\" aria-label=\"" + title + "\"><title>" + title +
         "</title><polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\" "
         "stroke-linejoin=\"round\" points=\"" +
         polyline + "\"/><circle cx=\"" + number_text("%.1f", x_of(points.back())) + "\" cy=\"" +
         number_text("%.1f", y_of(points.back())) + "\" r=\"2\" fill=\"currentColor\"/></svg>";
}

}  // namespace nst
