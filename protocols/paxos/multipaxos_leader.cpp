// Multi-Paxos, the leader's work ("Paxos Made Simple" §3): phase 1 once for all slots from the
// first unchosen one, recovery of what earlier leaders left accepted but unchosen, phase 2 per
// command, heartbeats and resending what the network lost.
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "protocols/paxos/multipaxos_node.hpp"

namespace synod::paxos {

// --- pre-vote --------------------------------------------------------------------------------

void MultiPaxosNode::on_election_timeout(Outbox& out) {
  if (!config_.pre_vote || cluster_size_ == 1) {
    start_phase1(out);
    return;
  }
  // A candidate whose phase 1 found no majority asks again before climbing another ballot.
  if (role_ == Role::Candidate) set_role(Role::Follower, out);
  start_probe(out);
}

// The leader is in its own lease; a follower is while the leader it knows spoke recently enough.
bool MultiPaxosNode::in_leader_lease() const {
  if (role_ == Role::Leader) return true;
  return leader_hint_ != kNoNode && now_ - leader_contact_at_ < config_.election_timeout_min;
}

void MultiPaxosNode::start_probe(Outbox& out) {
  // The ballot start_phase1 would use, not recorded anywhere.
  const int64_t round = std::max({storage_->last_round, ballot_round(storage_->promised),
                                  ballot_round(highest_seen_)}) +
                        1;
  probing_ = true;
  probe_ballot_ = make_ballot(round, id_);
  probe_yes_.assign(static_cast<size_t>(cluster_size_), false);
  probe_yes_[static_cast<size_t>(id_)] = true;  // we would promise it
  probe_yeses_ = 1;
  leader_hint_ = kNoNode;  // we timed out on it
  reset_election_timer();  // no majority by then: ask again
  auto probe = std::make_shared<Prepare>();
  probe->ballot = probe_ballot_;
  probe->slot = learner_.first_unchosen();
  probe->all_from = true;
  probe->probe = true;
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer != id_) out.send(peer, probe);
  }
}

void MultiPaxosNode::on_probe(Address from, const Prepare& m, Outbox& out) {
  auto reply = std::make_shared<Promise>();
  reply->ballot = m.ballot;
  reply->slot = m.slot;
  reply->all_from = true;
  reply->probe = true;
  reply->ok = m.ballot > storage_->promised && !in_leader_lease();
  out.send(from, std::move(reply));
}

void MultiPaxosNode::on_probe_reply(Address from, const Promise& m, Outbox& out) {
  if (!probing_ || m.ballot != probe_ballot_ || !m.ok) return;
  auto counted = probe_yes_[static_cast<size_t>(from)];
  if (counted) return;  // duplicated by the network
  counted = true;
  if (++probe_yeses_ >= majority()) start_phase1(out);
}

// --- phase 1 ---------------------------------------------------------------------------------

void MultiPaxosNode::start_phase1(Outbox& out) {
  probing_ = false;
  // A ballot above every one we have seen or promised, never one we used before (the round is on
  // disk before the Prepare leaves: §3 footnote).
  const int64_t round = std::max({storage_->last_round, ballot_round(storage_->promised),
                                  ballot_round(highest_seen_)}) +
                        1;
  storage_->last_round = round;
  ++storage_->writes;
  ballot_ = make_ballot(round, id_);
  highest_seen_ = std::max(highest_seen_, ballot_);
  leader_hint_ = kNoNode;
  if (role_ != Role::Candidate) {
    set_role(Role::Candidate, out);
  }
  ProtocolEvent e;
  e.type = EventType::ElectionStart;
  e.term = ballot_;
  out.event(std::move(e));

  prepare_from_ = learner_.first_unchosen();
  promised_by_.assign(static_cast<size_t>(cluster_size_), false);
  promises_ = 0;
  recovered_.clear();
  reset_election_timer();  // no majority by then: try again with a higher ballot

  auto prepare = std::make_shared<Prepare>();
  prepare->ballot = ballot_;
  prepare->slot = prepare_from_;
  prepare->all_from = true;
  const Ballot ballot = ballot_;
  // Our own acceptor first; it cannot refuse a ballot above its promise. Alone, it may elect us.
  on_promise(id_, *acceptor_.on_prepare(*prepare, out), out);
  if (role_ != Role::Candidate || ballot_ != ballot) return;
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer != id_) out.send(peer, prepare);
  }
}

void MultiPaxosNode::on_promise(Address from, const Promise& m, Outbox& out) {
  if (!m.all_from) return;
  if (m.probe) {
    on_probe_reply(from, m, out);
    return;
  }
  if (!m.ok) {  // a refusal (of our Prepare or of a stale heartbeat) names a higher ballot
    observe_ballot(m.promised, out);
    return;
  }
  if (role_ != Role::Candidate || m.ballot != ballot_) return;  // late, or for another ballot
  auto counted = promised_by_[static_cast<size_t>(from)];
  if (counted) return;  // duplicated by the network
  counted = true;
  ++promises_;
  for (const AcceptedSlot& a : m.accepted) {
    if (a.slot < prepare_from_) continue;
    if (a.chosen) {
      learn(a.slot, a.ballot, a.value, out);
      continue;
    }
    if (learner_.is_chosen(a.slot)) continue;
    // P2c per slot: the value of the highest ballot any promising acceptor accepted.
    auto [it, fresh] = recovered_.try_emplace(a.slot, a);
    if (!fresh && a.ballot > it->second.ballot) it->second = a;
  }
  if (promises_ >= majority()) become_leader(out);
}

