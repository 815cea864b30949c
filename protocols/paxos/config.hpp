// Tunables of both Paxos flavours. All times are simulated nanoseconds.
#pragma once

#include <vector>

#include "protocols/common/bug_knobs.hpp"
#include "protocols/common/types.hpp"

namespace synod::paxos {

// Classic mistakes (protocol.bugs; docs/bugs.md), each tested at the rule it breaks.
struct Bugs {
  bool accept_below_promise = false;  // acceptor.cpp: accept a ballot below the one promised
  bool ignore_accepted = false;       // proposer.cpp, multipaxos_node: propose our own value (a
                                      // no-op) instead of the highest-ballot one the promises name
  bool skip_recovery = false;         // multipaxos_leader.cpp: a new leader re-proposes nothing
                                      // earlier leaders left accepted and puts new commands from
                                      // its own first unchosen slot on, over what may be chosen
};
using BugKnob = BugKnobOf<Bugs>;
const std::vector<BugKnob>& bug_knobs();

struct Config {
  // Basic Paxos: after being pre-empted (a refusal naming a higher ballot) or timing out, a
  // proposer waits a random time in [backoff_min, backoff_max] before its next round. Lamport
  // notes (§2.4 of "Paxos Made Simple") that two proposers can otherwise keep pre-empting each
  // other forever; backoff = false retries at once and shows exactly that.
  bool backoff = true;
  Nanos backoff_min = 10 * kNanosPerMilli;
  Nanos backoff_max = 100 * kNanosPerMilli;
  // Basic Paxos: a round that has not reached a majority after this long (lost messages, crashed
  // acceptors) is abandoned and retried with a higher ballot.
  Nanos round_timeout = 100 * kNanosPerMilli;

  // Multi-Paxos: the leader's heartbeat period (also when it resends unanswered Accepts), and the
  // randomized time without a leader after which a node starts phase 1 itself.
  Nanos heartbeat_interval = 50 * kNanosPerMilli;
  Nanos election_timeout_min = 150 * kNanosPerMilli;
  Nanos election_timeout_max = 300 * kNanosPerMilli;
  // Multi-Paxos: before phase 1, ask without persisting anything whether a majority would promise
  // (the Raft dissertation's pre-vote, §9.6, carried over): acceptors that heard from a leader
  // within election_timeout_min say no. A node cut off in a minority then never starts phase 1,
  // and so cannot come back from a partition with a ballot that deposes a working leader.
  bool pre_vote = true;
  // Multi-Paxos: followers answer heartbeats, and a leader that heard from no majority (itself
  // included) within election_timeout_min steps down (etcd/raft's CheckQuorum, carried over), so a
  // leader stranded in a minority stops taking commands it cannot get chosen.
  bool check_quorum = true;
  // Multi-Paxos: chosen slots sent (as Decides) in answer to one CatchUp.
  int catch_up_batch = 64;
  Bugs bugs;
};

}  // namespace synod::paxos
