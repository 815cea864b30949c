#include "protocols/shards/shard_map.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>

#include "protocols/placement/placement.hpp"

namespace synod::shards {

namespace {
std::vector<NodeId> everyone(int n) {
  std::vector<NodeId> all;
  for (NodeId i = 0; i < n; ++i) all.push_back(i);
  return all;
}
bool has(const std::vector<NodeId>& v, NodeId n) { return std::find(v.begin(), v.end(), n) != v.end(); }
}  // namespace

ShardMap::ShardMap(int nodes, int shards, int replication)
    : ShardMap(nodes, shards, replication, everyone(nodes), {}) {}

ShardMap::ShardMap(int nodes, int shards, int replication, std::vector<NodeId> initial,
                   const std::vector<std::vector<NodeId>>& changes)
    : nodes_(nodes), replication_(replication), slots_(shards), slot_step_(shards),
      groups_of_(nodes > 0 ? nodes : 0), changes_(shards) {
  const int m = static_cast<int>(initial.size());
  if (nodes < 1 || shards < 1 || replication < 1 || replication > m)
    throw std::invalid_argument(
        "ShardMap: needs 1 <= replication <= initial members and shards >= 1");
  for (NodeId n : initial)
    if (n < 0 || n >= nodes) throw std::invalid_argument("ShardMap: a member is no node");
  for (int g = 0; g < shards; ++g) {
    const int64_t first = static_cast<int64_t>(g) * m / shards;
    for (int i = 0; i < replication; ++i) {
      const NodeId n = initial[static_cast<size_t>((first + i) % m)];
      slots_[g].push_back(n);
      slot_step_[g].push_back(0);
      groups_of_[n].push_back(g);
    }
  }
  memberships_.push_back(std::move(initial));
  moves_.emplace_back();
  current_ = slots_;
  std::set<NodeId> gone;
  for (const std::vector<NodeId>& next : changes) {
    for (NodeId n : next)
      if (n < 0 || n >= nodes) throw std::invalid_argument("ShardMap: a member is no node");
    const std::vector<NodeId> before = memberships_.back();
    for (NodeId n : next)
      if (gone.count(n) != 0)
        throw std::invalid_argument("ShardMap: node " + std::to_string(n) +
                                    " joins again after it left");
    if (static_cast<int>(next.size()) < replication_)
      throw std::invalid_argument("ShardMap: a step leaves fewer members than the replication");
    if (next == before) throw std::invalid_argument("ShardMap: a step that changes nothing");
    for (NodeId n : before)
      if (!has(next, n)) gone.insert(n);
    memberships_.push_back(next);
    moves_.emplace_back();
    plan_step(before, next);
  }
  current_.clear();
  for (int step = 0; step <= steps(); ++step) {
    std::vector<std::vector<NodeId>> members;
    for (int g = 0; g < shards; ++g) members.push_back(members_at(g, step));
    preferred_.push_back(balanced_leaders(nodes_, members));
  }
}

std::vector<NodeId> balanced_leaders(int nodes, const std::vector<std::vector<NodeId>>& members) {
  // Greedy first (each group to its member preferred by the fewest so far, ties: earliest slot),
  // then augmenting paths: from a most-loaded node, through groups it leads to their other
  // members, to a node leading at least two fewer; shifting one group along each hop moves one
  // leadership from the one to the other. None left: no node can lose one without another
  // leading as many (the max is as low as any assignment makes it).
  std::vector<int> count(static_cast<size_t>(nodes), 0);
  std::vector<NodeId> pick;
  for (const auto& m : members) {
    NodeId best = kNoNode;
    for (NodeId n : m)
      if (best == kNoNode || count[n] < count[best]) best = n;
    count[best]++;
    pick.push_back(best);
  }
  std::vector<std::vector<int>> led(static_cast<size_t>(nodes));  // node → the groups it leads
  for (size_t g = 0; g < pick.size(); ++g) led[pick[g]].push_back(static_cast<int>(g));
  const int least = *std::min_element(count.begin(), count.end());
  for (bool moved = true; moved;) {
    moved = false;
    std::vector<NodeId> order;
    for (NodeId n = 0; n < nodes; ++n)
      if (count[n] >= least + 2) order.push_back(n);
    std::stable_sort(order.begin(), order.end(), [&](NodeId a, NodeId b) { return count[a] > count[b]; });
    for (NodeId u : order) {
      std::vector<int> via(static_cast<size_t>(nodes), -1);  // node → the group that reached it
      std::vector<NodeId> queue = {u};
      via[u] = -2;
      NodeId target = kNoNode;
      for (size_t q = 0; q < queue.size() && target == kNoNode; ++q) {
        for (int g : led[queue[q]]) {
          for (NodeId y : members[static_cast<size_t>(g)]) {
            if (via[y] != -1) continue;
            via[y] = g;
            if (count[y] <= count[u] - 2) {
              target = y;
              break;
            }
            queue.push_back(y);
          }
          if (target != kNoNode) break;
        }
      }
      if (target == kNoNode) continue;
      for (NodeId y = target; y != u;) {  // shift back along the path
        const int g = via[y];
        const NodeId x = pick[static_cast<size_t>(g)];
        pick[static_cast<size_t>(g)] = y;
        led[x].erase(std::find(led[x].begin(), led[x].end(), g));
        led[y].push_back(g);
        y = x;
      }
      count[u]--;
      count[target]++;
      moved = true;
      break;
    }
  }
  return pick;
}

void ShardMap::plan_step(const std::vector<NodeId>& before, const std::vector<NodeId>& after) {
  const int step = static_cast<int>(memberships_.size()) - 1;
  std::vector<int> count(static_cast<size_t>(nodes_), 0);
  for (const auto& members : current_)
    for (NodeId n : members) count[n]++;
  std::set<int> moved;
  auto apply = [&](int g, NodeId from, NodeId to) {
    std::replace(current_[g].begin(), current_[g].end(), from, to);
    count[from]--;
    count[to]++;
    if (!has(slots_[g], to)) {
      slots_[g].push_back(to);
      slot_step_[g].push_back(step);
    }
    moves_[step].push_back({g, from, to});
    moved.insert(g);
  };
  for (NodeId x : before) {
    if (has(after, x)) continue;  // x leaves: each of its replicas to the least loaded
    for (int g = 0; g < shards(); ++g) {
      if (!has(current_[g], x)) continue;
      NodeId best = kNoNode;
      for (NodeId c : after)
        if (!has(current_[g], c) && (best == kNoNode || count[c] < count[best])) best = c;
      if (best == kNoNode) throw std::invalid_argument("ShardMap: no node to move a replica to");
      apply(g, x, best);
    }
  }
  int total = 0;
  for (NodeId n : after) total += count[n];
  const int target = total / static_cast<int>(after.size());
  for (NodeId y : after) {
    if (has(before, y)) continue;  // y joins: it takes replicas from the most loaded
    while (count[y] < target) {
      std::vector<NodeId> donors;
      for (NodeId d : after)
        if (d != y) donors.push_back(d);
      std::stable_sort(donors.begin(), donors.end(),
                       [&](NodeId a, NodeId b) { return count[a] > count[b]; });
      bool done = false;
      for (NodeId d : donors) {
        if (count[d] <= count[y] + 1) break;  // moving would not even the load
        for (int g = 0; g < shards() && !done; ++g) {
          if (moved.count(g) != 0 || !has(current_[g], d) || has(current_[g], y)) continue;
          apply(g, d, y);
          done = true;
        }
        if (done) break;
      }
      if (!done) break;
    }
  }
  for (int g : moved) {
    std::vector<NodeId> slots;
    for (NodeId n : current_[g]) slots.push_back(local_index(g, n));
    std::sort(slots.begin(), slots.end());
    changes_[g].push_back({step, std::move(slots)});
  }
}

int ShardMap::group_of(std::string_view key) const {
  if (slots_.size() == 1) return 0;
  return static_cast<int>(placement::hash64(key) % slots_.size());
}

int ShardMap::local_index(int group, NodeId n) const {
  const std::vector<NodeId>& m = slots_[group];
  for (size_t i = 0; i < m.size(); ++i)
    if (m[i] == n) return static_cast<int>(i);
  return -1;
}

NodeId ShardMap::next_member(int group, NodeId n) const {
  const int i = local_index(group, n);
  const std::vector<NodeId>& m = slots_[group];
  return i < 0 ? m[0] : m[(i + 1) % m.size()];
}

int ShardMap::step_of(const std::vector<NodeId>& members) const {
  for (size_t s = 0; s < memberships_.size(); ++s)
    if (memberships_[s] == members) return static_cast<int>(s);
  return -1;
}

int ShardMap::first_change(int group) const {
  return changes_[group].empty() ? -1 : changes_[group].front().first;
}

std::vector<NodeId> ShardMap::wanted_slots(int group, int step) const {
  const std::vector<NodeId>* w = nullptr;
  for (const auto& [s, slots] : changes_[group])
    if (s <= step) w = &slots;
  if (w != nullptr) return *w;
  std::vector<NodeId> first;
  for (NodeId i = 0; i < replication_; ++i) first.push_back(i);
  return first;
}

std::vector<NodeId> ShardMap::members_at(int group, int step) const {
  std::vector<NodeId> ids;
  for (NodeId slot : wanted_slots(group, step)) ids.push_back(slots_[group][slot]);
  return ids;
}

std::vector<int> ShardMap::groups_at(NodeId n, int step) const {
  std::vector<int> gs;
  for (int g = 0; g < shards(); ++g) {
    const int slot = local_index(g, n);
    if (slot < 0) continue;
    const std::vector<NodeId> w = wanted_slots(g, step);
    if (std::find(w.begin(), w.end(), slot) != w.end()) gs.push_back(g);
  }
  return gs;
}

std::vector<int> ShardMap::hosted(NodeId n, int step) const {
  std::vector<int> gs;
  for (int g = 0; g < shards(); ++g) {
    const int slot = local_index(g, n);
    if (slot >= 0 && slot_step_[g][slot] <= step) gs.push_back(g);
  }
  return gs;
}

}  // namespace synod::shards
