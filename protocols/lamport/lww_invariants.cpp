// The LWW replica's own invariants. State: the clock has passed every stamp the replica holds
// (so its next write is newest here), and stamps name real replicas. Deltas: the clock never goes
// back, a key's stamp never goes back (the merge only ever keeps the larger), a client's session
// seq never goes back. Convergence is a cluster property: the driver compares state_digest().
//
// Cost: O(keys and clients changed since the last call), so it can run after every step.
#include <fmt/format.h>

#include <algorithm>

#include "protocols/lamport/lww_node.hpp"

namespace synod::lamport {

void LwwNode::flag(std::vector<std::string>& v, const std::string& what) const {
  v.push_back(fmt::format("n{} clock={}: {}", id_, clock_.time(), what));
}

std::vector<std::string> LwwNode::check_invariants() {
  std::vector<std::string> v;
  if (clock_.time() < checked_clock_) {
    flag(v, fmt::format("clock decreased {} -> {}", checked_clock_, clock_.time()));
  }
  checked_clock_ = clock_.time();
  if (max_stamp_time_ > clock_.time()) {
    flag(v, fmt::format("holds a stamp of time {} above the clock", max_stamp_time_));
  }
  std::sort(touched_keys_.begin(), touched_keys_.end());
  touched_keys_.erase(std::unique(touched_keys_.begin(), touched_keys_.end()), touched_keys_.end());
  for (const std::string& key : touched_keys_) {
    auto it = store_.find(key);
    if (it == store_.end()) {
      flag(v, fmt::format("key {} vanished", key));
      continue;
    }
    const Stamp& now = it->second.stamp;
    if (now.node < 0 || now.node >= cluster_size_ || now.time <= 0) {
      flag(v, fmt::format("key {} has stamp {}.n{}", key, now.time, now.node));
    }
    Stamp& was = checked_stamps_[key];
    if (now < was) {
      flag(v, fmt::format("stamp of {} went back {}.n{} -> {}.n{}", key, was.time, was.node,
                          now.time, now.node));
    }
    was = now;
  }
  touched_keys_.clear();
  if (checked_stamps_.size() > store_.size()) {
    flag(v,
         fmt::format("{} keys checked before, {} held now", checked_stamps_.size(), store_.size()));
  }
  for (int64_t client : touched_clients_) {
    const uint64_t seq = sessions_[client].last_seq;
    uint64_t& was = checked_seqs_[client];
    if (seq < was) flag(v, fmt::format("session of c{} went back {} -> {}", client, was, seq));
    was = seq;
  }
  touched_clients_.clear();
  if (cluster_size_ > 1 && config_.anti_entropy_interval > 0 &&
      config_.anti_entropy_interval != kNever && next_anti_entropy_ == kNever) {
    flag(v, "no anti-entropy round scheduled");
  }
  return v;
}

}  // namespace synod::lamport
