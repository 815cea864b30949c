#include "sim/families/leader_timing.hpp"

#include <fmt/format.h>

namespace synod::sim {

LeaderTiming read_leader_timing(const Reader& rd, const Fields& f) {
  LeaderTiming t;
  if (f.has("election_timeout")) {
    std::tie(t.election_timeout_min, t.election_timeout_max) = rd.duration_range(
        f.get("election_timeout"), "election_timeout", "an election timeout range like [150ms, 300ms]");
  }
  if (f.has("heartbeat")) t.heartbeat = rd.positive_duration(f.get("heartbeat"));
  if (t.heartbeat >= t.election_timeout_min) {
    const Item at = f.has("heartbeat") ? f.get("heartbeat") : f.get("election_timeout");
    rd.fail(at, fmt::format("heartbeat {} must be shorter than the election timeout's min {}",
                            format_duration(t.heartbeat), format_duration(t.election_timeout_min)));
  }
  return t;
}

}  // namespace synod::sim
