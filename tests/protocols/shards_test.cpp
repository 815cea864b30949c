// The sharded store's pure parts: the shard map's arithmetic, and ShardHost running Raft groups
// (many per node) over the test event loop — each group elects one leader among its own members,
// clients reach the key's group, hints come back as node ids, a crash fails over only the groups
// the crashed node led.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "protocols/raft/raft_node.hpp"
#include "protocols/shards/shard_host.hpp"
#include "protocols/shards/shard_map.hpp"
#include "tests/protocols/event_loop.hpp"

namespace synod::shards {
namespace {

TEST(ShardMap, SpreadsGroupsSoNodesHostWithinOneGroupOfEachOther) {
  for (int n : {3, 5, 7, 10, 1000}) {
    for (int k : {1, 4, 7, 8, 30, 300}) {
      ShardMap m(n, k, 3);
      size_t lo = SIZE_MAX, hi = 0, total = 0;
      for (NodeId x = 0; x < n; ++x) {
        lo = std::min(lo, m.groups_of(x).size());
        hi = std::max(hi, m.groups_of(x).size());
        total += m.groups_of(x).size();
      }
      EXPECT_EQ(total, static_cast<size_t>(k * 3)) << n << " " << k;
      EXPECT_LE(hi - lo, 1u) << n << " " << k;
      // The first members (primary-backup's primaries) spread the same way.
      std::vector<int> firsts(n, 0);
      for (int g = 0; g < k; ++g) firsts[m.members(g)[0]]++;
      EXPECT_LE(*std::max_element(firsts.begin(), firsts.end()) -
                    *std::min_element(firsts.begin(), firsts.end()), 1)
          << n << " " << k;
      for (int g = 0; g < k; ++g) {
        std::set<NodeId> distinct(m.members(g).begin(), m.members(g).end());
        EXPECT_EQ(distinct.size(), 3u);
        for (size_t i = 0; i < m.members(g).size(); ++i)
          EXPECT_EQ(m.local_index(g, m.members(g)[i]), static_cast<int>(i));
      }
    }
  }
}

TEST(ShardMap, OneShardOfEveryNodeIsTheUnshardedCluster) {
  ShardMap m(5, 1, 5);
  EXPECT_EQ(m.members(0), (std::vector<NodeId>{0, 1, 2, 3, 4}));
  EXPECT_EQ(m.group_of("anything"), 0);
  EXPECT_EQ(m.next_member(0, 4), 0);
  EXPECT_EQ(m.next_member(0, 2), 3);
}

TEST(ShardMap, HashPartitioningSpreadsKeysEvenly) {
  ShardMap m(9, 10, 3);
  std::vector<int> count(10, 0);
  for (int i = 0; i < 100000; ++i) count[m.group_of("k" + std::to_string(i))]++;
  for (int c : count) {  // 10,000 expected; 3 sigma is ±285
    EXPECT_GT(c, 9600);
    EXPECT_LT(c, 10400);
  }
  EXPECT_EQ(m.group_of("k17"), m.group_of("k17"));
}

TEST(ShardMap, RefusesImpossibleShapes) {
  EXPECT_THROW(ShardMap(3, 2, 4), std::invalid_argument);
  EXPECT_THROW(ShardMap(3, 0, 3), std::invalid_argument);
  const ShardMap m(5, 4, 3);  // groups from nodes 0, 1, 2, 3: g3 = {3, 4, 0}
  EXPECT_EQ(m.members(3), (std::vector<NodeId>{3, 4, 0}));
  EXPECT_EQ(m.next_member(3, 0), 3);  // wraps
  EXPECT_EQ(m.next_member(3, 2), 3);  // 2 is no member: the group's first
}

// The rebalancing plan: the moves a join and a leave make, as a placement driver by replica
// count would (protocols/shards/shard_map.hpp).
std::vector<NodeId> range(int from, int to) {
  std::vector<NodeId> v;
  for (int i = from; i < to; ++i) v.push_back(i);
  return v;
}

size_t spread(const ShardMap& m, int step, const std::vector<NodeId>& nodes) {
  size_t lo = SIZE_MAX, hi = 0;
  for (NodeId n : nodes) {
    lo = std::min(lo, m.groups_at(n, step).size());
    hi = std::max(hi, m.groups_at(n, step).size());
  }
  return hi - lo;
}

TEST(ShardPlan, AJoinTakesItsShareFromTheMostLoadedAndALeaveHandsEverythingOn) {
  // 12 groups of 3 on n0..n5 (6 replicas each); n6 joins, then n1 leaves.
  const ShardMap m(7, 12, 3, range(0, 6), {range(0, 7), {0, 2, 3, 4, 5, 6}});
  ASSERT_EQ(m.steps(), 2);
  EXPECT_TRUE(m.groups_at(6, 0).empty());
  EXPECT_EQ(m.groups_at(6, 1).size(), 36u / 7) << "the joiner takes floor(total/members)";
  EXPECT_EQ(m.moves(1).size(), 5u);
  for (const Move& mv : m.moves(1)) EXPECT_EQ(mv.to, 6);
  EXPECT_LE(spread(m, 1, range(0, 7)), 1u);
  EXPECT_TRUE(m.groups_at(1, 2).empty()) << "the leaver keeps no replica";
  EXPECT_EQ(m.moves(2).size(), m.groups_at(1, 1).size());
  EXPECT_LE(spread(m, 2, {0, 2, 3, 4, 5, 6}), 1u);
  for (int step = 0; step <= 2; ++step) {
    size_t total = 0;
    for (int g = 0; g < 12; ++g) {
      const std::vector<NodeId> now = m.members_at(g, step);
      EXPECT_EQ(std::set<NodeId>(now.begin(), now.end()).size(), 3u) << "g" << g << " step " << step;
      total += now.size();
    }
    EXPECT_EQ(total, 36u);
  }
  // Slots: the first R are the initial members, for ever; a group that never moves has only them.
  for (int g = 0; g < 12; ++g) {
    EXPECT_EQ(m.members(g).size() > 3u, m.changes(g)) << "g" << g << ": a slot per node it gained";
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(m.members(g)[i], ShardMap(6, 12, 3).members(g)[i]);
    EXPECT_EQ(m.changes(g), m.first_change(g) > 0);
  }
  EXPECT_EQ(m.step_of(range(0, 7)), 1);
  EXPECT_EQ(m.step_of(range(0, 6)), 0);
  EXPECT_EQ(m.step_of({0, 1}), -1);
  // hosted: what a restarted node must make again (members now, and replicas removed since).
  for (const Move& mv : m.moves(1)) {
    const std::vector<int> h = m.hosted(mv.from, 2);
    EXPECT_NE(std::find(h.begin(), h.end(), mv.group), h.end());
  }
}

TEST(ShardPlan, PreferredLeadersSpreadEvenlyAtEveryStep) {
  for (const auto& [n, k] : std::vector<std::pair<int, int>>{{6, 12}, {5, 7}, {10, 300}, {7, 12}}) {
    const ShardMap m(n + 1, k, 3, range(0, n), {range(0, n + 1)});
    for (int step = 0; step <= 1; ++step) {
      std::map<NodeId, int> count;
      for (int g = 0; g < k; ++g) {
        const NodeId p = m.preferred(g, step);
        const auto now = m.members_at(g, step);
        EXPECT_NE(std::find(now.begin(), now.end(), p), now.end()) << "a member";
        count[p]++;
      }
      const int members = step == 0 ? n : n + 1;
      EXPECT_LE(static_cast<int>(count.size()), members);
      for (const auto& [node, c] : count) EXPECT_LE(c, (k + members - 1) / members + 1) << n << " " << k;
    }
  }
}

TEST(ShardPlan, WithoutChangesItIsTheFixedMap) {
  const ShardMap fixed(6, 12, 3);
  const ShardMap planned(6, 12, 3, range(0, 6), {});
  for (int g = 0; g < 12; ++g) {
    EXPECT_EQ(fixed.members(g), planned.members(g));
    EXPECT_FALSE(planned.changes(g));
    EXPECT_EQ(planned.wanted_slots(g, 0), (std::vector<NodeId>{0, 1, 2}));
  }
}

TEST(ShardPlan, RefusesStepsItCouldNotTellApartOrServe) {
  // n5 leaves, then joins again: the memberships of steps 0 and 2 would be equal.
  EXPECT_THROW(ShardMap(6, 4, 3, range(0, 6), {range(0, 5), range(0, 6)}), std::invalid_argument);
  // Fewer members than the replication.
  EXPECT_THROW(ShardMap(4, 4, 3, range(0, 3), {{0, 1}}), std::invalid_argument);
  EXPECT_THROW(ShardMap(4, 4, 3, range(0, 3), {range(0, 3)}), std::invalid_argument);
}

// A client that sends one request per key at a given time and keeps the replies.
class Asker final : public ProtocolNode {
 public:
  Asker(std::vector<std::pair<NodeId, std::string>> asks, Nanos at) : asks_(std::move(asks)), at_(at) {}
  void start(Nanos, Outbox&) override {}
  void on_message(Nanos, Address from, const Message& m, Outbox&) override {
    if (m.kind() == MsgKind::ClientReply) replies.push_back({from, static_cast<const ClientReply&>(m)});
  }
  void on_timer(Nanos, Outbox& out) override {
    uint64_t seq = 0;
    for (const auto& [to, key] : asks_) {
      Command c;
      c.client = 1;
      c.seq = ++seq;
      c.type = OpType::Write;
      c.key = key;
      c.value = static_cast<int64_t>(seq);
      out.send(to, std::make_shared<ClientRequest>(c));
    }
    at_ = kNever;
  }
  Nanos next_timer() const override { return at_; }
  std::vector<std::string> check_invariants() override { return {}; }
  std::string describe() const override { return "asker"; }
  std::vector<std::pair<Address, ClientReply>> replies;

