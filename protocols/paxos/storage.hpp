// What a Paxos node keeps on stable storage. The driver owns the Storage object and hands the same
// one to every incarnation of a node; the node writes it inside a step, so every write is durable
// before any message of that step leaves (node.hpp). Only this struct survives a crash.
//
// "Paxos Made Simple" §2.3 ("an acceptor must remember this information even if it fails and then
// restarts") and §3 footnote ("a proposer remembers in stable storage the highest-numbered
// proposal it has tried to issue") name the state that must be here for safety:
//   - the acceptor's promise and, per slot, its accepted ballot and value;
//   - the proposer's highest round, so a restarted proposer never reuses a ballot (two different
//     values proposed with one ballot could both be chosen).
// We also persist the chosen log (the learner's knowledge). Safety does not need it, since a
// restarted node could re-learn every slot from its peers, but it lets a restart re-apply its
// prefix at once instead of running a round (Basic Paxos) or a catch-up (Multi-Paxos) per slot.
// The KV state machine and everything else are volatile: a restart re-applies the chosen log.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "protocols/paxos/ballot.hpp"

namespace synod::paxos {

// One slot's acceptor state.
struct AcceptorSlot {
  Ballot promised = kNoBallot;  // Basic Paxos: the promise for this slot alone (§2.2, P1a)
  Ballot accepted = kNoBallot;  // highest ballot in which we accepted a value here, or none
  Value value;                  // the value accepted in `accepted`
};

// A value known to be chosen in a slot, and the ballot in which we learned it was.
struct Decision {
  Ballot ballot = kNoBallot;
  Value value;
};

struct Storage {
  // Multi-Paxos: the promise for every slot at once (a Prepare covers all slots from an index).
  // Basic Paxos leaves it at none and promises per slot. A slot's effective promise is the
  // larger of the two, and an acceptor never accepts below it.
  Ballot promised = kNoBallot;
  std::map<int64_t, AcceptorSlot> slots;  // by slot, from 1
  std::map<int64_t, Decision> chosen;     // the learner's log: slot -> chosen value
  int64_t last_round = 0;                 // proposer: the highest round it has used
  uint64_t writes = 0;                    // count of persistent writes (each an fsync)
  // Not state: the slots whose acceptor state or chosen value the acceptor and learner changed
  // since the invariant checker last looked (storage_checker.hpp), so it can check just those.
  std::vector<int64_t> touched;
};

}  // namespace synod::paxos
