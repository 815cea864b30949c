// Sharding as a transformation of a family: `shards: K` (with `replication: R`) in the protocol
// section of a family marked `shardable` runs K groups of that protocol, R replicas each, many per
// node (protocols/shards: ShardMap places them, ShardHost hosts them). The registry applies it:
//   factory    one inner factory per group, made for a cluster of R (so each replica has its own
//              persistent storage, kept across its node's crashes), under a ShardHost per node;
//   workload   the key-value clients, routing by the map;
//   analysis   the family's invariants checked group by group (analysis/groups.hpp), lost
//              acknowledged writes per group (sim/report/analyze.cpp), and the `shards` section
//              (per-group load and leaders, imbalance) in place of the family's own sections,
//              which describe one group.
#pragma once

#include <memory>

#include "protocols/shards/shard_map.hpp"
#include "sim/families/family.hpp"

namespace synod::sim::sharding {

bool sharded(const Scenario& s);
// The membership at start (cluster.members, or every node), and after each join or leave that
// changes it, in the order the nemesis applies them: the steps of the map's rebalancing plan.
std::vector<NodeId> initial_members(const Scenario& s);
std::vector<std::vector<NodeId>> membership_changes(const Scenario& s);
std::shared_ptr<const shards::ShardMap> shard_map(const Scenario& s);
std::unique_ptr<ProtocolFactory> make_factory(const Scenario& s, const Family& f);
std::unique_ptr<Workload> make_workload(const Scenario& s);
AnalysisHooks analysis(const Scenario& s, const Family& f);

}  // namespace synod::sim::sharding
