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
// Cost: the scalar checks run on every call; the walks over the slots and the chosen log run on
// every call while the state is small (at most kSmallState entries), and on every
// kWalkEvery-th call beyond that — otherwise a long run would spend nearly all its time here
// (a walk per step is quadratic in the run's length). A change is still caught at the next walk,
// compared with the state at the previous walk; what can be missed is a change undone before the
// next walk. Snapshot entries are copied only when they changed.
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
  static constexpr size_t kSmallState = 512;
  static constexpr uint64_t kWalkEvery = 32;

  void check_slots(const Storage& s, Ballot promised_at_walk, std::vector<std::string>& lines);
  void check_chosen(const Storage& s, const Learner& learner, std::vector<std::string>& lines);

  bool valid_ = false;
  uint64_t calls_ = 0;
  Ballot promised_ = kNoBallot;
  Ballot promised_at_walk_ = kNoBallot;  // the global promise when the slots were last walked
  int64_t last_round_ = 0;
  uint64_t writes_ = 0;
  int64_t applied_ = 0;
  std::map<int64_t, AcceptorSlot> slots_;
  std::map<int64_t, Decision> chosen_;
};

}  // namespace synod::paxos