void MultiPaxosNode::become_leader(Outbox& out) {
  // Check-quorum: every follower gets a full window to answer (before recovery proposes, as our
  // own acceptor's Accepted counts too).
  heard_at_.assign(static_cast<size_t>(cluster_size_), now_);
  leader_hint_ = id_;
  set_role(Role::Leader, out);
  election_deadline_ = kNever;
  // Recovery: every slot from our first unchosen one up to the highest reported (or known) is
  // proposed again in our ballot, with the highest-ballot value reported for it, or a no-op if no
  // promise reported one (nothing can have been chosen there: a chosen value was accepted by a
  // majority, which intersects the promising one).
  int64_t last = std::max(learner_.highest_chosen(), prepare_from_ - 1);
  if (!recovered_.empty()) last = std::max(last, recovered_.rbegin()->first);
  next_slot_ = last + 1;
  if (config_.bugs.skip_recovery) {  // the bug knob: new commands go where others may be chosen
    next_slot_ = learner_.first_unchosen();
    last = next_slot_ - 1;
  }
  std::map<int64_t, AcceptedSlot> recovered = std::move(recovered_);
  recovered_.clear();
  for (int64_t slot = learner_.first_unchosen(); slot <= last && role_ == Role::Leader; ++slot) {
    if (learner_.is_chosen(slot)) continue;
    auto it = recovered.find(slot);
    propose(slot, it == recovered.end() || config_.bugs.ignore_accepted ? Value{} : it->second.value,
            out);
  }
  if (role_ != Role::Leader) return;
  send_heartbeats(out);  // establish ourselves at once, and show followers our commit point
  heartbeat_deadline_ = now_ + config_.heartbeat_interval;
}

void MultiPaxosNode::propose(int64_t slot, Value value, Outbox& out) {
  Proposal& p = proposals_[slot];
  p.value = std::move(value);
  p.accepted_by.assign(static_cast<size_t>(cluster_size_), false);
  p.accepted = 0;
  p.sent_at = now_;
  auto accept = std::make_shared<Accept>();
  accept->ballot = ballot_;
  accept->slot = slot;
  accept->value = p.value;
  // Our own acceptor first (it promised our ballot); in a one-node cluster that chooses it.
  on_accepted(id_, *acceptor_.on_accept(*accept, out), out);
  if (role_ != Role::Leader || !proposals_.count(slot)) return;
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer != id_) out.send(peer, accept);
  }
}

void MultiPaxosNode::on_accepted(Address from, const Accepted& m, Outbox& out) {
  if (!m.ok) {
    observe_ballot(m.promised, out);
    return;
  }
  if (role_ != Role::Leader || m.ballot != ballot_) return;
  heard_at_[static_cast<size_t>(from)] = now_;
  auto it = proposals_.find(m.slot);
  if (it == proposals_.end()) return;  // chosen already, or not ours
  Proposal& p = it->second;
  auto counted = p.accepted_by[static_cast<size_t>(from)];
  if (counted) return;
  counted = true;
  if (++p.accepted < majority()) return;
  // Chosen (§2.2): tell every learner, then learn and apply it ourselves.
  auto decide = std::make_shared<Decide>();
  decide->slot = m.slot;
  decide->ballot = ballot_;
  decide->value = p.value;
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer != id_) out.send(peer, decide);
  }
  learn(decide->slot, decide->ballot, decide->value, out);
}

void MultiPaxosNode::send_heartbeats(Outbox& out) {
  auto hb = std::make_shared<Heartbeat>();
  hb->ballot = ballot_;
  hb->commit = learner_.first_unchosen() - 1;
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer != id_) out.send(peer, hb);
  }
}

// An Accept (or its Accepted) may have been lost: a slot unanswered for a heartbeat period is
// sent again to the acceptors that have not accepted it.
void MultiPaxosNode::resend_stale_accepts(Outbox& out) {
  for (auto& [slot, p] : proposals_) {
    if (now_ - p.sent_at < config_.heartbeat_interval) continue;
    p.sent_at = now_;
    auto accept = std::make_shared<Accept>();
    accept->ballot = ballot_;
    accept->slot = slot;
    accept->value = p.value;
    for (NodeId peer = 0; peer < cluster_size_; ++peer) {
      if (peer != id_ && !p.accepted_by[static_cast<size_t>(peer)]) out.send(peer, accept);
    }
  }
}

// --- check-quorum ----------------------------------------------------------------------------

void MultiPaxosNode::on_heartbeat_ack(Address from, const HeartbeatAck& m) {
  if (role_ == Role::Leader && m.ballot == ballot_) heard_at_[static_cast<size_t>(from)] = now_;
}

bool MultiPaxosNode::has_quorum_contact() const {
  int heard = 1;  // ourselves
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer != id_ && now_ - heard_at_[static_cast<size_t>(peer)] < config_.election_timeout_min)
      ++heard;
  }
  return heard >= majority();
}

}  // namespace synod::paxos
