// Raft's persistent state (Raft paper, Figure 2, "Persistent state on all servers"): the current
// term, the vote cast in it, and the log. It must survive crashes, so the driver owns the Storage
// object and hands the same one to every incarnation of a node; the node writes it inside a step,
// which makes every write durable before any message of that step leaves (see node.hpp).
//
// Everything else a RaftNode holds (role, commit index, last applied, the state machine, leader
// bookkeeping) is volatile and is rebuilt after a restart.
#pragma once

#include <cstdint>
#include <vector>

#include "protocols/common/types.hpp"

namespace synod::raft {

// One log entry. A no-op is what a new leader appends to commit earlier terms' entries (§8).
// A configuration entry (membership change, dissertation §4.1) has `config`: the voters, sorted,
// from the moment a server appends it, committed or not.
struct Entry {
  int64_t term = 0;
  bool noop = false;
  Command command;  // meaningless when noop or a configuration
  std::vector<NodeId> config;  // non-empty: a configuration entry

  bool is_config() const { return !config.empty(); }
  bool operator==(const Entry& o) const {
    return term == o.term && noop == o.noop && config == o.config &&
           (noop || is_config() || command == o.command);
  }
};

struct Storage {
  int64_t current_term = 0;    // latest term this server has seen (§5.1)
  NodeId voted_for = kNoNode;  // candidate that received our vote in current_term (§5.2)
  std::vector<Entry> log;      // log[0] is index 1 (Figure 2 numbers entries from 1)
  uint64_t writes = 0;         // count of persistent writes (each one an fsync), for stats/tests
};

}  // namespace synod::raft
