// Dispatch, the paper's five rules, and the node's own request schedule. See mutex_node.hpp for
// the algorithm and why the channel discipline of FifoInbox keeps it safe on our network.
#include "protocols/lamport/mutex_node.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>

namespace synod::lamport {

const std::vector<MutexBugKnob>& mutex_bug_knobs() {
  static const std::vector<MutexBugKnob> knobs = {
      {"enter-without-acks", &MutexBugs::enter_without_acks,
       "a node enters once its request heads its own queue, before every other node has answered "
       "with a later stamp: a request it has not heard of yet may come first, two nodes enter"},
  };
  return knobs;
}

const char* mutex_state_name(MutexNode::State s) {
  switch (s) {
    case MutexNode::State::Idle: return "idle";
    case MutexNode::State::Waiting: return "waiting";
    case MutexNode::State::InCs: return "in-cs";
  }
  return "?";
}

MutexNode::MutexNode(NodeId id, int cluster_size, MutexConfig config, Rng rng)
    : id_(id), cluster_size_(cluster_size), config_(config), rng_(rng), inbox_(cluster_size) {
  assert(cluster_size >= 1);
  assert(id >= 0 && id < cluster_size);
  assert(config.hold >= 0);
  assert(config.request_rate_per_s >= 0);
}

void MutexNode::start(Nanos now, Outbox& out) {
  now_ = now;
  // A crash loses everything (there is no storage): a new incarnation starts with an empty
  // queue, clock 0 and fresh channels under a new epoch, which its peers will refuse
  // (fifo_inbox.hpp). The epoch comes from the per-incarnation Rng; 0 means "none" to receivers.
  clock_ = LamportClock{};
  do {
    epoch_ = rng_.next_u64();
  } while (epoch_ == 0);
  next_seq_.assign(idx(cluster_size_), 1);
  last_ts_from_.assign(idx(cluster_size_), 0);
  queue_.clear();
  inbox_ = FifoInbox<Delivery>(cluster_size_);
  state_ = State::Idle;
  own_timestamp_ = 0;
  exit_at_ = kNever;
  schedule_next_request();
}

void MutexNode::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  now_ = now;
  switch (m.kind()) {
    case MsgKind::ClientRequest: {
      // This protocol serves no commands; NotLeader without a hint sends the client elsewhere.
      const Command& c = static_cast<const ClientRequest&>(m).command;
      const ClientResult not_here{ReplyStatus::NotLeader, std::nullopt};
      out.send(from, std::make_shared<ClientReply>(c.client, c.seq, not_here, kNoNode));
      return;
    }
    case MsgKind::LamportRequest:
    case MsgKind::LamportAck:
    case MsgKind::LamportRelease: break;
    default: return;  // another protocol's message
  }
  if (!is_peer(from)) return;
  const auto& mm = static_cast<const MutexMessage&>(m);
  Delivery d;
  d.kind = m.kind();
  d.timestamp = mm.timestamp;
  if (m.kind() == MsgKind::LamportRelease) {
    d.request_timestamp = static_cast<const MutexRelease&>(m).request_timestamp;
  }
  std::vector<Delivery> ready;
  inbox_.offer(from, mm.channel, d, ready);
  for (const Delivery& r : ready) deliver(from, r.kind, r.timestamp, r.request_timestamp, out);
  if (!ready.empty()) try_enter(out);
}

void MutexNode::on_timer(Nanos now, Outbox& out) {
  now_ = now;
  if (state_ == State::InCs && now >= exit_at_) {
    release(out);
    schedule_next_request();
    return;
  }
  if (state_ == State::Idle && now >= next_request_at_) {
    next_request_at_ = kNever;
    if (now < config_.stop) make_request(out);
  }
}

Nanos MutexNode::next_timer() const {
  switch (state_) {
    case State::Idle: return next_request_at_;
    case State::Waiting: return kNever;  // only messages move a waiting node
    case State::InCs: return exit_at_;
  }
  return kNever;
}

void MutexNode::request_now(Nanos now, Outbox& out) {
  now_ = now;
  if (state_ != State::Idle) return;
  next_request_at_ = kNever;
  make_request(out);
}

std::string MutexNode::describe() const {
  return fmt::format("n{} {} req={} ts={} clock={} queue={}", id_, mutex_state_name(state_),
                     request_number_, own_timestamp_, clock_.time(), queue_.size());
}

// Rule 1. The broadcast is one event: every copy carries the same timestamp Tm.
void MutexNode::make_request(Outbox& out) {
  assert(state_ == State::Idle);
  ++request_number_;
  own_timestamp_ = clock_.tick();
  queue_insert({own_timestamp_, id_});
  state_ = State::Waiting;
  emit(EventType::CsRequest, out);
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer == id_) continue;
    auto m = std::make_shared<MutexRequest>();
    m->timestamp = own_timestamp_;
    m->request_number = request_number_;
    send_to(peer, std::move(m), out);
  }
  try_enter(out);  // a one-node cluster needs nobody's word
}

