#include "protocols/paxos/learner.hpp"

#include <fmt/format.h>

namespace synod::paxos {

Learner::Learner(Storage* storage) : storage_(storage) {
  while (storage_->chosen.count(first_unchosen_)) ++first_unchosen_;
}

const Decision* Learner::decision(int64_t slot) const {
  auto it = storage_->chosen.find(slot);
  return it == storage_->chosen.end() ? nullptr : &it->second;
}

int64_t Learner::highest_chosen() const {
  return storage_->chosen.empty() ? 0 : storage_->chosen.rbegin()->first;
}

bool Learner::learn(int64_t slot, Ballot ballot, const Value& value, Outbox& out) {
  auto [it, fresh] = storage_->chosen.try_emplace(slot, Decision{ballot, value});
  if (!fresh) {
    if (it->second.value != value) {
      violations_.push_back(fmt::format(
          "slot {}: learned '{}' (ballot {}) after '{}' (ballot {})", slot, value.describe(),
          ballot_name(ballot), it->second.value.describe(), ballot_name(it->second.ballot)));
    }
    return false;
  }
  storage_->touched.push_back(slot);
  ++storage_->writes;
  while (storage_->chosen.count(first_unchosen_)) ++first_unchosen_;
  ProtocolEvent e;
  e.type = EventType::Learn;
  e.index = slot;
  e.term = ballot;
  e.command = value.describe();
  out.event(std::move(e));
  return true;
}

void Learner::emit_apply(int64_t slot, const Decision& d, Outbox& out) const {
  ProtocolEvent e;
  e.type = EventType::Apply;
  e.index = slot;
  e.entry_term = d.ballot;
  e.command = d.value.describe();
  out.event(std::move(e));
}

}  // namespace synod::paxos
