// Multi-Paxos: dispatch of inputs, timers, ballots and roles, the acceptor's and learner's side
// of a node, and clients. Phase 1, phase 2 and heartbeats are in multipaxos_leader.cpp.
#include "protocols/paxos/multipaxos_node.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <memory>

namespace synod::paxos {

const char* role_name(Role r) {
  switch (r) {
    case Role::Follower:
      return "follower";
    case Role::Candidate:
      return "candidate";
    case Role::Leader:
      return "leader";
  }
  return "?";
}

MultiPaxosNode::MultiPaxosNode(NodeId id, int cluster_size, Config config, Storage* storage,
                               Rng rng)
    : id_(id),
      cluster_size_(cluster_size),
      config_(config),
      storage_(storage),
      rng_(rng),
      acceptor_(Acceptor::Scope::AllSlots, storage, config.bugs.accept_below_promise),
      learner_(storage) {
  assert(storage != nullptr);
  assert(cluster_size >= 1 && cluster_size <= (1 << kBallotNodeBits));
  assert(id >= 0 && id < cluster_size);
  assert(config.heartbeat_interval > 0);
  assert(config.election_timeout_min > 0);
  assert(config.election_timeout_min <= config.election_timeout_max);
  assert(config.catch_up_batch >= 1);
}

void MultiPaxosNode::start(Nanos now, Outbox& out) {
  now_ = now;
  // Every incarnation starts as a follower that knows no leader; what it promised and accepted is
  // on disk, and so is its chosen log, which it re-applies from slot 1.
  highest_seen_ = storage_->promised;
  leader_hint_ = kNoNode;
  set_role(Role::Follower, out);
  reset_election_timer();
  apply_chosen(out);
}

void MultiPaxosNode::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  now_ = now;
  if (m.kind() == MsgKind::ClientRequest) {
    on_client_request(from, static_cast<const ClientRequest&>(m), out);
    return;
  }
  if (!is_peer(from)) return;
  switch (m.kind()) {
    case MsgKind::PaxosPrepare:
      on_prepare(from, static_cast<const Prepare&>(m), out);
      return;
    case MsgKind::PaxosPromise:
      on_promise(from, static_cast<const Promise&>(m), out);
      return;
    case MsgKind::PaxosAccept:
      on_accept(from, static_cast<const Accept&>(m), out);
      return;
    case MsgKind::PaxosAccepted:
      on_accepted(from, static_cast<const Accepted&>(m), out);
      return;
    case MsgKind::PaxosDecide:
      on_decide(static_cast<const Decide&>(m), out);
      return;
    case MsgKind::PaxosHeartbeat:
      on_heartbeat(from, static_cast<const Heartbeat&>(m), out);
      return;
    case MsgKind::PaxosCatchUp:
      on_catch_up(from, static_cast<const CatchUp&>(m), out);
      return;
    case MsgKind::PaxosHeartbeatAck:
      on_heartbeat_ack(from, static_cast<const HeartbeatAck&>(m));
      return;
    default:
      return;  // not for a Multi-Paxos node
  }
}

void MultiPaxosNode::on_timer(Nanos now, Outbox& out) {
  now_ = now;
  if (role_ == Role::Leader) {
    if (now < heartbeat_deadline_) return;
    if (config_.check_quorum && !has_quorum_contact()) {
      ++quorum_step_downs_;
      step_down(out);  // pending clients hear NotLeader and look for the majority's leader
      return;
    }
    heartbeat_deadline_ = now + config_.heartbeat_interval;
    send_heartbeats(out);
    resend_stale_accepts(out);
    return;
  }
  // No leader heard from for a whole timeout (or our own phase 1 got no majority): try to lead.
  if (now >= election_deadline_) on_election_timeout(out);
}

Nanos MultiPaxosNode::next_timer() const {
  return role_ == Role::Leader ? heartbeat_deadline_ : election_deadline_;
}

std::string MultiPaxosNode::describe() const {
  return fmt::format("n{} {} b={} promised={} next={} applied={}", id_, role_name(role_),
                     ballot_name(ballot_), ballot_name(storage_->promised), next_slot_,
                     learner_.applied());
}

void MultiPaxosNode::set_role(Role role, Outbox& out) {
  role_ = role;
  ProtocolEvent e;
  e.type = EventType::Role;
  e.role = role_name(role);
  e.term = role == Role::Follower ? storage_->promised : ballot_;
  out.event(std::move(e));
}

// The higher ballot wins: a candidate or leader that meets a ballot above its own can no longer
// get anything chosen with its ballot (a majority will refuse it), so it steps down.
void MultiPaxosNode::observe_ballot(Ballot b, Outbox& out) {
  highest_seen_ = std::max(highest_seen_, b);
  if (role_ != Role::Follower && b > ballot_) step_down(out);
}

void MultiPaxosNode::step_down(Outbox& out) {
  const bool was_leader = role_ == Role::Leader;
  leader_hint_ = kNoNode;
  probing_ = false;
  set_role(Role::Follower, out);
  if (was_leader) {
    // Our pending clients cannot learn their fate from us any more. NotLeader is safe: they retry
    // with the same seq, and the KvStore's dedup makes the retry take effect once.
    fail_pending(out);
    proposals_.clear();
    heartbeat_deadline_ = kNever;
  }
  recovered_.clear();
  reset_election_timer();
}

void MultiPaxosNode::reset_election_timer() {
  election_deadline_ =
      now_ + rng_.between(config_.election_timeout_min, config_.election_timeout_max);
}

// --- acceptor ---------------------------------------------------------------------------------

