// Pre-vote (Raft dissertation §9.6; etcd/raft's PreVote): one node driven by hand for the rules,
// then a small cluster for what they are for (a node rejoining from a partition does not depose
// a healthy leader), each compared with plain Raft where the difference is the point.
#include <gtest/gtest.h>

#include "tests/protocols/raft_mini_cluster.hpp"
#include "tests/protocols/raft_test_util.hpp"

namespace synod::raft {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

constexpr Nanos kMs = kNanosPerMilli;

// Everything persistent, to compare before and after.
struct Persisted {
  int64_t term;
  NodeId voted_for;
  std::vector<int64_t> log;
  uint64_t writes;
  bool operator==(const Persisted& o) const {
    return term == o.term && voted_for == o.voted_for && log == o.log && writes == o.writes;
  }
};
Persisted persisted(const Storage& s) {
  return {s.current_term, s.voted_for, log_terms(s), s.writes};
}

// §9.6: the election timeout starts a pre-vote round, not an election: the PreVote names the next
// term and our last entry, but our own term, vote and Storage stay as they were.
TEST(RaftPreVote, TimeoutAsksForTheNextTermWithoutTakingIt) {
  TestNode n(0, 3, storage_with(2, {1, 2}));
  const Persisted before = persisted(n.storage);
  const Outbox& out = n.fire_timer();
  EXPECT_TRUE(n->is_pre_candidate());
  EXPECT_EQ(n->role(), Role::Follower);
  EXPECT_EQ(persisted(n.storage), before);
  EXPECT_EQ(count_events(out, EventType::ElectionStart), 0);
  EXPECT_EQ(count_events(out, EventType::Role), 0);  // still a follower for the recorder
  auto asks = sent<RequestVote>(out);
  ASSERT_EQ(asks.size(), 2u);
  for (const auto& [to, m] : asks) {
    EXPECT_TRUE(m->pre_vote);
    EXPECT_EQ(m->term, 3);
    EXPECT_EQ(m->last_log_index, 2);
    EXPECT_EQ(m->last_log_term, 2);
  }
  EXPECT_EQ(asks[0].second->describe(), "PreVote t=3 cand=n0 last=2/2");
  EXPECT_EQ(n->describe(), "n0 pre-candidate t=2 last=2 commit=0");
  // An unanswered round times out into another round, still without a term change.
  n.fire_timer();
  EXPECT_TRUE(n->is_pre_candidate());
  EXPECT_EQ(persisted(n.storage), before);
}

// Only a majority of pre-votes (counting its own) makes the pre-candidate a real candidate, in
// term + 1; a duplicated grant, a refusal, or a grant for another term does not count.
TEST(RaftPreVote, MajorityOfGrantsStartsTheRealElection) {
  TestNode n(0, 5, storage_with(2, {1, 2}));
  n.fire_timer();
  n.deliver(1, pre_vote_reply(3, true));
  n.deliver(1, pre_vote_reply(3, true));   // duplicated by the network
  n.deliver(2, pre_vote_reply(2, false));  // a refusal in our own term changes nothing
  n.deliver(3, pre_vote_reply(4, true));   // a grant for a term we did not ask for
  EXPECT_TRUE(n->is_pre_candidate());
  EXPECT_EQ(n->term(), 2);
  const Outbox& out = n.deliver(4, pre_vote_reply(3, true));
  EXPECT_FALSE(n->is_pre_candidate());
  EXPECT_EQ(n->role(), Role::Candidate);
  EXPECT_EQ(n->term(), 3);
  EXPECT_EQ(n.storage.voted_for, 0);
  EXPECT_EQ(count_events(out, EventType::ElectionStart), 1);
  for (const auto& [to, m] : sent<RequestVote>(out)) {
    EXPECT_FALSE(m->pre_vote);
    EXPECT_EQ(m->term, 3);
  }
  // Grants that arrive after the round ended count for nothing.
  n.deliver(3, pre_vote_reply(3, true));
  EXPECT_EQ(n->role(), Role::Candidate);
}

// §9.6 leader stickiness: a follower that heard from its leader less than election_timeout_min ago
// refuses, with its own term; once that long has passed without word, it grants, with the term it
// was asked for.
TEST(RaftPreVote, RefusedByANodeThatHeardFromALeaderRecently) {
  TestNode n(1, 3, storage_with(1, {1}));
  n.now = 1000 * kMs;
  n.deliver(0, append_entries(1, 0, 1, 1, {}, 1));
  n.now += n.config.election_timeout_min - 1;
  const auto* refused = sent_to<RequestVoteReply>(n.deliver(2, pre_vote(2, 2, 1, 1)), 2);
  ASSERT_NE(refused, nullptr);
  EXPECT_TRUE(refused->pre_vote);
  EXPECT_FALSE(refused->vote_granted);
  EXPECT_EQ(refused->term, 1);
  EXPECT_EQ(refused->describe(), "PreVoteReply t=1 refused");
  n.now += 1;
  const auto* granted = sent_to<RequestVoteReply>(n.deliver(2, pre_vote(2, 2, 1, 1)), 2);
  ASSERT_NE(granted, nullptr);
  EXPECT_TRUE(granted->vote_granted);
  EXPECT_EQ(granted->term, 2);
  EXPECT_EQ(n->term(), 1);
  EXPECT_EQ(n->leader_hint(), 0);  // granting a pre-vote does not forget the leader either
}

// The leader itself is the freshest evidence that a leader is alive: it refuses too.
TEST(RaftPreVote, RefusedByTheLeader) {
  TestNode leader(0, 3);
  leader.elect();
  leader.now += 10 * kNanosPerSecond;
  const auto* r = sent_to<RequestVoteReply>(leader.deliver(2, pre_vote(2, 2, 9, 1)), 2);
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(r->vote_granted);
  EXPECT_EQ(r->term, 1);
  EXPECT_EQ(leader->role(), Role::Leader);
}

// §5.4.1 applies to pre-votes as to votes: a log less up-to-date than ours is refused.
TEST(RaftPreVote, RefusedWhenTheLogIsStale) {
  TestNode n(1, 3, storage_with(2, {1, 2, 2}));
  EXPECT_FALSE(sent_to<RequestVoteReply>(n.deliver(0, pre_vote(3, 0, 9, 1)), 0)->vote_granted);
  EXPECT_FALSE(sent_to<RequestVoteReply>(n.deliver(0, pre_vote(3, 0, 2, 2)), 0)->vote_granted);
  EXPECT_TRUE(sent_to<RequestVoteReply>(n.deliver(0, pre_vote(3, 0, 3, 2)), 0)->vote_granted);
  EXPECT_TRUE(sent_to<RequestVoteReply>(n.deliver(2, pre_vote(3, 2, 1, 3)), 2)->vote_granted);
}

// A pre-vote for a term we have already reached is refused with our term, which the
// pre-candidate (behind us) then adopts: it catches up instead of asking again and again.
TEST(RaftPreVote, StaleTermIsRefusedAndThePreCandidateCatchesUp) {
  TestNode voter(1, 3, storage_with(5, {1}));
  const auto* r = sent_to<RequestVoteReply>(voter.deliver(0, pre_vote(5, 0, 1, 1)), 0);
  EXPECT_FALSE(r->vote_granted);
  EXPECT_EQ(r->term, 5);

  TestNode pre(0, 3, storage_with(4, {1}));
  pre.fire_timer();
  ASSERT_TRUE(pre->is_pre_candidate());
  pre.deliver(1, pre_vote_reply(5, false));
  EXPECT_FALSE(pre->is_pre_candidate());
  EXPECT_EQ(pre->role(), Role::Follower);
  EXPECT_EQ(pre->term(), 5);
  EXPECT_EQ(pre.storage.voted_for, kNoNode);
}

// Answering a pre-vote, granted or not, persists nothing and changes nothing: no term, no vote
// (even when the voter has voted for someone else in its term: the question is about a later
// one), no log, no write, not even the election timer.
TEST(RaftPreVote, AnsweringPersistsNothing) {
  TestNode n(1, 3, storage_with(2, {1, 2}));
  n.deliver(2, request_vote(3, 2, 2, 2));  // a real vote: term 3, for n2
  ASSERT_EQ(n.storage.voted_for, 2);
  const Persisted before = persisted(n.storage);
  const Nanos timer = n->next_timer();
  n.now += n.config.election_timeout_min;
  EXPECT_TRUE(sent_to<RequestVoteReply>(n.deliver(0, pre_vote(4, 0, 2, 2)), 0)->vote_granted);
  EXPECT_FALSE(sent_to<RequestVoteReply>(n.deliver(0, pre_vote(4, 0, 1, 1)), 0)->vote_granted);
  EXPECT_FALSE(sent_to<RequestVoteReply>(n.deliver(0, pre_vote(3, 0, 2, 2)), 0)->vote_granted);
  EXPECT_EQ(persisted(n.storage), before);
  EXPECT_EQ(n->next_timer(), timer);
  EXPECT_EQ(n->role(), Role::Follower);
  EXPECT_FALSE(n->is_pre_candidate());
}

// A pre-candidate is still a follower: AppendEntries from the leader of its term ends the round,
// and so does granting a real vote (§5.2: it defers our own candidacy).
TEST(RaftPreVote, RoundEndsOnHearingALeaderOrGrantingAVote) {
  TestNode n(0, 3, storage_with(1, {1}));
  n.fire_timer();
  ASSERT_TRUE(n->is_pre_candidate());
  n.deliver(1, append_entries(1, 1, 1, 1, {}, 1));
  EXPECT_FALSE(n->is_pre_candidate());
  EXPECT_EQ(n->leader_hint(), 1);
  n.deliver(2, pre_vote_reply(2, true));  // a late grant counts for nothing now
  EXPECT_EQ(n->role(), Role::Follower);
  EXPECT_EQ(n->term(), 1);

  TestNode m(0, 3, storage_with(1, {1}));
  m.fire_timer();
  ASSERT_TRUE(sent_to<RequestVoteReply>(m.deliver(2, request_vote(1, 2, 1, 1)), 2)->vote_granted);
  EXPECT_FALSE(m->is_pre_candidate());
}

// A candidate whose election timed out goes back through a pre-vote round (as etcd/raft does):
// it is a follower of its term again, and does not raise the term until a majority agree.
TEST(RaftPreVote, TimedOutCandidateAsksAgainBeforeRaisingItsTerm) {
  TestNode n(0, 3);
  n.fire_timer();
  n.deliver(1, pre_vote_reply(1, true));
  ASSERT_EQ(n->role(), Role::Candidate);
  ASSERT_EQ(n->term(), 1);
  const Outbox& out = n.fire_timer();  // split vote: nobody answered
  EXPECT_EQ(n->role(), Role::Follower);
  EXPECT_TRUE(n->is_pre_candidate());
  EXPECT_EQ(n->term(), 1);
  EXPECT_EQ(n.storage.voted_for, 0);  // its vote in term 1 stands
  EXPECT_EQ(count_events(out, EventType::Role), 1);
  EXPECT_EQ(out.events[0].role, "follower");
  EXPECT_EQ(count_events(out, EventType::ElectionStart), 0);
  EXPECT_EQ(sent<RequestVote>(out).at(0).second->term, 2);
}

// The round is volatile: a restarted node is a plain follower again, knows no leader (so it
// grants pre-votes), and persisted nothing of the round.
TEST(RaftPreVote, RestartForgetsTheRound) {
  TestNode n(0, 3, storage_with(3, {1, 3}));
  n.deliver(1, append_entries(3, 1, 2, 3, {}, 2));
  n.fire_timer();
  ASSERT_TRUE(n->is_pre_candidate());
  const Persisted before = persisted(n.storage);
  n.restart();
  EXPECT_FALSE(n->is_pre_candidate());
  EXPECT_EQ(persisted(n.storage), before);
  EXPECT_TRUE(sent_to<RequestVoteReply>(n.deliver(2, pre_vote(4, 2, 2, 3)), 2)->vote_granted);
}

TEST(RaftPreVote, SingleNodeClusterElectsItselfWithoutAsking) {
  TestNode n(0, 1);
  const Outbox& out = n.fire_timer();
  EXPECT_EQ(n->role(), Role::Leader);
  EXPECT_EQ(n->term(), 1);
  EXPECT_TRUE(out.messages.empty());
}

// The delta check behind "a pre-vote never changes the persisted term or vote": a write while a
// pre-vote round runs is reported.
TEST(RaftPreVote, InvariantsCatchAWriteDuringTheRound) {
  TestNode n(0, 3);
  n.fire_timer();
  ASSERT_TRUE(n->is_pre_candidate());
  n.storage.current_term = 1;
  ++n.storage.writes;
  bool caught = false;
  for (const std::string& line : n->check_invariants()) {
    caught |= line.find("pre-candidate wrote storage") != std::string::npos;
  }
  EXPECT_TRUE(caught);
}

// Every step of a life with both extensions on passes check_invariants() (TestNode checks each).
TEST(RaftPreVote, HealthyNodeWithBothExtensionsReportsNothing) {
  TestNode n(0, 3);
  n.elect();
  n.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 1)));
  n.deliver(1, append_ok(1, 2));
  n.fire_timer();
  n.deliver(2, pre_vote(2, 2, 2, 1));      // refused: we lead
  n.deliver(2, request_vote(2, 2, 2, 1));  // ignored: we lead (check-quorum's lease)
  EXPECT_EQ(n->role(), Role::Leader);
  n.restart();
  n.fire_timer();
  n.deliver(1, pre_vote_reply(2, true));
  n.deliver(1, vote_reply(2, true));
  EXPECT_EQ(n->role(), Role::Leader);
  EXPECT_EQ(n->describe(), "n0 leader t=2 last=3 commit=0");
}

