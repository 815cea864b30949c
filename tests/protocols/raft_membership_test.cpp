// Raft membership change (dissertation chapter 4; protocols/raft/membership.cpp): single-server
// changes, learners, removal of the leader, and the classic traps — a new server with an empty
// log must not stall commitment, a removed server must not disrupt the cluster, and two
// consecutive configurations always differ by one server.
#include <gtest/gtest.h>

#include <set>

#include "tests/protocols/raft_mini_cluster.hpp"

namespace synod::raft::testing {
namespace {

std::vector<NodeId> all_of(int n) {
  std::vector<NodeId> v;
  for (NodeId i = 0; i < n; ++i) v.push_back(i);
  return v;
}

// Tells every live node the wanted membership, as the driver does after a join or leave.
void want(MiniCluster& c, const std::vector<NodeId>& members) {
  for (NodeId i = 0; i < c.size(); ++i) {
    if (!c.alive(i)) continue;
    c.input(i, [&](RaftNode& node, Outbox& out) { node.on_membership(c.now(), members, out); });
  }
}

// The configuration entries of a log, in order.
std::vector<std::vector<NodeId>> configs(const Storage& s) {
  std::vector<std::vector<NodeId>> v;
  for (const Entry& e : s.log)
    if (e.is_config()) v.push_back(e.config);
  return v;
}

size_t difference(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
  std::set<NodeId> x(a.begin(), a.end()), y(b.begin(), b.end());
  size_t d = 0;
  for (NodeId n : x) d += y.count(n) == 0;
  for (NodeId n : y) d += x.count(n) == 0;
  return d;
}

void write_some(MiniCluster& c, NodeId leader, int n, uint64_t first_seq = 1) {
  for (int i = 0; i < n; ++i)
    c.request(leader, cmd(1, first_seq + static_cast<uint64_t>(i), OpType::Write, i + 1));
}

Config with_voters(std::vector<NodeId> voters) {
  Config cfg;
  cfg.initial_voters = std::move(voters);
  return cfg;
}

TEST(RaftMembership, GrowsThreeToFiveOneServerAtATimeThroughLearners) {
  MiniCluster c(5, with_voters({0, 1, 2}));
  const NodeId leader = c.run_until_leader();
  ASSERT_NE(leader, kNoNode);
  EXPECT_LT(leader, 3) << "a spare stood for election";
  write_some(c, leader, 20);
  c.run_for(200 * kNanosPerMilli);
  want(c, all_of(5));
  c.run_for(2 * kNanosPerSecond);
  ASSERT_FALSE(c.failed()) << c.trace();
  for (NodeId i = 0; i < 5; ++i) EXPECT_EQ(c.node(i).voters(), all_of(5)) << "n" << i;
  const auto cs = configs(c.storage(leader));
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0], (std::vector<NodeId>{0, 1, 2, 3}));
  EXPECT_EQ(cs[1], all_of(5));
  EXPECT_EQ(c.elections_by(3) + c.elections_by(4), 0);
  // The new servers hold every committed entry, the 20 writes among them.
  for (NodeId i : {3, 4}) EXPECT_GE(c.node(i).commit_index(), 22) << "n" << i;
}

TEST(RaftMembership, ALearnerThatCannotCatchUpNeverStallsCommitment) {
  MiniCluster c(4, with_voters({0, 1, 2}));
  const NodeId leader = c.run_until_leader();
  ASSERT_NE(leader, kNoNode);
  // The new server (3) is unreachable, its log empty, and so is one old voter. Had 3 joined the
  // voters at once, a majority would be 3 of 4 with only 2 reachable: nothing would commit. As a
  // learner it counts for nothing until it catches up, and 2 of 3 commit.
  const NodeId other = leader == 0 ? 1 : 0;
  c.partition({3, other});
  want(c, all_of(4));
  write_some(c, leader, 30);
  c.run_for(kNanosPerSecond);
  ASSERT_FALSE(c.failed()) << c.trace();
  EXPECT_EQ(c.node(leader).voters(), (std::vector<NodeId>{0, 1, 2}));
  EXPECT_GE(c.node(leader).commit_index(), 31) << "commitment waited for the learner";
  c.heal();
  c.run_for(kNanosPerSecond);
  EXPECT_EQ(c.node(leader).voters(), all_of(4)) << "caught up, it joins the voters";
}

TEST(RaftMembership, RemovingTheLeaderHandsOverAndItNeverStandsAgain) {
  MiniCluster c(5, Config{});
  const NodeId old = c.run_until_leader();
  ASSERT_NE(old, kNoNode);
  write_some(c, old, 10);
  c.run_for(100 * kNanosPerMilli);
  std::vector<NodeId> rest;
  for (NodeId i = 0; i < 5; ++i)
    if (i != old) rest.push_back(i);
  want(c, rest);
  // It hands leadership over (TimeoutNow, §3.10) instead of letting an election timeout pass:
  // a new leader well within the minimum election timeout (150 ms).
  const Nanos asked = c.now();
  while (c.leader() == old && c.now() < asked + kNanosPerSecond) c.run_for(kNanosPerMilli);
  EXPECT_LT(c.now() - asked, 60 * kNanosPerMilli) << "no handover: waited for an election timeout";
  c.run_for(2 * kNanosPerSecond);
  ASSERT_FALSE(c.failed()) << c.trace();
  const NodeId now_leader = c.leader();
  ASSERT_NE(now_leader, kNoNode);
  EXPECT_NE(now_leader, old);
  EXPECT_EQ(c.node(now_leader).voters(), rest);
  EXPECT_NE(c.node(old).role(), Role::Leader);
  const int stood = c.elections_by(old);
  c.run_for(3 * kNanosPerSecond);
  EXPECT_EQ(c.elections_by(old), stood) << "a removed server stood for election";
  // The cluster of four still commits.
  const int64_t before = c.node(c.leader()).commit_index();
  write_some(c, c.leader(), 5, 100);
  c.run_for(200 * kNanosPerMilli);
  EXPECT_GE(c.node(c.leader()).commit_index(), before + 5);
}

