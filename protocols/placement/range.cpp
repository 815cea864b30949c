#include "protocols/placement/range.hpp"

#include <algorithm>
#include <iterator>

namespace synod::placement {

RangePlacement::RangePlacement(const std::vector<NodeId>& nodes, int replication, size_t split_keys)
    : replication_(std::max(1, replication)), split_keys_(std::max<size_t>(2, split_keys)) {
  for (NodeId n : nodes) insert_node(n);
  Shard all;
  for (size_t k = 0; k < nodes_.size() && static_cast<int>(k) < replication_; ++k)
    all.replicas.push_back(nodes_[k]);
  shards_.push_back(std::move(all));
}

size_t RangePlacement::shard_of(std::string_view key) const {
  // The last shard whose lo <= key.
  auto it = std::upper_bound(shards_.begin(), shards_.end(), key,
                             [](std::string_view k, const Shard& s) { return k < s.lo; });
  return static_cast<size_t>(std::distance(shards_.begin(), it)) - 1;
}

std::map<NodeId, size_t> RangePlacement::replicas_per_node() const {
  std::map<NodeId, size_t> out;
  for (NodeId n : nodes_) out[n] = 0;
  for (const Shard& s : shards_)
    for (NodeId r : s.replicas) {
      auto it = out.find(r);  // a node being removed, or a slot being refilled, is not counted
      if (it != out.end()) it->second++;
    }
  return out;
}

NodeId RangePlacement::least_loaded_outside(const Shard& s) const {
  const auto load = replicas_per_node();
  NodeId best = kNoNode;
  for (const auto& [n, c] : load) {
    if (std::find(s.replicas.begin(), s.replicas.end(), n) != s.replicas.end()) continue;
    if (best == kNoNode || c < load.at(best)) best = n;
  }
  return best;
}

void RangePlacement::move_replica(Shard& s, size_t slot, NodeId to) {
  s.replicas[slot] = to;
  moves_++;
  keys_copied_ += s.keys.size();
}

void RangePlacement::insert(const std::string& key) {
  const size_t i = shard_of(key);
  shards_[i].keys.insert(key);
  if (shards_[i].keys.size() <= split_keys_) return;
  // Split at the median: the right half starts at it.
  Shard& left = shards_[i];
  auto mid = left.keys.begin();
  std::advance(mid, static_cast<long>(left.keys.size() / 2));
  Shard right;
  right.lo = *mid;
  right.hi = left.hi;
  right.replicas = left.replicas;
  right.keys.insert(mid, left.keys.end());
  left.keys.erase(mid, left.keys.end());
  left.hi = right.lo;
  shards_.insert(shards_.begin() + static_cast<long>(i) + 1, std::move(right));
  splits_++;
  // Rebalance the new replicas: from the most loaded node to the least loaded, one at a time,
  // while that narrows the spread by more than one.
  Shard& fresh = shards_[i + 1];
  for (size_t slot = 0; slot < fresh.replicas.size(); ++slot) {
    const auto load = replicas_per_node();
    const NodeId to = least_loaded_outside(fresh);
    if (to != kNoNode && load.at(fresh.replicas[slot]) > load.at(to) + 1) move_replica(fresh, slot, to);
  }
}

std::vector<NodeId> RangePlacement::replicas(std::string_view key, int n) const {
  const Shard& s = shards_[shard_of(key)];
  std::vector<NodeId> out(s.replicas.begin(),
                          s.replicas.begin() + std::min<long>(static_cast<long>(s.replicas.size()), n));
  return out;
}

void RangePlacement::add_node(NodeId id) {
  if (!insert_node(id)) return;
  // Fill under-replicated shards first (fewer nodes than the replication factor before).
  for (Shard& s : shards_)
    if (static_cast<int>(s.replicas.size()) < replication_) {
      s.replicas.push_back(id);
      moves_++;
      keys_copied_ += s.keys.size();
    }
  // Then take replicas from the most loaded nodes until the new one is within one of the mean.
  while (true) {
    const auto load = replicas_per_node();
    size_t total = 0;
    for (const auto& [n, c] : load) total += c;
    const double mean = static_cast<double>(total) / static_cast<double>(load.size());
    if (static_cast<double>(load.at(id)) + 1 > mean) break;
    // The shard with a replica on the most loaded node that the new node does not hold yet.
    NodeId heavy = kNoNode;
    for (const auto& [n, c] : load)
      if (n != id && (heavy == kNoNode || c > load.at(heavy))) heavy = n;
    bool moved = false;
    for (Shard& s : shards_) {
      if (std::find(s.replicas.begin(), s.replicas.end(), id) != s.replicas.end()) continue;
      const auto slot = std::find(s.replicas.begin(), s.replicas.end(), heavy);
      if (slot == s.replicas.end()) continue;
      move_replica(s, static_cast<size_t>(slot - s.replicas.begin()), id);
      moved = true;
      break;
    }
    if (!moved) break;
  }
}

void RangePlacement::remove_node(NodeId id) {
  if (!erase_node(id)) return;
  for (Shard& s : shards_) {
    const auto slot = std::find(s.replicas.begin(), s.replicas.end(), id);
    if (slot == s.replicas.end()) continue;
    const size_t k = static_cast<size_t>(slot - s.replicas.begin());
    s.replicas[k] = kNoNode;  // not a candidate for itself
    const NodeId to = least_loaded_outside(s);
    if (to == kNoNode) {
      s.replicas.erase(s.replicas.begin() + static_cast<long>(k));  // fewer nodes than replicas
    } else {
      move_replica(s, k, to);
    }
  }
}

}  // namespace synod::placement
