#include "sim/engine/network.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace synod::sim {

void MessageCounters::add(const MessageCounters& o) {
  sent += o.sent;
  delivered += o.delivered;
  dropped_loss += o.dropped_loss;
  dropped_partition += o.dropped_partition;
  dropped_down += o.dropped_down;
  duplicated += o.duplicated;
  bytes_sent += o.bytes_sent;
}

Network::Network(Config config, Rng rng, std::function<void(Address)> on_earlier)
    : config_(std::move(config)),
      n_nodes_(config_.n_nodes),
      rng_(rng),
      on_earlier_(std::move(on_earlier)) {
  const int n_endpoints = config_.n_nodes + config_.n_clients;
  assert(static_cast<int>(config_.node_latency.size()) == n_nodes_ * n_nodes_);
  queues_.resize(n_endpoints);
  wake_at_.assign(n_endpoints, kNever);
  up_.assign(n_endpoints, true);
  incarnation_.assign(n_endpoints, 0);
  blocked_.assign(static_cast<size_t>(n_nodes_) * n_nodes_, false);
  extra_latency_.assign(n_nodes_, 0);
  extra_loss_.assign(n_nodes_, 0.0);
  extra_duplicate_.assign(n_nodes_, 0.0);
  reorder_.assign(n_nodes_, 0);
  counters_.resize(static_cast<size_t>(MsgKind::kCount));
}

Nanos Network::base_latency(Address a, Address b) const {
  if (is_node(a) && is_node(b)) return config_.node_latency[a * n_nodes_ + b];
  return config_.client_latency;
}

Nanos Network::jitter() {
  if (config_.jitter <= 0) return 0;
  if (config_.jitter_exponential)
    return static_cast<Nanos>(std::llround(-std::log(1.0 - rng_.unit()) * static_cast<double>(config_.jitter)));
  return rng_.between(0, config_.jitter);
}

void Network::send(Nanos now, Address src, Address dst, MessagePtr m, Stamp stamp) {
  assert(dst >= 0 && dst < n_endpoints());
  MessageCounters& c = counters_[static_cast<size_t>(m->kind())];
  c.sent++;
  c.bytes_sent += m->size_bytes();
  if (!up_[dst]) {
    c.dropped_down++;
    return;
  }
  const bool node_pair = is_node(src) && is_node(dst);
  if (node_pair && !can_talk(src, dst)) {
    c.dropped_partition++;
    return;
  }
  // Every random draw happens in a fixed order per message, so a run replays exactly.
  double keep = 1.0 - config_.loss;
  if (is_node(src)) keep *= 1.0 - extra_loss_[src];
  if (is_node(dst)) keep *= 1.0 - extra_loss_[dst];
  if (keep < 1.0 && rng_.unit() >= keep) {
    c.dropped_loss++;
    return;
  }
  Nanos delay = base_latency(src, dst);
  if (is_node(src)) delay += extra_latency_[src];
  if (is_node(dst)) delay += extra_latency_[dst];
  // Draws in a fixed order (jitter, then reorder): operands of + are evaluated in no set order.
  Nanos at = now + delay + jitter();
  at += reorder_delay(src, dst);
  enqueue(at, src, dst, m, stamp);
  double dup = config_.duplicate;
  if ((is_node(src) && extra_duplicate_[src] > 0) || (is_node(dst) && extra_duplicate_[dst] > 0)) {
    double once = 1.0 - config_.duplicate;
    if (is_node(src)) once *= 1.0 - extra_duplicate_[src];
    if (is_node(dst)) once *= 1.0 - extra_duplicate_[dst];
    dup = 1.0 - once;
  }
  if (dup > 0 && rng_.chance(dup)) {
    c.duplicated++;
    Nanos again = now + delay + jitter();
    again += reorder_delay(src, dst);
    enqueue(again, src, dst, m, stamp);
  }
}

bool Network::mangling() const {
  for (int n = 0; n < n_nodes_; ++n)
    if (extra_duplicate_[n] > 0 || reorder_[n] > 0) return true;
  return false;
}

Nanos Network::reorder_delay(Address src, Address dst) {
  Nanos spread = 0;
  if (is_node(src)) spread = reorder_[src];
  if (is_node(dst)) spread = std::max(spread, reorder_[dst]);
  return spread > 0 ? rng_.between(0, spread) : 0;
}

void Network::enqueue(Nanos deliver_at, Address src, Address dst, const MessagePtr& m,
                      const Stamp& stamp) {
  queues_[dst].push(Envelope{deliver_at, next_seq_++, src, incarnation_[dst], m, stamp});
  if (deliver_at < wake_at_[dst]) {
    wake_at_[dst] = deliver_at;
    on_earlier_(dst);
  }
}

bool Network::pop_due(Address dst, Nanos now, Envelope* out) {
  Queue& q = queues_[dst];
  while (!q.empty() && q.top().deliver_at <= now) {
    Envelope e = q.top();
    q.pop();
    MessageCounters& c = counters_[static_cast<size_t>(e.message->kind())];
    if (e.incarnation != incarnation_[dst] || !up_[dst]) {
      c.dropped_down++;
      continue;
    }
    c.delivered++;
    *out = std::move(e);
    return true;
  }
  return false;
}

Nanos Network::next_due(Address dst) const {
  const Queue& q = queues_[dst];
  return q.empty() ? kNever : q.top().deliver_at;
}

void Network::set_up(Address a, bool up) {
  if (up_[a] && !up) {
    // Messages in flight to a crashed node vanish: count them now and free the memory.
    Queue& q = queues_[a];
    while (!q.empty()) {
      counters_[static_cast<size_t>(q.top().message->kind())].dropped_down++;
      q.pop();
    }
    incarnation_[a]++;
    wake_at_[a] = kNever;
  }
  up_[a] = up;
}

void Network::set_partition(const std::vector<int>& group_of_node) {
  assert(static_cast<int>(group_of_node.size()) == n_nodes_);
  for (int a = 0; a < n_nodes_; ++a)
    for (int b = 0; b < n_nodes_; ++b)
      blocked_[a * n_nodes_ + b] = group_of_node[a] != group_of_node[b];
}

void Network::cut(NodeId from, NodeId to) { blocked_[from * n_nodes_ + to] = true; }

void Network::clear_partitions() { std::fill(blocked_.begin(), blocked_.end(), false); }

void Network::heal() {
  clear_partitions();
  std::fill(extra_latency_.begin(), extra_latency_.end(), 0);
  clear_extra_loss();
  std::fill(extra_duplicate_.begin(), extra_duplicate_.end(), 0.0);
  std::fill(reorder_.begin(), reorder_.end(), 0);
}

void Network::clear_extra_loss() { std::fill(extra_loss_.begin(), extra_loss_.end(), 0.0); }

MessageCounters Network::totals() const {
  MessageCounters t;
  for (const auto& c : counters_) t.add(c);
  return t;
}

}  // namespace synod::sim