 private:
  std::vector<std::pair<NodeId, std::string>> asks_;
  Nanos at_;
};

struct Cluster {
  static constexpr int kNodes = 5;
  std::shared_ptr<const ShardMap> map = std::make_shared<const ShardMap>(kNodes, 6, 3);
  // storage[g][local]: each replica's persistent state, kept across crashes.
  std::vector<std::vector<raft::Storage>> storage =
      std::vector<std::vector<raft::Storage>>(6, std::vector<raft::Storage>(3));
  std::vector<std::pair<NodeId, std::string>> asks;
  Asker* asker = nullptr;
  std::map<int, std::map<int64_t, std::set<int>>> leaders;  // group → term → nodes
  std::vector<int> untagged;
  testkit::EventLoop loop{kNodes + 1, [this](int i, uint64_t) -> std::unique_ptr<ProtocolNode> {
                            if (i == kNodes) {
                              auto a = std::make_unique<Asker>(asks, 2 * kNanosPerSecond);
                              asker = a.get();
                              return a;
                            }
                            return std::make_unique<ShardHost>(
                                i, map,
                                [this](int g, NodeId local, Rng rng) {
                                  return std::make_unique<raft::RaftNode>(local, 3, raft::Config{},
                                                                          &storage[g][local], rng);
                                },
                                Rng(1000 + i));
                          }};
  Cluster() {
    loop.on_event = [this](int node, const ProtocolEvent& e) {
      if (node == kNodes) return;
      if (e.group < 0) untagged.push_back(node);
      if (e.type == EventType::Role && e.role == "leader") leaders[e.group][e.term].insert(node);
    };
  }
  // The node that became leader of `g` last (highest term).
  NodeId leader_of(int g) const {
    const auto& terms = leaders.at(g);
    return *terms.rbegin()->second.begin();
  }
};

TEST(ShardHost, EachRaftGroupElectsOneLeaderAmongItsOwnMembers) {
  Cluster c;
  c.loop.run_until(2 * kNanosPerSecond);
  EXPECT_TRUE(c.loop.violations.empty()) << c.loop.violations.front();
  EXPECT_TRUE(c.untagged.empty()) << "a replica's event left the host without its group";
  ASSERT_EQ(c.leaders.size(), 6u);
  for (const auto& [g, terms] : c.leaders) {
    for (const auto& [term, nodes] : terms) {
      EXPECT_EQ(nodes.size(), 1u) << "group " << g << " term " << term;
      for (int n : nodes) EXPECT_GE(c.map->local_index(g, n), 0) << "leader outside its group";
    }
  }
}

TEST(ShardHost, ClientsReachTheKeysGroupAndHintsComeBackAsNodeIds) {
  Cluster c;
  // Find keys of two groups, then ask: a member that is not the leader, and a node outside the
  // group, and the leader itself.
  std::string key_g0, key_g1;
  for (int i = 0; key_g0.empty() || key_g1.empty(); ++i) {
    const std::string k = "k" + std::to_string(i);
    if (c.map->group_of(k) == 0 && key_g0.empty()) key_g0 = k;
    if (c.map->group_of(k) == 1 && key_g1.empty()) key_g1 = k;
  }
  c.loop.run_until(kNanosPerSecond);
  const NodeId l0 = c.leader_of(0);
  NodeId follower0 = kNoNode, outsider1 = kNoNode;
  for (NodeId n : c.map->members(0))
    if (n != l0) follower0 = n;
  for (NodeId n = 0; n < Cluster::kNodes; ++n)
    if (c.map->local_index(1, n) < 0) outsider1 = n;
  c.asks = {{l0, key_g0}, {follower0, key_g0}, {outsider1, key_g1}};
  c.loop.crash(Cluster::kNodes);
  c.loop.restart(Cluster::kNodes);  // the asker, now with its asks
  c.loop.run_until(3 * kNanosPerSecond);
  ASSERT_NE(c.asker, nullptr);
  std::map<uint64_t, ClientReply> by_seq;
  for (const auto& [from, r] : c.asker->replies) by_seq.emplace(r.seq, r);
  ASSERT_EQ(by_seq.count(1), 1u);
  EXPECT_EQ(by_seq.at(1).result.status, ReplyStatus::Ok);
  ASSERT_EQ(by_seq.count(2), 1u);
  EXPECT_EQ(by_seq.at(2).result.status, ReplyStatus::NotLeader);
  EXPECT_EQ(by_seq.at(2).leader_hint, l0) << "the hint must name the node, not the local index";
  ASSERT_EQ(by_seq.count(3), 1u);
  EXPECT_EQ(by_seq.at(3).result.status, ReplyStatus::NotLeader);
  EXPECT_EQ(by_seq.at(3).leader_hint, c.map->members(1)[0]);
}

TEST(ShardHost, ACrashFailsOverOnlyTheGroupsTheNodeLed) {
  Cluster c;
  c.loop.run_until(kNanosPerSecond);
  std::map<int, NodeId> before;
  for (int g = 0; g < 6; ++g) before[g] = c.leader_of(g);
  const NodeId victim = before[0];
  c.loop.crash(victim);
  c.loop.run_until(3 * kNanosPerSecond);
  EXPECT_TRUE(c.loop.violations.empty()) << c.loop.violations.front();
  for (int g = 0; g < 6; ++g) {
    if (before[g] == victim) {
      EXPECT_NE(c.leader_of(g), victim) << "group " << g << " did not fail over";
      EXPECT_GE(c.map->local_index(g, c.leader_of(g)), 0);
    } else {
      EXPECT_EQ(c.leader_of(g), before[g]) << "group " << g << " changed leader needlessly";
    }
  }
}

// A replica moves: 4 groups of 3 on n0..n2, then n3 joins and takes floor(12/4) = 3 replicas.
// Each of those groups adds n3 (a learner first), then removes its old member.
TEST(ShardHost, AJoiningNodeGetsItsReplicasByRaftMembershipChanges) {
  constexpr int kNodes = 4;
  auto map = std::make_shared<const ShardMap>(kNodes, 4, 3, range(0, 3),
                                              std::vector<std::vector<NodeId>>{range(0, 4)});
  ASSERT_EQ(map->moves(1).size(), 3u);
  std::vector<std::vector<raft::Storage>> storage(4);
  for (int g = 0; g < 4; ++g) storage[g].resize(map->members(g).size());
  std::map<int, std::vector<std::string>> configs;  // group → configurations applied by n3
  std::map<int, std::map<int64_t, std::set<int>>> leaders;
  testkit::EventLoop loop{kNodes, [&](int i, uint64_t) -> std::unique_ptr<ProtocolNode> {
                            return std::make_unique<ShardHost>(
                                i, map,
                                [&](int g, NodeId local, Rng rng) {
                                  raft::Config c;
                                  if (map->members(g).size() > 3) c.initial_voters = {0, 1, 2};
                                  return std::make_unique<raft::RaftNode>(
                                      local, static_cast<int>(map->members(g).size()), c,
                                      &storage[g][local], rng);
                                },
                                Rng(77 + i));
                          }};
  loop.on_event = [&](int node, const ProtocolEvent& e) {
    if (e.type == EventType::Role && e.role == "leader") leaders[e.group][e.term].insert(node);
    if (node == 3 && e.type == EventType::Apply && e.command.rfind("config", 0) == 0)
      configs[e.group].push_back(e.command);
  };
  loop.run_until(kNanosPerSecond);
  for (int i = 0; i < kNodes; ++i)
    loop.call(i, [&](ProtocolNode& n, Nanos now, Outbox& out) {
      n.on_membership(now, range(0, 4), out);
    });
  loop.run_until(3 * kNanosPerSecond);
  EXPECT_TRUE(loop.violations.empty()) << loop.violations.front();
  for (const Move& mv : map->moves(1)) {
    const std::string to = std::to_string(map->local_index(mv.group, mv.to));
    const std::string from = std::to_string(map->local_index(mv.group, mv.from));
    ASSERT_FALSE(configs[mv.group].empty()) << "g" << mv.group << ": n3 never learned a configuration";
    // n3 applied the configuration with itself, then the one without the old member.
    const std::string last = configs[mv.group].back();
    EXPECT_NE((last + " ").find(" " + to + " "), std::string::npos) << last;
    EXPECT_EQ((last + " ").find(" " + from + " "), std::string::npos) << last;
  }
  for (const auto& [g, terms] : leaders)
    for (const auto& [term, nodes] : terms) EXPECT_EQ(nodes.size(), 1u) << "g" << g << " t" << term;
}

// The leader balancer: whoever the elections made leaders, after a few balance rounds each group
// is led by its preferred member (ShardMap::preferred), by Raft leadership transfers.
TEST(ShardHost, TheLeaderBalancerHandsEachGroupToItsPreferredMember) {
  constexpr int kNodes = 5;
  auto map = std::make_shared<const ShardMap>(kNodes, 10, 3);
  std::vector<std::vector<raft::Storage>> storage(10, std::vector<raft::Storage>(3));
  std::map<int, std::pair<int64_t, int>> leader;  // group → (term, node)
  for (const bool balance : {false, true}) {
    leader.clear();
    for (auto& g : storage) g.assign(3, raft::Storage{});
    testkit::EventLoop loop{kNodes, [&](int i, uint64_t) -> std::unique_ptr<ProtocolNode> {
                              return std::make_unique<ShardHost>(
                                  i, map,
                                  [&](int g, NodeId local, Rng rng) {
                                    return std::make_unique<raft::RaftNode>(local, 3, raft::Config{},
                                                                            &storage[g][local], rng);
                                  },
                                  Rng(5 + i), balance ? kNanosPerSecond : 0);
                            }};
    loop.on_event = [&](int node, const ProtocolEvent& e) {
      if (e.type == EventType::Role && e.role == "leader" &&
          (!leader.count(e.group) || leader[e.group].first < e.term))
        leader[e.group] = {e.term, node};
    };
    loop.run_until(4 * kNanosPerSecond);
    EXPECT_TRUE(loop.violations.empty()) << loop.violations.front();
    int preferred = 0;
    std::map<int, int> leads;
    for (int g = 0; g < 10; ++g) {
      ASSERT_TRUE(leader.count(g));
      preferred += leader[g].second == map->preferred(g, 0) ? 1 : 0;
      leads[leader[g].second]++;
    }
    if (balance) {
      EXPECT_EQ(preferred, 10);
      for (const auto& [node, c] : leads) EXPECT_EQ(c, 2) << "node " << node;
    } else {
      EXPECT_LT(preferred, 10) << "elections alone happened to pick every preferred member";
    }
  }
}

TEST(GroupMessage, KeepsTheInnerKindSoCountersStayPerType) {
  auto inner = std::make_shared<ClientRequest>(Command{});
  GroupMessage m(4, inner);
  EXPECT_EQ(m.kind(), MsgKind::ClientRequest);
  EXPECT_EQ(m.size_bytes(), inner->size_bytes() + 4);
  EXPECT_EQ(m.describe().rfind("g4 ", 0), 0u);
}

}  // namespace
}  // namespace synod::shards
