// The keys that leader-based families share: `election_timeout: [min, max]` and `heartbeat`.
// One reader for both, so raft and multipaxos check them with the same rule and the same words.
#pragma once

#include "protocols/common/types.hpp"
#include "sim/scenario/reader.hpp"

namespace synod::sim {

struct LeaderTiming {
  Nanos election_timeout_min = 150 * kNanosPerMilli;
  Nanos election_timeout_max = 300 * kNanosPerMilli;
  Nanos heartbeat = 50 * kNanosPerMilli;
};

// Reads election_timeout and heartbeat (either may be absent: defaults above). A leader must be
// heard from before a follower's election timer can fire (Raft §5.2), so heartbeat must be
// shorter than the election timeout's min.
LeaderTiming read_leader_timing(const Reader& rd, const Fields& f);

}  // namespace synod::sim
