#include "protocols/paxos/acceptor.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace synod::paxos {

Ballot Acceptor::promised_for(int64_t slot) const {
  Ballot p = storage_->promised;
  auto it = storage_->slots.find(slot);
  if (it != storage_->slots.end()) p = std::max(p, it->second.promised);
  return p;
}

void Acceptor::promise_event(Ballot b, int64_t slot, Outbox& out) const {
  ProtocolEvent e;
  e.type = EventType::Promise;
  e.term = b;
  e.index = slot;  // 0: every slot (Multi-Paxos)
  out.event(std::move(e));
}

std::shared_ptr<Promise> Acceptor::on_prepare(const Prepare& m, Outbox& out) {
  auto reply = std::make_shared<Promise>();
  reply->ballot = m.ballot;
  reply->slot = m.slot;
  reply->all_from = m.all_from;
  const bool all = scope_ == Scope::AllSlots;
  const Ballot promised = all ? storage_->promised : promised_for(m.slot);
  if (m.ballot < promised) {  // §2.2: we responded to a higher-numbered prepare request
    reply->ok = false;
    reply->promised = promised;
    return reply;
  }
  reply->ok = true;
  if (m.ballot > promised) {
    // §2.3: the promise goes to stable storage before the answer leaves.
    if (all) {
      storage_->promised = m.ballot;
    } else {
      storage_->slots[m.slot].promised = m.ballot;
      storage_->touched.push_back(m.slot);
    }
    ++storage_->writes;
    promise_event(m.ballot, all ? 0 : m.slot, out);
  }
  // P1b's second half: "the proposal with the highest number less than n that it has accepted".
  if (!all) {
    auto it = storage_->slots.find(m.slot);
    if (it != storage_->slots.end() && it->second.accepted != kNoBallot) {
      reply->accepted.push_back({m.slot, it->second.accepted, it->second.value, false});
    }
    return reply;
  }
  // Multi-Paxos (§3): everything at or above the prepare's slot. A value we know chosen is
  // reported as such, so the new leader learns it without another round.
  auto acc = storage_->slots.lower_bound(m.slot);
  auto cho = storage_->chosen.lower_bound(m.slot);
  while (acc != storage_->slots.end() || cho != storage_->chosen.end()) {
    const bool take_chosen =
        cho != storage_->chosen.end() && (acc == storage_->slots.end() || cho->first <= acc->first);
    if (take_chosen) {
      reply->accepted.push_back({cho->first, cho->second.ballot, cho->second.value, true});
      if (acc != storage_->slots.end() && acc->first == cho->first) ++acc;
      ++cho;
      continue;
    }
    if (acc->second.accepted != kNoBallot) {
      reply->accepted.push_back({acc->first, acc->second.accepted, acc->second.value, false});
    }
    ++acc;
  }
  return reply;
}

std::shared_ptr<Accepted> Acceptor::on_accept(const Accept& m, Outbox& out) {
  auto reply = std::make_shared<Accepted>();
  reply->ballot = m.ballot;
  reply->slot = m.slot;
  const Ballot promised = promised_for(m.slot);
  if (m.ballot < promised && !accept_below_promise_) {  // P1a: that would break a promise
    reply->ok = false;
    reply->promised = promised;
    return reply;
  }
  reply->ok = true;
  AcceptorSlot& s = storage_->slots[m.slot];
  if (s.accepted == m.ballot && s.value == m.value) return reply;  // a duplicate: already on disk
  storage_->touched.push_back(m.slot);
  if (s.accepted == m.ballot) {
    violations_.push_back(fmt::format("slot {}: ballot {} proposed both '{}' and '{}'", m.slot,
                                      ballot_name(m.ballot), s.value.describe(),
                                      m.value.describe()));
  }
  if (scope_ == Scope::AllSlots) {
    storage_->promised = std::max(storage_->promised, m.ballot);
  } else {
    s.promised = std::max(s.promised, m.ballot);
  }
  s.accepted = m.ballot;
  s.value = m.value;
  ++storage_->writes;  // on disk before the Accepted leaves
  ProtocolEvent e;
  e.type = EventType::Accept;
  e.term = m.ballot;
  e.index = m.slot;
  e.command = m.value.describe();
  out.event(std::move(e));
  return reply;
}

}  // namespace synod::paxos
