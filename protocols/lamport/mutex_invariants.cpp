// The mutex node's own invariants: state checks on what it holds now, delta checks against what
// it held when last checked (the LogCabin pattern, as in raft/invariants.cpp). Mutual exclusion
// itself is a cluster property and is checked by analysis from the CsEnter/CsExit events; here
// each node checks that it only ever enters under the paper's rule 5 and keeps its books straight.
//
// Cost: O(cluster size + queue length), at most O(cluster size), so it can run after every step.
#include <fmt/format.h>

#include "protocols/lamport/mutex_node.hpp"

namespace synod::lamport {

std::vector<std::string> MutexNode::check_invariants() {
  std::vector<std::string> v = std::move(violations_);
  violations_.clear();
  check_state(v);
  check_deltas(v);
  checked_.valid = true;
  checked_.clock = clock_.time();
  checked_.request_number = request_number_;
  checked_.entries = entries_;
  checked_.delivered.clear();
  for (NodeId n = 0; n < cluster_size_; ++n) checked_.delivered.push_back(inbox_.delivered(n));
  return v;
}

void MutexNode::flag(std::vector<std::string>& v, const std::string& what) const {
  v.push_back(fmt::format("n{} {}: {}", id_, mutex_state_name(state_), what));
}

void MutexNode::check_state(std::vector<std::string>& v) const {
  // The queue is sorted by (timestamp, node) and holds each node at most once.
  std::vector<bool> seen(idx(cluster_size_), false);
  for (size_t k = 0; k < queue_.size(); ++k) {
    const QueuedRequest& q = queue_[k];
    if (k > 0 && !(queue_[k - 1] < q)) {
      flag(v, fmt::format("queue out of order at {}: ({}, n{}) then ({}, n{})", k,
                          queue_[k - 1].timestamp, queue_[k - 1].node, q.timestamp, q.node));
    }
    if (q.node < 0 || q.node >= cluster_size_) {
      flag(v, fmt::format("queue holds unknown node n{}", q.node));
      continue;
    }
    if (seen[idx(q.node)]) flag(v, fmt::format("queue holds n{} twice", q.node));
    seen[idx(q.node)] = true;
    // Every queued timestamp was either ours or delivered to us, and IR2 put our clock past it.
    if (q.timestamp > clock_.time()) {
      flag(v, fmt::format("queued ts={} of n{} > clock {}", q.timestamp, q.node, clock_.time()));
    }
  }
  // Our own request is queued exactly while it is outstanding, with its timestamp.
  const bool own_queued = seen[idx(id_)];
  if (own_queued != (state_ != State::Idle)) {
    flag(v, fmt::format("own request {}queued", own_queued ? "" : "not "));
  }
  if (own_queued) {
    for (const QueuedRequest& q : queue_) {
      if (q.node == id_ && q.timestamp != own_timestamp_) {
        flag(v, fmt::format("own request queued at ts={}, made at ts={}", q.timestamp,
                            own_timestamp_));
      }
    }
  }
  if (state_ == State::InCs) {
    if (queue_.empty() || queue_.front().node != id_) {
      flag(v, "in the critical section but own request does not head the queue");
    }
    for (NodeId peer = 0; peer < cluster_size_; ++peer) {
      if (peer != id_ && last_ts_from_[idx(peer)] <= own_timestamp_) {
        flag(v, fmt::format("in the critical section (ts={}) without a later message from n{} "
                            "(last ts={})",
                            own_timestamp_, peer, last_ts_from_[idx(peer)]));
      }
    }
  }
  // Rule 5 is re-evaluated after every delivery, so a waiting node never sits on a granted entry.
  if (may_enter()) flag(v, "may enter but is still waiting");
  if ((state_ == State::InCs) != (exit_at_ != kNever)) {
    flag(v, fmt::format("exit time {} does not match the state", exit_at_));
  }
  if (state_ != State::Idle && next_request_at_ != kNever) {
    flag(v, "a next request is scheduled while one is outstanding");
  }
  if (state_ != State::Idle && own_timestamp_ > clock_.time()) {
    flag(v, fmt::format("own ts={} > clock {}", own_timestamp_, clock_.time()));
  }
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (last_ts_from_[idx(peer)] > clock_.time()) {
      flag(v, fmt::format("received ts={} from n{} > clock {}", last_ts_from_[idx(peer)], peer,
                          clock_.time()));
    }
    // A held message waits for a gap: the next seq to deliver is never held.
    const uint64_t first_held = inbox_.first_held(peer);
    if (first_held != 0 && first_held <= inbox_.delivered(peer) + 1) {
      flag(v, fmt::format("holds seq {} from n{} with {} delivered", first_held, peer,
                          inbox_.delivered(peer)));
    }
  }
  if (entries_ > request_number_) {
    flag(v, fmt::format("{} entries for {} requests", entries_, request_number_));
  }
}

void MutexNode::check_deltas(std::vector<std::string>& v) const {
  if (!checked_.valid) return;
  const Snapshot& was = checked_;
  if (clock_.time() < was.clock) {
    flag(v, fmt::format("clock decreased {} -> {}", was.clock, clock_.time()));
  }
  if (request_number_ < was.request_number) {
    flag(v, fmt::format("request number decreased {} -> {}", was.request_number, request_number_));
  }
  if (entries_ < was.entries) {
    flag(v, fmt::format("entries decreased {} -> {}", was.entries, entries_));
  }
  for (NodeId n = 0; n < cluster_size_ && idx(n) < was.delivered.size(); ++n) {
    if (inbox_.delivered(n) < was.delivered[idx(n)]) {
      flag(v, fmt::format("delivered seq from n{} decreased {} -> {}", n, was.delivered[idx(n)],
                          inbox_.delivered(n)));
    }
  }
}

}  // namespace synod::lamport
