// A sharded key space: K shards, each a replicated group of R nodes, many groups per node
// (multi-Raft, as TiKV and CockroachDB run it). Pure arithmetic, the same on every platform:
//   key → shard   hash partitioning, placement::hash64(key) mod K (one shard: always 0);
//   shard → nodes group g's members are R consecutive nodes from ⌊g·n/K⌋: (⌊g·n/K⌋ + i) mod n
//                 for i = 0..R-1. The groups' first nodes spread evenly over the ring (so do
//                 primary-backup's primaries, the first members), and every node hosts ⌊K·R/n⌋ or
//                 ⌈K·R/n⌉ groups (window sums of an evenly spread sequence differ by at most 1).
// With K = 1 and R = n this is the unsharded cluster: one group of every node.
#pragma once

#include <string_view>
#include <vector>

#include "protocols/common/types.hpp"

namespace synod::shards {

class ShardMap {
 public:
  // 1 ≤ replication ≤ nodes, shards ≥ 1 (the loader checks it; a violation throws).
  ShardMap(int nodes, int shards, int replication);
  int nodes() const { return nodes_; }
  int shards() const { return static_cast<int>(members_.size()); }
  int replication() const { return replication_; }
  int group_of(std::string_view key) const;
  const std::vector<NodeId>& members(int group) const { return members_[group]; }
  // The groups node `n` is a member of, ascending.
  const std::vector<int>& groups_of(NodeId n) const { return groups_of_[n]; }
  // n's position in members(group), or -1 if it is not a member.
  int local_index(int group, NodeId n) const;
  // The member after `n` in members(group) (wrapping); members(group)[0] if n is not a member.
  NodeId next_member(int group, NodeId n) const;

 private:
  int nodes_;
  int replication_;
  std::vector<std::vector<NodeId>> members_;
  std::vector<std::vector<int>> groups_of_;
};

}  // namespace synod::shards
