#include "analysis/groups.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace synod::analysis {

InvariantReport check_per_group(const std::vector<RunEvent>& events,
                                const std::vector<std::string>& node_names,
                                const std::vector<std::vector<int>>& members,
                                const EventChecker& checker) {
  const int n = static_cast<int>(node_names.size());
  // local[g][node] = the node's index in group g, or -1.
  std::vector<std::vector<int>> local(members.size(), std::vector<int>(n, -1));
  std::vector<std::vector<RunEvent>> per(members.size());
  std::vector<std::vector<std::string>> names(members.size());
  for (size_t g = 0; g < members.size(); ++g) {
    for (size_t i = 0; i < members[g].size(); ++i) {
      local[g][members[g][i]] = static_cast<int>(i);
      names[g].push_back(node_names[members[g][i]]);
    }
  }
  for (const RunEvent& e : events) {
    if (e.group >= 0) {
      if (static_cast<size_t>(e.group) >= members.size() || e.node < 0 || e.node >= n ||
          local[e.group][e.node] < 0)
        continue;  // cannot happen in a run: the host tags only its own groups
      RunEvent c = e;
      c.node = local[e.group][e.node];
      per[e.group].push_back(std::move(c));
      continue;
    }
    for (size_t g = 0; g < members.size(); ++g) {
      if (e.node >= 0 && (e.node >= n || local[g][e.node] < 0)) continue;
      RunEvent c = e;
      if (e.node >= 0) c.node = local[g][e.node];
      per[g].push_back(std::move(c));
    }
  }
  InvariantReport all;
  for (size_t g = 0; g < members.size(); ++g) {
    InvariantReport r = checker(per[g], names[g]);
    if (all.checked.empty()) all.checked = r.checked;
    for (InvariantViolation& v : r.violations) {
      v.detail = fmt::format("group {}: {}", g, v.detail);
      all.violations.push_back(std::move(v));
    }
  }
  std::stable_sort(all.violations.begin(), all.violations.end(),
                   [](const InvariantViolation& a, const InvariantViolation& b) {
                     return a.time_s < b.time_s;
                   });
  return all;
}

}  // namespace synod::analysis
