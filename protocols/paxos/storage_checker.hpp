// Invariants of the state every Paxos node keeps (acceptor and learner), shared by both flavours
// in the manner of LogCabin's Invariants.cc: state checks on what Storage and the learner hold
// now, and delta checks against what they held when last checked.
//
// State: in every slot the accepted ballot is at most the slot's promise (accepting raises the
// promise); the learner's first_unchosen is exactly the end of the chosen prefix; nothing is
// applied beyond it.
// Deltas: promises and accepted ballots never decrease; a slot's accepted value changes only with
// a higher ballot, never below the promise it had ("a promise is never broken"); a chosen value
// never changes or disappears; the proposer's round, the write count and the applied index never
// go back.
//
// Cost: one walk over the slots and the chosen log per call. Snapshot entries are copied only
// when they changed, so a call costs comparisons, not allocations.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "protocols/paxos/learner.hpp"
#include "protocols/paxos/storage.hpp"

namespace synod::paxos {

class StorageChecker {
 public:
  // Appends one line per violation (without the node's tag) to `lines`.
  void check(const Storage& s, const Learner& learner, std::vector<std::string>& lines);

 private:
  void check_slots(const Storage& s, std::vector<std::string>& lines);
  void check_chosen(const Storage& s, const Learner& learner, std::vector<std::string>& lines);

  bool valid_ = false;
  Ballot promised_ = kNoBallot;
  int64_t last_round_ = 0;
  uint64_t writes_ = 0;
  int64_t applied_ = 0;
  std::map<int64_t, AcceptorSlot> slots_;
  std::map<int64_t, Decision> chosen_;
};

}  // namespace synod::paxos