void MutexNode::deliver(NodeId from, MsgKind kind, int64_t ts, int64_t request_ts, Outbox& out) {
  clock_.receive(ts);  // IR2
  int64_t& last = last_ts_from_[idx(from)];
  last = std::max(last, ts);
  switch (kind) {
    case MsgKind::LamportRequest: on_request(from, ts, out); return;
    case MsgKind::LamportRelease: on_release(from, request_ts); return;
    default: return;  // an Ack only counts for rule 5(ii), through last_ts_from_
  }
}

// Rule 2.
void MutexNode::on_request(NodeId from, int64_t ts, Outbox& out) {
  QueuedRequest stale;
  // A node releases before it requests again, and its channel delivers in order, so it has no
  // request queued here now. Keep the newer one if that ever fails, and say so.
  if (queue_remove_node(from, &stale)) {
    violations_.push_back(fmt::format("n{}: request ts={} from n{} while its ts={} is queued", id_,
                                      ts, from, stale.timestamp));
  }
  queue_insert({ts, from});
  auto ack = std::make_shared<MutexAck>();
  ack->timestamp = clock_.tick();
  send_to(from, std::move(ack), out);
}

// Rule 4.
void MutexNode::on_release(NodeId from, int64_t request_ts) {
  QueuedRequest removed;
  if (!queue_remove_node(from, &removed)) {
    violations_.push_back(fmt::format("n{}: release of ts={} from n{}, which has no request queued",
                                      id_, request_ts, from));
    return;
  }
  if (removed.timestamp != request_ts) {
    violations_.push_back(fmt::format("n{}: release of ts={} from n{} removed its request ts={}",
                                      id_, request_ts, from, removed.timestamp));
  }
}

// Rule 5.
bool MutexNode::may_enter() const {
  if (state_ != State::Waiting) return false;
  if (queue_.empty() || !(queue_.front() == QueuedRequest{own_timestamp_, id_})) return false;
  if (config_.bugs.enter_without_acks) return true;
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer != id_ && last_ts_from_[idx(peer)] <= own_timestamp_) return false;
  }
  return true;
}

void MutexNode::try_enter(Outbox& out) {
  if (!may_enter()) return;
  state_ = State::InCs;
  ++entries_;
  exit_at_ = now_ + config_.hold;
  emit(EventType::CsEnter, out);
}

// Rule 3.
void MutexNode::release(Outbox& out) {
  assert(state_ == State::InCs);
  QueuedRequest removed;
  const bool had = queue_remove_node(id_, &removed);
  assert(had);
  (void)had;
  emit(EventType::CsExit, out);
  state_ = State::Idle;
  exit_at_ = kNever;
  const int64_t ts = clock_.tick();
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer == id_) continue;
    auto m = std::make_shared<MutexRelease>();
    m->timestamp = ts;
    m->request_timestamp = own_timestamp_;
    send_to(peer, std::move(m), out);
  }
}

void MutexNode::send_to(NodeId peer, std::shared_ptr<MutexMessage> m, Outbox& out) {
  m->channel.epoch = epoch_;
  m->channel.seq = next_seq_[idx(peer)]++;
  out.send(peer, std::move(m));
}

// Exponential think time, mean 1/rate, counted from now (or from `start`, if later).
void MutexNode::schedule_next_request() {
  next_request_at_ = kNever;
  if (config_.request_rate_per_s <= 0) return;
  const double u = rng_.unit();  // [0, 1): 1 - u is in (0, 1]
  const double think_s = -std::log(1.0 - u) / config_.request_rate_per_s;
  const double think_ns = std::min(think_s * 1e9, 1e17);  // ~3 years: effectively never
  const Nanos at = std::max(now_, config_.start) + static_cast<Nanos>(think_ns);
  if (at < config_.stop) next_request_at_ = at;
}

void MutexNode::emit(EventType type, Outbox& out) const {
  ProtocolEvent e;
  e.type = type;
  e.term = own_timestamp_;
  e.index = request_number_;
  out.event(std::move(e));
}

void MutexNode::queue_insert(QueuedRequest r) {
  queue_.insert(std::upper_bound(queue_.begin(), queue_.end(), r), r);
}

bool MutexNode::queue_remove_node(NodeId n, QueuedRequest* removed) {
  auto it = std::find_if(queue_.begin(), queue_.end(),
                         [n](const QueuedRequest& q) { return q.node == n; });
  if (it == queue_.end()) return false;
  *removed = *it;
  queue_.erase(it);
  return true;
}

}  // namespace synod::lamport
