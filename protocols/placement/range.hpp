// Range shards (Bigtable tablets, CockroachDB ranges, TiKV regions): keys in byte order, cut into
// contiguous shards [lo, hi); each shard has `replication` replicas on distinct nodes. A shard
// that holds more than `split_keys` keys splits at its median key into two; both halves keep the
// parent's replicas (a split is metadata only, as in those systems), and a rebalancer moves
// replicas off the nodes that hold the most. A joining node takes replicas from the most loaded
// nodes until no node holds more than one above the mean; a leaving node's replicas go to the
// least loaded nodes not already in the shard's set. Every move is counted: the keys it copies
// are what rebalancing costs.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "protocols/placement/placement.hpp"

namespace synod::placement {

struct Shard {
  std::string lo;  // inclusive; "" = the start of the key space
  std::string hi;  // exclusive; "" = the end
  std::set<std::string> keys;
  std::vector<NodeId> replicas;  // distinct, the leaseholder first
};

class RangePlacement final : public Placement {
 public:
  RangePlacement(const std::vector<NodeId>& nodes, int replication, size_t split_keys);

  // Record a key (a write of a new key); splits its shard past the threshold.
  void insert(const std::string& key);
  std::vector<NodeId> replicas(std::string_view key, int n) const override;
  void add_node(NodeId id) override;
  void remove_node(NodeId id) override;

  const std::vector<Shard>& shards() const { return shards_; }
  size_t shard_of(std::string_view key) const;
  size_t splits() const { return splits_; }
  // Replica moves so far, and the keys they copied.
  size_t replica_moves() const { return moves_; }
  size_t keys_copied() const { return keys_copied_; }
  // Replicas held per node (max / mean = the imbalance).
  std::map<NodeId, size_t> replicas_per_node() const;

 private:
  void move_replica(Shard& s, size_t slot, NodeId to);
  NodeId least_loaded_outside(const Shard& s) const;

  int replication_;
  size_t split_keys_;
  std::vector<Shard> shards_;  // sorted by lo
  size_t splits_ = 0, moves_ = 0, keys_copied_ = 0;
};

}  // namespace synod::placement
