// Small numeric helpers the report and the families' report sections share.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace synod::sim {

// Nearest-rank percentile of sorted values.
inline double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * sorted.size()));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

// Rounds to microsecond precision for the report: enough for latencies, and short to read.
inline double round6(double x) { return std::round(x * 1e6) / 1e6; }

}  // namespace synod::sim
