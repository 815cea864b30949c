// Basic Paxos: dispatch of inputs, the acceptor's and learner's side of a node, and clients.
// The proposer's rounds are in proposer.cpp.
#include "protocols/paxos/paxos_node.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <memory>

namespace synod::paxos {

namespace {
const char* phase_name(PaxosNode::Phase p) {
  switch (p) {
    case PaxosNode::Phase::Idle:
      return "idle";
    case PaxosNode::Phase::Preparing:
      return "preparing";
    case PaxosNode::Phase::Accepting:
      return "accepting";
  }
  return "?";
}
}  // namespace

PaxosNode::PaxosNode(NodeId id, int cluster_size, Config config, Storage* storage, Rng rng)
    : id_(id),
      cluster_size_(cluster_size),
      config_(config),
      storage_(storage),
      rng_(rng),
      acceptor_(Acceptor::Scope::PerSlot, storage, config.bugs.accept_below_promise),
      learner_(storage) {
  assert(storage != nullptr);
  assert(cluster_size >= 1 && cluster_size <= (1 << kBallotNodeBits));
  assert(id >= 0 && id < cluster_size);
  assert(config.backoff_min > 0 && config.backoff_min <= config.backoff_max);
  assert(config.round_timeout > 0);
}

void PaxosNode::start(Nanos now, Outbox& out) {
  now_ = now;
  // A new incarnation has no round, no queue and no KV state; it must never reuse a ballot
  // (storage.hpp), and need not propose below rounds its acceptor has already promised.
  max_round_seen_ = storage_->last_round;
  for (const auto& [slot, s] : storage_->slots) note_ballot(s.promised);
  apply_chosen(out);   // the persisted chosen prefix, from slot 1
  maybe_propose(out);  // a persisted gap must be filled before anything above it applies
}

void PaxosNode::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  now_ = now;
  switch (m.kind()) {
    case MsgKind::ClientRequest:
      on_client_request(from, static_cast<const ClientRequest&>(m), out);
      return;
    case MsgKind::PaxosPrepare:
      if (is_peer(from)) on_prepare(from, static_cast<const Prepare&>(m), out);
      return;
    case MsgKind::PaxosPromise:
      if (is_peer(from)) on_promise(from, static_cast<const Promise&>(m), out);
      return;
    case MsgKind::PaxosAccept:
      if (is_peer(from)) on_accept(from, static_cast<const Accept&>(m), out);
      return;
    case MsgKind::PaxosAccepted:
      if (is_peer(from)) on_accepted(from, static_cast<const Accepted&>(m), out);
      return;
    case MsgKind::PaxosDecide:
      if (is_peer(from)) on_decide(static_cast<const Decide&>(m), out);
      return;
    default:
      return;  // not for a Basic Paxos node (a ClientReply, Multi-Paxos heartbeats, ...)
  }
}

void PaxosNode::on_timer(Nanos now, Outbox& out) {
  now_ = now;
  if (now < retry_at_) return;
  if (round_.phase != Phase::Idle) {
    abandon_round(out);  // no majority in time: messages lost or acceptors down
    return;
  }
  retry_at_ = kNever;  // the backoff is over
  maybe_propose(out);
}

Nanos PaxosNode::next_timer() const { return retry_at_; }

std::string PaxosNode::describe() const {
  return fmt::format("n{} {} s={} b={} queued={} applied={}", id_, phase_name(round_.phase),
                     round_.slot, ballot_name(round_.ballot), queue_.size(), learner_.applied());
}

void PaxosNode::note_ballot(Ballot b) {
  max_round_seen_ = std::max(max_round_seen_, ballot_round(b));
}

// --- acceptor (§2.2, §2.3) --------------------------------------------------------------------

void PaxosNode::on_prepare(Address from, const Prepare& m, Outbox& out) {
  if (m.all_from || m.slot < 1) return;  // a Multi-Paxos prepare, or garbage
  note_ballot(m.ballot);
  // Answering a chosen slot's prepare with the decision ends the asker's round at once; a
  // promise would only lead it to re-propose the same value (P2c guarantees it).
  if (const Decision* d = learner_.decision(m.slot)) {
    auto decide = std::make_shared<Decide>();
    decide->slot = m.slot;
    decide->ballot = d->ballot;
    decide->value = d->value;
    out.send(from, std::move(decide));
    return;
  }
  out.send(from, acceptor_.on_prepare(m, out));
}

void PaxosNode::on_accept(Address from, const Accept& m, Outbox& out) {
  if (m.slot < 1) return;
  note_ballot(m.ballot);
  out.send(from, acceptor_.on_accept(m, out));
}

// --- learner (§2.4) ---------------------------------------------------------------------------

void PaxosNode::on_decide(const Decide& m, Outbox& out) {
  if (m.slot < 1) return;
  note_ballot(m.ballot);
  learn(m.slot, m.ballot, m.value, out);
}

void PaxosNode::learn(int64_t slot, Ballot ballot, const Value& value, Outbox& out) {
  if (!learner_.learn(slot, ballot, value, out)) return;
  if (round_.slot == slot) {
    // Our round there is moot, and so is a backoff: the contention it waited out is decided.
    round_.phase = Phase::Idle;
    retry_at_ = kNever;
  }
  apply_chosen(out);
  maybe_propose(out);
}

void PaxosNode::apply_chosen(Outbox& out) {
  learner_.apply_ready(out, [&](const Command& c, const ClientResult& r) {
    // Only the node that received a command answers for it, once the command is applied here.
    auto it = std::find_if(queue_.begin(), queue_.end(), [&](const Queued& q) {
      return q.command.client == c.client && q.command.seq == c.seq;
    });
    if (it == queue_.end()) return;
    out.send(it->client, std::make_shared<ClientReply>(c.client, c.seq, r, id_));
    queue_.erase(it);
  });
}

// --- clients ----------------------------------------------------------------------------------

void PaxosNode::on_client_request(Address from, const ClientRequest& m, Outbox& out) {
  const Command& c = m.command;
  ClientResult cached;
  if (learner_.kv().is_duplicate(c, &cached)) {  // applied already: its first result
    out.send(from, std::make_shared<ClientReply>(c.client, c.seq, cached, id_));
    return;
  }
  for (Queued& q : queue_) {
    if (q.command.client == c.client && q.command.seq == c.seq) {
      q.client = from;  // a retry of a queued command: the answer goes where it was last asked
      return;
    }
  }
  queue_.push_back({c, from});
  maybe_propose(out);
}

const std::vector<BugKnob>& bug_knobs() {
  static const std::vector<BugKnob> knobs = {
      {"accept-below-promise", &Bugs::accept_below_promise,
       "an acceptor accepts a ballot lower than one it promised (P1a broken): an old proposer's "
       "value is chosen after a newer one was, two values chosen for one slot"},
      {"ignore-accepted", &Bugs::ignore_accepted,
       "a proposer ignores the values the promises report (P2c broken) and proposes its own: a "
       "chosen value is replaced"},
      {"skip-recovery", &Bugs::skip_recovery,
       "a new Multi-Paxos leader skips recovery and proposes new commands from its own first "
       "unchosen slot: slots an earlier leader had chosen get a second value"},
  };
  return knobs;
}

}  // namespace synod::paxos
