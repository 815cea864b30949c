// Mutual-exclusion invariants from events (see events.hpp).
#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "analysis/events.hpp"

namespace synod::analysis {

InvariantReport check_mutex_invariants(const std::vector<RunEvent>& events,
                                       const std::vector<std::string>& names,
                                       MutexSummary* summary) {
  auto name = [&](int n) {
    return n >= 0 && n < static_cast<int>(names.size()) ? names[n] : fmt::format("#{}", n);
  };
  InvariantReport r;
  r.checked = {"mutual-exclusion", "timestamp-order", "request-before-entry"};
  MutexSummary local;
  MutexSummary& s = summary ? *summary : local;
  s = MutexSummary{};
  // Requests not yet served: (node, request number) → (timestamp, time requested).
  std::map<std::pair<int, int64_t>, std::pair<int64_t, double>> pending;
  int holder = -1;  // node in the critical section, -1 if none
  std::tuple<int64_t, int, int64_t> last_grant{-1, -1, -1};  // (timestamp, node, request)
  for (const RunEvent& e : events) {
    if (e.type == "cs-request") {
      s.requests++;
      pending[{e.node, e.index}] = {e.term, e.time_s};
    } else if (e.type == "cs-enter") {
      s.entries++;
      auto it = pending.find({e.node, e.index});
      if (it == pending.end()) {
        r.violations.push_back({e.time_s, "request-before-entry",
                                fmt::format("{} entered for request {} which it never made or already "
                                            "served",
                                            name(e.node), e.index)});
      } else {
        pending.erase(it);
      }
      if (holder >= 0)
        r.violations.push_back({e.time_s, "mutual-exclusion",
                                fmt::format("{} entered the critical section while {} was in it",
                                            name(e.node), name(holder))});
      std::tuple<int64_t, int, int64_t> grant{e.term, e.node, e.index};
      if (std::get<0>(last_grant) >= 0 &&
          std::make_pair(e.term, e.node) < std::make_pair(std::get<0>(last_grant), std::get<1>(last_grant)))
        r.violations.push_back(
            {e.time_s, "timestamp-order",
             fmt::format("{} entered with request timestamp {} after {} had entered with timestamp {}",
                         name(e.node), e.term, name(std::get<1>(last_grant)), std::get<0>(last_grant))});
      last_grant = grant;
      holder = e.node;
    } else if (e.type == "cs-exit") {
      if (holder == e.node) holder = -1;
    } else if (e.type == "crash") {
      // A crashed node leaves the section (its state is gone) and its requests with it.
      if (holder == e.node) holder = -1;
      for (auto it = pending.begin(); it != pending.end();)
        it = it->first.first == e.node ? pending.erase(it) : std::next(it);
    }
  }
  for (const auto& [key, v] : pending) s.waiting.push_back({key.first, key.second, v.first, v.second});
  std::sort(s.waiting.begin(), s.waiting.end(),
            [](const auto& a, const auto& b) { return a.since_s < b.since_s; });
  return r;
}

}  // namespace synod::analysis
