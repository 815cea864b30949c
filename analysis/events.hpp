// Protocol events as a run records them (events.jsonl), and the cluster-wide safety invariants
// checked on them after every run. This file knows the record format only, never a protocol's
// internals: the same checks apply to any run record with these events.
//
// One event per line in events.jsonl, in time order:
//   {"time": 1.204, "node": "n2", "incarnation": 1, "type": "role", "role": "leader", "term": 3,
//    "log": [[1, 1, 40], [3, 41, 41]]}
//   {"time": 1.230, "node": "n2", "incarnation": 1, "type": "apply", "index": 41, "entry_term": 3,
//    "command": "noop"}
// A sharded run's protocol events carry "group": 3 after "incarnation" (the replica group of the
// node that emitted it; analysis/groups.hpp checks each group as a cluster of its own).
// Types: role, election, commit, apply (from protocols); crash, restart, partition, heal, cut,
// latency, loss (from the nemesis; node = "" for cluster-wide ones, `detail` says what).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace synod::analysis {

// [first, last] of a log all with `term` (a Raft log is a few such runs).
struct LogRun {
  int64_t term = 0;
  int64_t first = 0;
  int64_t last = 0;
};

struct RunEvent {
  double time_s = 0;
  int node = -1;  // index; -1 for cluster-wide events
  uint32_t incarnation = 0;
  std::string type;
  int64_t term = 0;
  std::string role;
  int64_t index = 0;
  int64_t entry_term = 0;
  std::string command;
  std::vector<LogRun> log;  // role=leader: the new leader's log
  std::string detail;       // nemesis events: what was done
  int group = -1;           // a sharded run's replica group (events.jsonl "group"); -1: none
};

nlohmann::ordered_json to_json(const RunEvent& e, const std::vector<std::string>& node_names);

struct InvariantViolation {
  double time_s = 0;
  std::string name;
  std::string detail;
};

struct InvariantReport {
  std::vector<std::string> checked;
  std::vector<InvariantViolation> violations;
};

// The consensus-log invariants (Raft paper Figure 3), checked from events alone:
//  election-safety      at most one node becomes leader in a term;
//  log-matching         two leaders' logs that hold the same (index, term) hold the same terms
//                       at every earlier index;
//  leader-completeness  a new leader's log holds every entry applied anywhere before its election;
//  state-machine-safety no two nodes apply different commands at the same index;
//  term-monotonic       a node's term never decreases, across restarts too (it is persistent);
//  commit-monotonic     a node's commit index never decreases within one incarnation.
InvariantReport check_log_invariants(const std::vector<RunEvent>& events,
                                     const std::vector<std::string>& node_names);

// The Paxos-family invariants ("Paxos Made Simple" §2), checked from events alone:
//  paxos-agreement    at most one value is chosen per slot, where a value is chosen once a majority
//                     of acceptors accepted it in the same ballot (from accept events);
//  learned-is-chosen  every value a node learns for a slot is the value chosen there;
//  promise-kept       an acceptor never accepts below a ballot it promised (a promise with slot 0
//                     covers every slot; promises persist across restarts);
//  applied-prefix     no two nodes apply different commands at the same slot, so applied
//                     sequences are prefixes of one another (the ballot a node learned a slot in may
//                     differ: a chosen value can be chosen again in a higher ballot);
//  election-safety    (Multi-Paxos) at most one node leads with a given ballot.
InvariantReport check_paxos_invariants(const std::vector<RunEvent>& events,
                                       const std::vector<std::string>& node_names);

// Lamport's mutual exclusion (1978), from cs-request / cs-enter / cs-exit events:
//  mutual-exclusion  never two nodes in the critical section at once;
//  timestamp-order   the critical section is granted in the order of the requests' timestamps
//                    (ties broken by node id), Lamport's total order;
//  request-before-entry  a node enters only for a request it made and has not yet served.
// Also counts what happened, and which requests were still waiting when the run ended (with a
// crashed node the algorithm blocks: it needs an acknowledgement from every node).
struct MutexSummary {
  int64_t requests = 0;
  int64_t entries = 0;
  struct Waiting {
    int node;
    int64_t request;
    int64_t timestamp;
    double since_s;
  };
  std::vector<Waiting> waiting;  // requested, never entered, in request order
};
InvariantReport check_mutex_invariants(const std::vector<RunEvent>& events,
                                       const std::vector<std::string>& node_names,
                                       MutexSummary* summary = nullptr);

}  // namespace synod::analysis
