// Small self-contained HTML pieces for the families' report sections (report.html has no
// scripts and loads nothing): an x-y line or bar chart as inline SVG, a table, escaping.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace synod::sim {

std::string html_escape(const std::string& s);

struct SvgSeries {
  std::string name;   // in the legend
  std::string color;  // CSS colour, e.g. "#1f6feb"
  std::vector<std::pair<double, double>> points;  // (x, y), x increasing
};

// A chart of one or more series on shared axes from 0. `bars`: each point of the first series as
// a bar (a histogram or per-worker values; x = the bar's position, labels from `bar_labels`).
std::string svg_chart(const std::string& title, const std::vector<SvgSeries>& series,
                      const std::string& x_unit, const std::string& y_unit, bool bars = false,
                      const std::vector<std::string>& bar_labels = {});

std::string html_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows);

}  // namespace synod::sim
