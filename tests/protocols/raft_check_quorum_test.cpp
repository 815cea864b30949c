// Check-quorum (etcd/raft's CheckQuorum): a leader that hears from no majority within the minimum
// election timeout steps down, and followers that heard from their leader within it ignore
// higher-term RequestVote (the leader lease for votes). One node by hand for the rules, a small
// cluster for the isolated leader; each compared with check_quorum off where that is the point.
#include <gtest/gtest.h>

#include "tests/protocols/raft_mini_cluster.hpp"
#include "tests/protocols/raft_test_util.hpp"

namespace synod::raft {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

constexpr Nanos kMs = kNanosPerMilli;

// A leader whose followers stop answering steps down on the first heartbeat tick at which no
// majority answered within election_timeout_min: a follower of its own term (no term bump, its
// vote kept), knowing no leader, with its pending client told NotLeader. With check_quorum off it
// would lead on (§5.1: only a higher term deposes a leader).
TEST(RaftCheckQuorum, LeaderHearingFromNoMajorityStepsDown) {
  for (bool check_quorum : {true, false}) {
    SCOPED_TRACE(fmt::format("check_quorum={}", check_quorum));
    Config config;
    config.check_quorum = check_quorum;
    TestNode n(0, 3, {}, config);
    n.elect();
    const Nanos elected_at = n.now;
    n.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 7)));
    const uint64_t writes = n.storage.writes;
    Nanos stepped_down_at = kNever;
    Outbox last;
    while (n.now < elected_at + kNanosPerSecond && stepped_down_at == kNever) {
      last = n.fire_timer();
      if (n->role() != Role::Leader) stepped_down_at = n.now;
    }
    if (!check_quorum) {
      EXPECT_EQ(stepped_down_at, kNever);
      EXPECT_EQ(n->role(), Role::Leader);
      continue;
    }
    ASSERT_NE(stepped_down_at, kNever);
    EXPECT_GE(stepped_down_at, elected_at + n.config.election_timeout_min);
    EXPECT_LE(stepped_down_at,
              elected_at + n.config.election_timeout_min + n.config.heartbeat_interval);
    EXPECT_EQ(n->role(), Role::Follower);
    EXPECT_EQ(n->term(), 1);
    EXPECT_EQ(n.storage.voted_for, 0);
    EXPECT_EQ(n.storage.writes, writes);  // stepping down persists nothing
    EXPECT_EQ(n->leader_hint(), kNoNode);
    const auto* reply = sent_to<ClientReply>(last, kClient);
    ASSERT_NE(reply, nullptr);
    EXPECT_EQ(reply->result.status, ReplyStatus::NotLeader);
    EXPECT_EQ(count_events(last, EventType::Role), 1);
    EXPECT_EQ(sent<AppendEntries>(last).size(), 0u);  // no heartbeat from a former leader
    EXPECT_LT(n->next_timer(), kNever);               // an election timer instead
  }
}

// Any answer of the leader's term counts, a rejection too; one follower is a majority of three
// with the leader. Answers from an earlier term do not count.
TEST(RaftCheckQuorum, LeaderWithAMajorityStays) {
  TestNode n(0, 3);
  n.elect();
  const Nanos elected_at = n.now;
  bool reject = false;
  while (n.now < elected_at + 2 * kNanosPerSecond) {
    n.fire_timer();
    ASSERT_EQ(n->role(), Role::Leader) << "at " << to_millis(n.now - elected_at) << "ms";
    // n1 answers every heartbeat (alternately accepting and rejecting), n2 never.
    n.deliver(1, reject ? append_reject(1, 0, 0, 1) : append_ok(1, 1));
    n.deliver(2, append_ok(0, 1));  // a stale answer, from before our term
    reject = !reject;
  }
}

// etcd's leader lease for votes: a follower that heard from its leader within
// election_timeout_min ignores a RequestVote for a higher term (neither adopts the term nor
// votes; its refusal carries its own, lower term), and hears it once the lease has run out. With
// check_quorum off, plain Raft: the higher term is adopted and the vote granted at once.
TEST(RaftCheckQuorum, FollowerInTheLeaseIgnoresAHigherTermCandidate) {
  for (bool check_quorum : {true, false}) {
    SCOPED_TRACE(fmt::format("check_quorum={}", check_quorum));
    Config config;
    config.check_quorum = check_quorum;
    TestNode n(1, 3, storage_with(1, {1}), config);
    n.now = 1000 * kMs;
    n.deliver(0, append_entries(1, 0, 1, 1, {}, 1));
    n.now += 10 * kMs;
    const uint64_t writes = n.storage.writes;
    const auto* r = sent_to<RequestVoteReply>(n.deliver(2, request_vote(2, 2, 1, 1)), 2);
    ASSERT_NE(r, nullptr);
    if (check_quorum) {
      EXPECT_FALSE(r->vote_granted);
      EXPECT_EQ(r->term, 1);
      EXPECT_EQ(n->term(), 1);
      EXPECT_EQ(n.storage.writes, writes);
      EXPECT_EQ(n->leader_hint(), 0);
      n.now += n.config.election_timeout_min;  // no word from n0 since
      r = sent_to<RequestVoteReply>(n.deliver(2, request_vote(2, 2, 1, 1)), 2);
    }
    EXPECT_TRUE(r->vote_granted);
    EXPECT_EQ(n->term(), 2);
    EXPECT_EQ(n.storage.voted_for, 2);
  }
}

