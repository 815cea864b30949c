// The learner ("Paxos Made Simple" §2.4) and the replicated state machine behind it (§3): the log
// of slots known to be chosen, kept in Storage::chosen, and the in-order apply of that log to a
// KvStore.
//
// A slot is applied only when every slot below it is chosen and applied, so every node applies
// the same sequence; a slot that is chosen beyond a gap waits until the gap is filled (by a
// no-op or the value a proposer adopts there). The KvStore is volatile: a restarted node
// re-applies its persisted chosen log from slot 1.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "protocols/common/kv_store.hpp"
#include "protocols/common/node.hpp"
#include "protocols/paxos/storage.hpp"

namespace synod::paxos {

class Learner {
 public:
  explicit Learner(Storage* storage);

  // Records that `value` was chosen in `slot` (in `ballot`): persisted, with a Learn event.
  // Returns false if the slot was already known chosen. Learning a different value for a known
  // slot would mean two values were chosen: it is noted in violations() and ignored.
  bool learn(int64_t slot, Ballot ballot, const Value& value, Outbox& out);

  const Decision* decision(int64_t slot) const;
  bool is_chosen(int64_t slot) const { return decision(slot) != nullptr; }
  // The lowest slot not known to be chosen: every slot below it is.
  int64_t first_unchosen() const { return first_unchosen_; }
  int64_t highest_chosen() const;
  // A gap: some slot above first_unchosen() is known chosen, so apply is stuck until it is filled.
  bool has_gap() const { return highest_chosen() > first_unchosen_; }

  // Applies every chosen slot that is next in order, with an Apply event each, and calls
  // on_result(command, result) for every command (not for no-ops).
  template <class F>
  void apply_ready(Outbox& out, F&& on_result) {
    while (applied_ + 1 < first_unchosen_) {
      const int64_t slot = applied_ + 1;
      const Decision& d = storage_->chosen.at(slot);
      applied_ = slot;
      emit_apply(slot, d, out);
      if (!d.value.noop) on_result(d.value.command, kv_.apply(d.value.command));
    }
  }

  int64_t applied() const { return applied_; }
  const KvStore& kv() const { return kv_; }
  std::vector<std::string>& violations() { return violations_; }

 private:
  void emit_apply(int64_t slot, const Decision& d, Outbox& out) const;

  Storage* const storage_;
  int64_t first_unchosen_ = 1;
  int64_t applied_ = 0;  // volatile: the KvStore holds slots 1..applied_
  KvStore kv_;
  std::vector<std::string> violations_;
};

}  // namespace synod::paxos