void MultiPaxosNode::on_prepare(Address from, const Prepare& m, Outbox& out) {
  if (!m.all_from || m.slot < 1) return;      // a Basic Paxos prepare, or garbage
  if (m.probe) {
    on_probe(from, m, out);
    return;
  }
  auto reply = acceptor_.on_prepare(m, out);  // persisted inside, before the reply leaves
  const bool granted = reply->ok;
  out.send(from, std::move(reply));
  if (!granted) return;
  observe_ballot(m.ballot, out);
  if (role_ == Role::Follower) {
    // A candidate is running phase 1 with our promise: give it time to finish before we try.
    leader_hint_ = kNoNode;
    reset_election_timer();
  }
}

void MultiPaxosNode::on_accept(Address from, const Accept& m, Outbox& out) {
  if (m.slot < 1) return;
  auto reply = acceptor_.on_accept(m, out);
  const bool ok = reply->ok;
  out.send(from, std::move(reply));
  if (!ok) return;
  observe_ballot(m.ballot, out);
  if (role_ == Role::Follower) {  // an Accept is as good as a heartbeat from its leader
    leader_hint_ = ballot_node(m.ballot);
    leader_contact_at_ = now_;
    probing_ = false;
    reset_election_timer();
  }
}

void MultiPaxosNode::on_heartbeat(Address from, const Heartbeat& m, Outbox& out) {
  if (m.ballot < storage_->promised) {
    // A deposed leader: tell it about the higher ballot so it steps down and redirects clients.
    auto refusal = std::make_shared<Promise>();
    refusal->ballot = m.ballot;
    refusal->all_from = true;
    refusal->ok = false;
    refusal->promised = storage_->promised;
    out.send(from, std::move(refusal));
    return;
  }
  observe_ballot(m.ballot, out);
  if (role_ != Role::Follower) return;  // (only an equal ballot, i.e. our own, gets here)
  leader_hint_ = from;
  leader_contact_at_ = now_;
  probing_ = false;  // there is a leader: no need to stand
  reset_election_timer();
  if (config_.check_quorum) {
    auto ack = std::make_shared<HeartbeatAck>();
    ack->ballot = m.ballot;
    out.send(from, std::move(ack));
  }
  // Catch-up: the leader has chosen slots we have not learned (lost Decides, or we were down).
  if (m.commit >= learner_.first_unchosen()) {
    auto ask = std::make_shared<CatchUp>();
    ask->from = learner_.first_unchosen();
    out.send(from, std::move(ask));
  }
}

void MultiPaxosNode::on_catch_up(Address from, const CatchUp& m, Outbox& out) {
  int sent = 0;
  for (auto it = storage_->chosen.lower_bound(m.from);
       it != storage_->chosen.end() && sent < config_.catch_up_batch; ++it, ++sent) {
    auto d = std::make_shared<Decide>();
    d->slot = it->first;
    d->ballot = it->second.ballot;
    d->value = it->second.value;
    out.send(from, std::move(d));
  }
}

// --- learner ----------------------------------------------------------------------------------

void MultiPaxosNode::on_decide(const Decide& m, Outbox& out) {
  if (m.slot < 1) return;
  learn(m.slot, m.ballot, m.value, out);
  observe_ballot(m.ballot, out);
}

void MultiPaxosNode::learn(int64_t slot, Ballot ballot, const Value& value, Outbox& out) {
  if (!learner_.learn(slot, ballot, value, out)) return;
  // A slot chosen is out of phase 2 (if a different value won there, our pending client hears
  // nothing from this slot and retries; only a higher ballot's leader could have chosen it).
  proposals_.erase(slot);
  recovered_.erase(slot);
  apply_chosen(out);
}

void MultiPaxosNode::apply_chosen(Outbox& out) {
  learner_.apply_ready(out, [&](const Command& c, const ClientResult& r) {
    auto it = pending_.find({c.client, c.seq});
    if (it == pending_.end()) return;  // asked of another node, or a second copy
    out.send(it->second, std::make_shared<ClientReply>(c.client, c.seq, r, id_));
    pending_.erase(it);
  });
}

// --- clients ----------------------------------------------------------------------------------

void MultiPaxosNode::on_client_request(Address from, const ClientRequest& m, Outbox& out) {
  const Command& c = m.command;
  if (role_ != Role::Leader) {
    const ClientResult not_leader{ReplyStatus::NotLeader, std::nullopt};
    out.send(from, std::make_shared<ClientReply>(c.client, c.seq, not_leader, leader_hint_));
    return;
  }
  ClientResult cached;
  if (learner_.kv().is_duplicate(c, &cached)) {  // applied already: its first result
    out.send(from, std::make_shared<ClientReply>(c.client, c.seq, cached, id_));
    return;
  }
  auto [it, fresh] = pending_.try_emplace({c.client, c.seq}, from);
  if (!fresh) {  // already in a slot of ours: it will be answered when applied
    it->second = from;
    return;
  }
  // Phase 1 is done for every slot: straight to phase 2 (§3).
  propose(next_slot_++, Value::of(c), out);
}

void MultiPaxosNode::fail_pending(Outbox& out) {
  const NodeId hint = highest_seen_ > ballot_ ? ballot_node(highest_seen_) : kNoNode;
  const ClientResult not_leader{ReplyStatus::NotLeader, std::nullopt};
  for (const auto& [key, address] : pending_) {
    out.send(address, std::make_shared<ClientReply>(key.first, key.second, not_leader, hint));
  }
  pending_.clear();
}

}  // namespace synod::paxos
