// The acceptor ("Paxos Made Simple" §2.2 and §2.3): it promises, accepts, and remembers both on
// stable storage before it answers. It is the only part of a node whose state safety rests on.
//
// P1a: an acceptor can accept a proposal numbered n iff it has not responded to a prepare request
// having a number greater than n. Both Paxos flavours share this class and differ only in the
// scope of a promise:
//   - Basic Paxos (Scope::PerSlot): every slot is an independent Synod instance with its own
//     promise (AcceptorSlot::promised);
//   - Multi-Paxos (Scope::AllSlots): one promise covers every slot (Storage::promised), which is
//     what lets an established leader skip phase 1 for every later slot (§3).
// Accepting a ballot also raises the promise to it (the acceptor has in effect responded to that
// ballot), so accepted <= promised holds in every slot at all times.
//
// Prepares and Accepts with a ballot equal to the promise are granted again: the network
// duplicates messages, and one ballot belongs to one proposer that proposes one value per slot.
// Writes happen only when state changes, and each writing call counts one fsync.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "protocols/common/node.hpp"
#include "protocols/paxos/messages.hpp"
#include "protocols/paxos/storage.hpp"

namespace synod::paxos {

class Acceptor {
 public:
  enum class Scope { PerSlot, AllSlots };
  // accept_below_promise: the bug knob of that name (config.hpp), off in a correct acceptor.
  Acceptor(Scope scope, Storage* storage, bool accept_below_promise = false)
      : scope_(scope), storage_(storage), accept_below_promise_(accept_below_promise) {}

  // The ballot below which nothing may be accepted in `slot`.
  Ballot promised_for(int64_t slot) const;

  // Phase 1b. A granted promise is persisted (and a Promise event emitted) before the answer is
  // returned; a refusal names the higher promise. In Scope::AllSlots the prepare covers every
  // slot >= m.slot and the answer reports each of them we accepted in or know to be chosen.
  std::shared_ptr<Promise> on_prepare(const Prepare& m, Outbox& out);
  // Phase 2b. An acceptance is persisted (and an Accept event emitted) before the answer.
  std::shared_ptr<Accepted> on_accept(const Accept& m, Outbox& out);

  // Conditions found inside a step that only a broken protocol produces (two values proposed in
  // one ballot); reported and cleared by the node's check_invariants().
  std::vector<std::string>& violations() { return violations_; }

 private:
  void promise_event(Ballot b, int64_t slot, Outbox& out) const;

  const Scope scope_;
  Storage* const storage_;
  const bool accept_below_promise_;
  std::vector<std::string> violations_;
};

}  // namespace synod::paxos