TEST(RaftMembership, ARemovedServerThatMissedItsRemovalDoesNotDisrupt) {
  MiniCluster c(5, Config{});
  const NodeId leader = c.run_until_leader();
  ASSERT_NE(leader, kNoNode);
  const NodeId victim = (leader + 1) % 5;
  c.partition({victim});
  std::vector<NodeId> rest;
  for (NodeId i = 0; i < 5; ++i)
    if (i != victim) rest.push_back(i);
  want(c, rest);
  c.run_for(kNanosPerSecond);
  ASSERT_EQ(c.node(leader).voters(), rest);
  EXPECT_TRUE(c.node(victim).is_voter(victim)) << "the victim should not know it was removed";
  const int64_t term = c.node(leader).term();
  c.heal();
  c.run_for(3 * kNanosPerSecond);
  ASSERT_FALSE(c.failed()) << c.trace();
  // Pre-vote and the leader lease: its requests for votes find a live leader and change nothing.
  EXPECT_EQ(c.leader(), leader);
  EXPECT_EQ(c.node(leader).term(), term);
}

TEST(RaftMembership, ConsecutiveConfigurationsDifferByOneServerAcrossLeaderChanges) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    MiniCluster c(6, with_voters({0, 1, 2}), seed);
    NodeId leader = c.run_until_leader();
    ASSERT_NE(leader, kNoNode);
    want(c, {1, 2, 3, 4, 5});  // three in, one out
    c.run_for(150 * kNanosPerMilli);
    c.crash(leader);  // mid-change: the next leader carries on
    c.run_for(3 * kNanosPerSecond);
    c.restart(leader);
    want(c, {1, 2, 3, 4, 5});
    c.run_for(3 * kNanosPerSecond);
    ASSERT_FALSE(c.failed()) << "seed " << seed << "\n" << c.trace();
    leader = c.leader();
    ASSERT_NE(leader, kNoNode) << "seed " << seed;
    EXPECT_EQ(c.node(leader).voters(), (std::vector<NodeId>{1, 2, 3, 4, 5})) << "seed " << seed;
    std::vector<NodeId> prev = {0, 1, 2};
    for (const auto& cfg : configs(c.storage(leader))) {
      EXPECT_EQ(difference(prev, cfg), 1u) << "seed " << seed;
      prev = cfg;
    }
  }
}

TEST(RaftLeadershipTransfer, OnlyTheLeaderOfTheTermCanAskForIt) {
  MiniCluster c(3, Config{});
  const NodeId leader = c.run_until_leader();
  ASSERT_NE(leader, kNoNode);
  c.run_for(50 * kNanosPerMilli);  // the followers hear from it
  const NodeId a = (leader + 1) % 3, b = (leader + 2) % 3;
  const int64_t term = c.node(a).term();
  TimeoutNow m;
  m.term = term;
  c.inject(b, a, m);  // a follower is no one to hand leadership out
  EXPECT_EQ(c.node(a).term(), term);
  m.term = term - 1;
  c.inject(leader, a, m);  // a stale term
  EXPECT_EQ(c.node(a).term(), term);
  m.term = term;
  c.inject(leader, a, m);  // the leader of the term: stand now, even inside its lease
  EXPECT_EQ(c.node(a).term(), term + 1);
  c.run_for(100 * kNanosPerMilli);
  ASSERT_FALSE(c.failed()) << c.trace();
  EXPECT_EQ(c.leader(), a);
}

// The transfer fault's entry point: the leader hands over to the node named, within a round trip
// or two; a follower asked the same does nothing, and a second request during a handover waits.
TEST(RaftLeadershipTransfer, ALeaderAskedHandsOverToTheNodeNamed) {
  MiniCluster c(5, Config{});
  const NodeId leader = c.run_until_leader();
  ASSERT_NE(leader, kNoNode);
  write_some(c, leader, 10);
  c.run_for(100 * kNanosPerMilli);
  const NodeId to = (leader + 2) % 5, other = (leader + 3) % 5;
  const int64_t term = c.node(leader).term();
  c.input(to, [&](RaftNode& node, Outbox& out) { node.on_transfer_leadership(c.now(), other, out); });
  c.run_for(20 * kNanosPerMilli);
  EXPECT_EQ(c.leader(), leader) << "a follower handed out leadership";
  c.input(leader, [&](RaftNode& node, Outbox& out) {
    node.on_transfer_leadership(c.now(), to, out);
    node.on_transfer_leadership(c.now(), other, out);  // one handover at a time: ignored
  });
  EXPECT_EQ(c.node(leader).transferring_to(), to);
  c.run_for(20 * kNanosPerMilli);
  ASSERT_FALSE(c.failed()) << c.trace();
  EXPECT_EQ(c.leader(), to);
  EXPECT_EQ(c.node(to).term(), term + 1);
  EXPECT_EQ(c.elections_by(other), 0);
}

}  // namespace
}  // namespace synod::raft::testing