// --- whole cluster ---------------------------------------------------------------------------

// What pre-vote is for (§9.6): a follower partitioned away for a while times out again and again;
// when it rejoins, the leader stays leader and no term is raised. In plain Raft (and with
// check-quorum alone) its term climbs while it is away, and on rejoining its higher term deposes
// the healthy leader: a needless election.
TEST(RaftPreVote, RejoiningNodeDoesNotDeposeAHealthyLeader) {
  for (bool pre_vote : {true, false}) {
    for (bool check_quorum : {true, false}) {
      SCOPED_TRACE(fmt::format("pre_vote={} check_quorum={}", pre_vote, check_quorum));
      Config config;
      config.pre_vote = pre_vote;
      config.check_quorum = check_quorum;
      MiniCluster c(5, config);
      const NodeId leader = c.run_until_leader();
      ASSERT_NE(leader, kNoNode);
      c.run_for(200 * kMs);
      const int64_t term = c.node(leader).term();
      const int elections = c.elections();
      const NodeId away = (leader + 1) % 5;

      c.partition({away});
      c.run_for(2 * kNanosPerSecond);  // about ten election timeouts
      if (pre_vote) {
        EXPECT_EQ(c.node(away).term(), term);
        EXPECT_EQ(c.elections_by(away), 0);
      } else {
        EXPECT_GE(c.node(away).term(), term + 5);
      }
      c.heal();
      c.run_for(2 * kNanosPerSecond);
      if (pre_vote) {
        EXPECT_EQ(c.leader(), leader);
        EXPECT_EQ(c.node(leader).term(), term);
        EXPECT_EQ(c.max_term(), term);
        EXPECT_EQ(c.elections(), elections);
      } else {
        EXPECT_GT(c.max_term(), term + 5);  // everyone went through the rejoined node's term
        EXPECT_GT(c.elections(), elections);
        EXPECT_NE(c.stepped_down_at(leader), kNever);
      }
      ASSERT_NE(c.leader(), kNoNode);  // either way the cluster has a leader again
      EXPECT_EQ(c.node(away).commit_index(), c.node(c.leader()).commit_index());
    }
  }
}

// Pre-vote must not get in the way of a real election: when the leader is really gone, the
// others' leases run out, they grant each other's pre-votes, and a new leader is elected within a
// few election timeouts.
TEST(RaftPreVote, RealElectionStillHappensWhenTheLeaderIsGone) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    MiniCluster c(5, Config{}, seed);
    const NodeId old = c.run_until_leader();
    ASSERT_NE(old, kNoNode);
    c.run_for(100 * kMs);
    const int64_t term = c.node(old).term();
    c.crash(old);
    const NodeId fresh = c.run_until_leader(kNanosPerSecond);
    ASSERT_NE(fresh, kNoNode);
    EXPECT_NE(fresh, old);
    EXPECT_GT(c.node(fresh).term(), term);
    // The crashed leader comes back as a follower of the new one, without disturbing it.
    c.restart(old);
    c.run_for(kNanosPerSecond);
    EXPECT_EQ(c.leader(), fresh);
  }
}

}  // namespace
}  // namespace synod::raft
