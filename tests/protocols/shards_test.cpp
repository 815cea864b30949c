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

TEST(GroupMessage, KeepsTheInnerKindSoCountersStayPerType) {
  auto inner = std::make_shared<ClientRequest>(Command{});
  GroupMessage m(4, inner);
  EXPECT_EQ(m.kind(), MsgKind::ClientRequest);
  EXPECT_EQ(m.size_bytes(), inner->size_bytes() + 4);
  EXPECT_EQ(m.describe().rfind("g4 ", 0), 0u);
}

}  // namespace
}  // namespace synod::shards
