// Basic Paxos, the proposer ("Paxos Made Simple" §2.2, with §2.4's progress concerns): one round
// at a time, always in the lowest slot not known to be chosen.
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "protocols/paxos/paxos_node.hpp"

namespace synod::paxos {

void PaxosNode::maybe_propose(Outbox& out) {
  if (round_.phase != Phase::Idle || retry_at_ != kNever) return;  // busy, or backing off
  // Commands the state machine has already seen (chosen through another node) need no slot.
  ClientResult cached;
  while (!queue_.empty() && learner_.kv().is_duplicate(queue_.front().command, &cached)) {
    const Command& c = queue_.front().command;
    out.send(queue_.front().client, std::make_shared<ClientReply>(c.client, c.seq, cached, id_));
    queue_.pop_front();
  }
  if (queue_.empty() && !learner_.has_gap()) return;
  start_round(out);
}

void PaxosNode::start_round(Outbox& out) {
  round_ = Round{};
  round_.phase = Phase::Preparing;
  round_.slot = learner_.first_unchosen();
  // In a gap we propose a no-op, which adopts whatever was accepted there; our command waits for
  // the first slot past everything we know chosen.
  round_.value = learner_.has_gap() ? Value{} : Value::of(queue_.front().command);
  // §2.2 and the §3 footnote: a ballot higher than any we have seen, never one we used before; the
  // round is on disk before the Prepare leaves.
  const int64_t round = std::max(max_round_seen_, storage_->last_round) + 1;
  storage_->last_round = round;
  ++storage_->writes;
  max_round_seen_ = round;
  round_.ballot = make_ballot(round, id_);
  round_.answered.assign(static_cast<size_t>(cluster_size_), false);
  retry_at_ = now_ + config_.round_timeout;

  auto prepare = std::make_shared<Prepare>();
  prepare->ballot = round_.ballot;
  prepare->slot = round_.slot;
  const Ballot ballot = round_.ballot;
  // Our own acceptor first (it cannot refuse: the ballot is above every one we have seen). In a
  // one-node cluster that alone is a majority, and the round may be over when this returns.
  on_promise(id_, *acceptor_.on_prepare(*prepare, out), out);
  if (round_.phase != Phase::Preparing || round_.ballot != ballot) return;
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer != id_) out.send(peer, prepare);
  }
}

void PaxosNode::on_promise(Address from, const Promise& m, Outbox& out) {
  if (!m.ok) note_ballot(m.promised);
  // A promise counts only for the round it answers: a late or duplicated one from an earlier
  // round (or slot) says nothing about this ballot.
  if (round_.phase != Phase::Preparing || m.all_from || m.slot != round_.slot ||
      m.ballot != round_.ballot) {
    return;
  }
  if (!m.ok) {  // pre-empted: an acceptor promised a higher ballot
    abandon_round(out);
    return;
  }
  auto answered = round_.answered[static_cast<size_t>(from)];
  if (answered) return;  // duplicated by the network
  answered = true;
  ++round_.granted;
  // P2c: propose the value of the highest-numbered proposal accepted by the promising majority.
  for (const AcceptedSlot& a : m.accepted) {
    if (a.slot == round_.slot && a.ballot > round_.highest_accepted && !config_.bugs.ignore_accepted) {
      round_.highest_accepted = a.ballot;
      round_.value = a.value;
    }
  }
  if (round_.granted >= majority()) begin_accept(out);
}

void PaxosNode::begin_accept(Outbox& out) {
  round_.phase = Phase::Accepting;
  round_.answered.assign(static_cast<size_t>(cluster_size_), false);
  round_.granted = 0;
  auto accept = std::make_shared<Accept>();
  accept->ballot = round_.ballot;
  accept->slot = round_.slot;
  accept->value = round_.value;
  const Ballot ballot = round_.ballot;
  on_accepted(id_, *acceptor_.on_accept(*accept, out), out);
  if (round_.phase != Phase::Accepting || round_.ballot != ballot) return;
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer != id_) out.send(peer, accept);
  }
}

void PaxosNode::on_accepted(Address from, const Accepted& m, Outbox& out) {
  if (!m.ok) note_ballot(m.promised);
  if (round_.phase != Phase::Accepting || m.slot != round_.slot || m.ballot != round_.ballot) {
    return;
  }
  if (!m.ok) {
    abandon_round(out);
    return;
  }
  auto answered = round_.answered[static_cast<size_t>(from)];
  if (answered) return;
  answered = true;
  if (++round_.granted < majority()) return;
  // A majority accepted (slot, ballot, value): it is chosen (§2.2). Tell every learner.
  auto decide = std::make_shared<Decide>();
  decide->slot = round_.slot;
  decide->ballot = round_.ballot;
  decide->value = round_.value;
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer != id_) out.send(peer, decide);
  }
  learn(decide->slot, decide->ballot, decide->value, out);
}

void PaxosNode::abandon_round(Outbox& out) {
  round_.phase = Phase::Idle;
  if (config_.backoff) {
    // §2.4: a random pause lets one proposer finish its round before the other returns.
    retry_at_ = now_ + rng_.between(config_.backoff_min, config_.backoff_max);
    return;
  }
  retry_at_ = kNever;
  maybe_propose(out);
}

}  // namespace synod::paxos
