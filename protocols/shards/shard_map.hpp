// A sharded key space: K shards, each a replicated group of R nodes, many groups per node
// (multi-Raft, as TiKV and CockroachDB run it). Pure arithmetic, the same on every platform:
//   key → shard   hash partitioning, placement::hash64(key) mod K (one shard: always 0);
//   shard → nodes group g's members are R consecutive nodes of the initial membership (every
//                 node, or cluster.members) from ⌊g·m/K⌋: initial[(⌊g·m/K⌋ + i) mod m] for
//                 i = 0..R-1. The groups' first nodes spread evenly over the ring (so do
//                 primary-backup's primaries, the first members), and every node hosts ⌊K·R/m⌋ or
//                 ⌈K·R/m⌉ groups (window sums of an evenly spread sequence differ by at most 1).
// With K = 1 and R = n this is the unsharded cluster: one group of every node.
//
// Rebalancing (a placement driver, as TiKV's PD does it by replica count). The membership may
// change during a run (join and leave faults); each change is a step, and the plan of replica
// moves for every step is worked out here, in advance, from the sequence of memberships alone —
// so every node, client and analysis agrees on it without asking anyone:
//   - a node that leaves hands each of its replicas (ascending group) to the member that hosts
//     the fewest replicas among those not in the group (ties: the lowest id);
//   - a node that joins takes replicas until it hosts ⌊total/m⌋ (m members after the step): each
//     time from the member hosting the most (ties: the lowest id), its lowest group the joiner is
//     not in and that has not moved in this step.
// A move is a Raft membership change of the group: the new node is added (a learner catching up,
// then a voter), then the old one removed. Group g's slots are its nodes in the order they first
// joined it (the initial R first); a replica addresses its peers by slot, so a group that never
// moves is the R-node cluster it always was. A removed replica keeps its slot (and may be added
// back later: it keeps its log).
#pragma once

#include <string_view>
#include <vector>

#include "protocols/common/types.hpp"

namespace synod::shards {

struct Move {
  int group;
  NodeId from;
  NodeId to;
};

class ShardMap {
 public:
  // Every node a member from the start, no changes. 1 ≤ replication ≤ nodes, shards ≥ 1 (the
  // loader checks it; a violation throws std::invalid_argument).
  ShardMap(int nodes, int shards, int replication);
  // `initial` members (sorted node ids), then the membership after each change (sorted; each
  // differing from the one before). Throws std::invalid_argument if a step leaves fewer than
  // `replication` members, or names a node that left at an earlier step joining again (the steps
  // must be told apart by their memberships alone).
  ShardMap(int nodes, int shards, int replication, std::vector<NodeId> initial,
           const std::vector<std::vector<NodeId>>& changes);

  int nodes() const { return nodes_; }
  int shards() const { return static_cast<int>(slots_.size()); }
  int replication() const { return replication_; }
  int group_of(std::string_view key) const;

  // Group g's slots: node ids in the order they first joined it (the first R: its initial
  // members). A replica of g runs in a cluster of members(g).size() addressed by slot.
  const std::vector<NodeId>& members(int group) const { return slots_[group]; }
  // The groups node `n` is an initial member of, ascending.
  const std::vector<int>& groups_of(NodeId n) const { return groups_of_[n]; }
  // n's slot in group g, or -1 if it never is one of its members.
  int local_index(int group, NodeId n) const;
  // The slot after `n` in members(group) (wrapping); members(group)[0] if n has no slot.
  NodeId next_member(int group, NodeId n) const;

  // Steps: 0 is the initial membership, i the membership after the i-th change.
  int steps() const { return static_cast<int>(memberships_.size()) - 1; }
  // The step whose membership is `members` (sorted), or -1 if none is.
  int step_of(const std::vector<NodeId>& members) const;
  const std::vector<NodeId>& membership(int step) const { return memberships_[step]; }
  // The replica moves of a step (none at step 0).
  const std::vector<Move>& moves(int step) const { return moves_[step]; }
  // Whether group g ever changes its members (false: it runs as a fixed R-node group).
  bool changes(int group) const { return !changes_[group].empty(); }
  // The first step at which group g changes, or -1.
  int first_change(int group) const;
  // Group g's members at `step`, as slots (ascending) and as node ids (in slot order).
  std::vector<NodeId> wanted_slots(int group, int step) const;
  std::vector<NodeId> members_at(int group, int step) const;
  // The groups node n is a member of at `step`, ascending.
  std::vector<int> groups_at(NodeId n, int step) const;
  // The groups n has held a replica of by `step` (a member then, or removed since), ascending.
  std::vector<int> hosted(NodeId n, int step) const;
  // Group g's preferred leader at `step` (Kafka's "preferred replica", PD's leader balance):
  // one member per group such that the most groups any node is preferred by is as small as can
  // be (balanced_leaders).
  NodeId preferred(int group, int step) const { return preferred_[step][group]; }

 private:
  void plan_step(const std::vector<NodeId>& before, const std::vector<NodeId>& after);

  int nodes_;
  int replication_;
  std::vector<std::vector<NodeId>> slots_;
  std::vector<std::vector<int>> slot_step_;  // slot_step_[g][slot]: the step it was added at
  std::vector<std::vector<int>> groups_of_;
  std::vector<std::vector<NodeId>> memberships_;
  std::vector<std::vector<Move>> moves_;
  // changes_[g]: (step, members as slots ascending) at every step that changes g.
  std::vector<std::vector<std::pair<int, std::vector<NodeId>>>> changes_;
  std::vector<std::vector<NodeId>> current_;  // while planning: each group's members (node ids)
  std::vector<std::vector<NodeId>> preferred_;  // [step][group]
};

// One member of each group (members[g], node ids < nodes) so that no node is picked by two more
// groups than another that could take one of them: the most-picked node's count is minimal.
std::vector<NodeId> balanced_leaders(int nodes, const std::vector<std::vector<NodeId>>& members);

}  // namespace synod::shards
