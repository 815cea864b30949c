// Invariants of a sharded run, group by group. Each replica group is a cluster of its own: its
// events (those tagged with its group) with node ids turned into indexes among its members, plus
// the nemesis events of its members (a crash of a node is a crash of every replica on it) and the
// cluster-wide ones, go through the same checker an unsharded run uses, with the members' names.
// So a check that counts a majority counts it among the group's R members, not the cluster's n.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "analysis/events.hpp"

namespace synod::analysis {

using EventChecker = std::function<InvariantReport(const std::vector<RunEvent>& events,
                                                   const std::vector<std::string>& node_names)>;

// members[g] = group g's node ids, in its local order (ShardMap::members). A violation's detail
// starts with "group g: ". `checked` is the checker's list (the same for every group).
InvariantReport check_per_group(const std::vector<RunEvent>& events,
                                const std::vector<std::string>& node_names,
                                const std::vector<std::vector<int>>& members,
                                const EventChecker& checker);

}  // namespace synod::analysis
