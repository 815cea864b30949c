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
// Cost: the scalar checks run on every call; so do the delta checks of the slots the acceptor
// and learner changed since the last call (Storage::touched, a journal they append to), against a
// snapshot of each slot as it was — exact for every change made through them. A full walk over
// the slots and the chosen log runs on every call while the state is small (at most kSmallState
// entries) and beyond that once every max(kWalkEvery, entries / 4) calls (so a walk costs about
// 4 entries per call, however long the run): it catches what the journal cannot (state that
// vanished, or changed by another path, as a corrupted disk would) and checks the chosen prefix is
// whole; what it can miss is such a change undone before the next walk. (Walking on every call up
// to 512 entries, as before the journal, made Multi-Paxos runs spend ~30% of their time here.)
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
  // Clears s.touched.
  void check(Storage& s, const Learner& learner, std::vector<std::string>& lines);

 private:
  static constexpr size_t kSmallState = 64;
  static constexpr uint64_t kWalkEvery = 32;

  void check_slots(const Storage& s, Ballot promised_at_walk, std::vector<std::string>& lines);
  void check_chosen(const Storage& s, const Learner& learner, std::vector<std::string>& lines);
  void check_touched(const Storage& s, std::vector<std::string>& lines);
  // One slot against its snapshot (null: first seen), given the global promise before the change.
  void compare_slot(int64_t slot, const AcceptorSlot& cur, const AcceptorSlot* old, Ballot old_global,
                    std::vector<std::string>& lines) const;

  bool valid_ = false;
  uint64_t calls_ = 0;  // since the last walk
  Ballot promised_ = kNoBallot;
  Ballot promised_at_walk_ = kNoBallot;  // the global promise when the slots were last walked
  int64_t last_round_ = 0;
  uint64_t writes_ = 0;
  int64_t applied_ = 0;
  std::map<int64_t, AcceptorSlot> slots_;
  std::map<int64_t, Decision> chosen_;
};

}  // namespace synod::paxos
