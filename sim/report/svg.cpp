#include "sim/report/svg.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace synod::sim {

namespace {
constexpr int kWidth = 960, kLeft = 70, kRight = 20, kHeight = 180, kTop = 10;
constexpr int kPlot = kWidth - kLeft - kRight;
}  // namespace

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string svg_chart(const std::string& title, const std::vector<SvgSeries>& series,
                      const std::string& x_unit, const std::string& y_unit, bool bars,
                      const std::vector<std::string>& bar_labels) {
  double xmax = 0, ymax = 0;
  size_t n_points = 0;
  for (const SvgSeries& s : series) {
    for (const auto& [x, y] : s.points) {
      xmax = std::max(xmax, x);
      ymax = std::max(ymax, y);
    }
    n_points = std::max(n_points, s.points.size());
  }
  if (xmax <= 0) xmax = 1;
  if (ymax <= 0) ymax = 1;
  const int bottom = kTop + kHeight;
  std::string h = fmt::format(R"(<h3>{}</h3><svg width="{}" height="{}" role="img">)",
                              html_escape(title), kWidth, bottom + 28);
  for (int i = 0; i <= 4; ++i) {
    const double y = bottom - kHeight * i / 4.0;
    h += fmt::format(R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="#eee"/>)", kLeft, y,
                     kWidth - kRight, y);
    h += fmt::format(
        R"(<text x="{}" y="{:.1f}" font-size="11" fill="#555" text-anchor="end">{:.4g} {}</text>)",
        kLeft - 6, y + 4, ymax * i / 4, html_escape(y_unit));
  }
  auto px = [&](double x) { return kLeft + kPlot * x / xmax; };
  auto py = [&](double y) { return bottom - kHeight * y / ymax; };
  if (bars && !series.empty()) {
    const auto& pts = series.front().points;
    const double w = pts.empty() ? 0 : std::max(1.0, kPlot / static_cast<double>(pts.size()) - 2);
    for (size_t i = 0; i < pts.size(); ++i) {
      const double x0 = kLeft + (kPlot * static_cast<double>(i)) / pts.size() + 1;
      const std::string label = i < bar_labels.size() ? bar_labels[i] : fmt::format("{:g}", pts[i].first);
      h += fmt::format(
          R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}: {:.4g} {}</title></rect>)",
          x0, py(pts[i].second), w, bottom - py(pts[i].second), series.front().color,
          html_escape(label), pts[i].second, html_escape(y_unit));
      if (pts.size() <= 40) {
        h += fmt::format(
            R"(<text x="{:.1f}" y="{}" font-size="10" fill="#555" text-anchor="middle">{}</text>)",
            x0 + w / 2, bottom + 14, html_escape(label));
      }
    }
  } else {
    for (int i = 0; i <= 5; ++i) {
      const double x = xmax * i / 5;
      h += fmt::format(
          R"(<text x="{:.1f}" y="{}" font-size="11" fill="#555" text-anchor="middle">{:.4g} {}</text>)",
          px(x), bottom + 16, x, html_escape(x_unit));
    }
    for (const SvgSeries& s : series) {
      std::string pts;
      for (const auto& [x, y] : s.points) pts += fmt::format("{:.1f},{:.1f} ", px(x), py(y));
      h += fmt::format(R"(<polyline points="{}" fill="none" stroke="{}" stroke-width="1.6"/>)", pts,
                       s.color);
    }
  }
  h += "</svg><p class=\"legend\">";
  for (const SvgSeries& s : series) {
    h += fmt::format(R"(<span class="sw" style="background:{}"></span>{} )", s.color,
                     html_escape(s.name));
  }
  h += "</p>";
  return h;
}

std::string html_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  std::string h = "<table><tr>";
  for (const std::string& c : header) h += "<th>" + html_escape(c) + "</th>";
  h += "</tr>";
  for (const auto& row : rows) {
    h += "<tr>";
    for (const std::string& c : row) h += "<td>" + html_escape(c) + "</td>";
    h += "</tr>";
  }
  return h + "</table>";
}

}  // namespace synod::sim