// The leader holds the lease itself: a higher-term RequestVote does not depose it (with
// check_quorum off it does, as in plain Raft).
TEST(RaftCheckQuorum, LeaderIgnoresAHigherTermCandidate) {
  for (bool check_quorum : {true, false}) {
    SCOPED_TRACE(fmt::format("check_quorum={}", check_quorum));
    Config config;
    config.check_quorum = check_quorum;
    TestNode n(0, 3, {}, config);
    n.elect();
    const auto* r = sent_to<RequestVoteReply>(n.deliver(2, request_vote(5, 2, 9, 1)), 2);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->vote_granted, !check_quorum);  // its log (9/1) is more up-to-date than ours
    EXPECT_EQ(n->role() == Role::Leader, check_quorum);
    EXPECT_EQ(n->term(), check_quorum ? 1 : 5);
  }
}

// A leader deposed by check-quorum is a follower in its own term; that step-down is the only
// in-term one the delta checks allow, and only with check_quorum on.
TEST(RaftCheckQuorum, InvariantsAllowTheStepDownOnlyThroughCheckQuorum) {
  TestNode n(0, 3);  // TestNode fails the test on any invariant line, at every step
  n.elect();
  while (n->role() == Role::Leader) n.fire_timer();
  EXPECT_EQ(n->term(), 1);
  EXPECT_EQ(n->describe(), "n0 follower t=1 last=1 commit=0");
}

// --- whole cluster ---------------------------------------------------------------------------

// A leader cut off from the majority (clients still reach it) steps down within about one
// election timeout and answers its pending clients NotLeader, while the majority elects a new
// leader; with check_quorum off it stays leader for as long as the partition lasts and its
// clients hear nothing. Either way the cluster converges on one leader after the heal.
TEST(RaftCheckQuorum, IsolatedLeaderStepsDownAndRepliesNotLeader) {
  for (bool check_quorum : {true, false}) {
    SCOPED_TRACE(fmt::format("check_quorum={}", check_quorum));
    Config config;
    config.check_quorum = check_quorum;
    MiniCluster c(5, config);
    const NodeId old = c.run_until_leader();
    ASSERT_NE(old, kNoNode);
    c.run_for(200 * kMs);
    const int64_t term = c.node(old).term();
    const NodeId other = (old + 2) % 5;
    c.partition({old, (old + 1) % 5});  // a 2|3 partition with the leader in the minority
    const Nanos cut_at = c.now();
    c.request(old, cmd(1, 1, OpType::Write, 42));
    c.run_for(2 * kNanosPerSecond);
    if (check_quorum) {
      // Its last answers came at most a heartbeat interval before the cut.
      ASSERT_NE(c.stepped_down_at(old), kNever);
      const Nanos after = c.stepped_down_at(old) - cut_at;
      EXPECT_GE(after, config.election_timeout_min - config.heartbeat_interval);
      EXPECT_LE(after, config.election_timeout_min + config.heartbeat_interval);
      EXPECT_EQ(c.node(old).role(), Role::Follower);
      EXPECT_EQ(c.node(old).term(), term);  // its pre-votes were cut: no term climbed
      ASSERT_EQ(c.replies().size(), 1u);
      EXPECT_EQ(c.replies()[0].reply.result.status, ReplyStatus::NotLeader);
    } else {
      EXPECT_EQ(c.node(old).role(), Role::Leader);
      EXPECT_EQ(c.stepped_down_at(old), kNever);
      EXPECT_TRUE(c.replies().empty());
    }
    // The majority side has its own leader, of a later term, either way.
    const NodeId majority_leader = c.leader();
    ASSERT_NE(majority_leader, kNoNode);
    EXPECT_NE(majority_leader, old);
    EXPECT_GT(c.node(majority_leader).term(), term);
    EXPECT_EQ(c.node(other).leader_hint(), majority_leader);

    c.heal();
    c.run_for(kNanosPerSecond);
    EXPECT_EQ(c.leader(), majority_leader);
    EXPECT_EQ(c.node(old).role(), Role::Follower);
    EXPECT_EQ(c.node(old).leader_hint(), majority_leader);
  }
}

// A leader that still has a majority (two of five nodes down) keeps leading: no step-down, no
// election, for many election timeouts.
TEST(RaftCheckQuorum, LeaderWithAMajorityOfFiveStaysThroughFailures) {
  MiniCluster c(5, Config{});
  const NodeId leader = c.run_until_leader();
  ASSERT_NE(leader, kNoNode);
  const int64_t term = c.node(leader).term();
  const int elections = c.elections();
  c.crash((leader + 1) % 5);
  c.crash((leader + 3) % 5);
  c.run_for(3 * kNanosPerSecond);
  EXPECT_EQ(c.leader(), leader);
  EXPECT_EQ(c.node(leader).term(), term);
  EXPECT_EQ(c.stepped_down_at(leader), kNever);
  EXPECT_EQ(c.elections(), elections);
  // A third failure leaves it without a majority: it steps down.
  const Nanos third_at = c.now();
  c.crash((leader + 4) % 5);
  c.run_for(kNanosPerSecond);
  EXPECT_NE(c.node(leader).role(), Role::Leader);
  EXPECT_LE(c.stepped_down_at(leader) - third_at,
            Config{}.election_timeout_min + Config{}.heartbeat_interval);
}

}  // namespace
}  // namespace synod::raft
