#include "protocols/shards/shard_map.hpp"

#include <stdexcept>

#include "protocols/placement/placement.hpp"

namespace synod::shards {

ShardMap::ShardMap(int nodes, int shards, int replication)
    : nodes_(nodes), replication_(replication), members_(shards), groups_of_(nodes) {
  if (nodes < 1 || shards < 1 || replication < 1 || replication > nodes)
    throw std::invalid_argument("ShardMap: needs 1 <= replication <= nodes and shards >= 1");
  for (int g = 0; g < shards; ++g) {
    const int64_t first = static_cast<int64_t>(g) * nodes / shards;
    for (int i = 0; i < replication; ++i) {
      const NodeId n = static_cast<NodeId>((first + i) % nodes);
      members_[g].push_back(n);
      groups_of_[n].push_back(g);
    }
  }
}

int ShardMap::group_of(std::string_view key) const {
  if (members_.size() == 1) return 0;
  return static_cast<int>(placement::hash64(key) % members_.size());
}

int ShardMap::local_index(int group, NodeId n) const {
  const std::vector<NodeId>& m = members_[group];
  for (size_t i = 0; i < m.size(); ++i)
    if (m[i] == n) return static_cast<int>(i);
  return -1;
}

NodeId ShardMap::next_member(int group, NodeId n) const {
  const int i = local_index(group, n);
  const std::vector<NodeId>& m = members_[group];
  return i < 0 ? m[0] : m[(i + 1) % m.size()];
}

}  // namespace synod::shards
