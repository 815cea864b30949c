// raft: Raft (Ongaro & Ousterhout, and the dissertation) from protocols/raft, as a family.
#pragma once

#include "protocols/raft/raft_node.hpp"
#include "sim/scenario/scenario.hpp"

namespace synod::sim {

// The protocol section as raft reads it: straight into the protocol's own Config.
struct RaftSection final : ProtocolConfig {
  raft::Config raft;
};

}  // namespace synod::sim
