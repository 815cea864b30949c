// Leader election (Raft §5.2) and the election restriction (§5.4.1), one node driven by hand.
// Tests where an election timeout must start a real election at once run plain Raft (no pre-vote,
// no check-quorum); raft_pre_vote_test.cpp covers what the two change.
#include <gtest/gtest.h>

#include "tests/protocols/raft_test_util.hpp"

namespace synod::raft {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

// §5.2: a node starts as a follower and stands for election after a randomized timeout in
// [election_timeout_min, election_timeout_max].
TEST(RaftElection, FollowerTimesOutWithinTheRandomizedRangeAndStandsForElection) {
  for (NodeId id = 0; id < 3; ++id) {
    TestNode n(id, 3, {}, plain_raft());
    EXPECT_EQ(n->role(), Role::Follower);
    EXPECT_EQ(count_events(n.out, EventType::Role), 1);  // start announces "follower"
    const Nanos deadline = n->next_timer();
    EXPECT_GE(deadline, n.config.election_timeout_min);
    EXPECT_LE(deadline, n.config.election_timeout_max);
    const Outbox& out = n.fire_timer();
    EXPECT_EQ(n->role(), Role::Candidate);
    EXPECT_EQ(n->term(), 1);
    EXPECT_EQ(n.storage.voted_for, id);  // votes for itself, persisted
    EXPECT_EQ(count_events(out, EventType::ElectionStart), 1);
    EXPECT_EQ(sent<RequestVote>(out).size(), 2u);
    EXPECT_GE(n->next_timer() - n.now, n.config.election_timeout_min);
    EXPECT_LE(n->next_timer() - n.now, n.config.election_timeout_max);
  }
}

TEST(RaftElection, TimeoutsDifferAcrossNodes) {
  TestNode a(0, 3), b(1, 3), c(2, 3);
  EXPECT_FALSE(a->next_timer() == b->next_timer() && b->next_timer() == c->next_timer());
}

// §5.2: a candidate with votes from a majority becomes leader; Figure 2: it then sends
// AppendEntries to every other server. §8: its first entry is a no-op of its term.
TEST(RaftElection, MajorityOfVotesMakesALeaderThatAppendsANoop) {
  TestNode n(0, 5, storage_with(2, {1, 2}), plain_raft());
  n.fire_timer();
  n.deliver(1, vote_reply(3, true));
  EXPECT_EQ(n->role(), Role::Candidate);  // 2 of 5
  n.deliver(1, vote_reply(3, true));      // a duplicated reply is not a second vote
  EXPECT_EQ(n->role(), Role::Candidate);
  n.deliver(2, vote_reply(3, false));
  EXPECT_EQ(n->role(), Role::Candidate);
  const Outbox& out = n.deliver(3, vote_reply(3, true));
  ASSERT_EQ(n->role(), Role::Leader);
  EXPECT_EQ(n->leader_hint(), 0);
  ASSERT_EQ(n.storage.log.size(), 3u);
  EXPECT_TRUE(n.storage.log[2].noop);
  EXPECT_EQ(n.storage.log[2].term, 3);
  auto appends = sent<AppendEntries>(out);
  ASSERT_EQ(appends.size(), 4u);
  EXPECT_EQ(appends[0].second->prev_log_index, 2);
  EXPECT_EQ(appends[0].second->entries.size(), 1u);
  // The Role event carries the log the leader was elected with.
  ASSERT_EQ(count_events(out, EventType::Role), 1);
  const ProtocolEvent& role = out.events[0];
  EXPECT_EQ(role.role, "leader");
  EXPECT_EQ(role.term, 3);
  std::vector<TermRun> runs = {{1, 1, 1}, {2, 2, 2}};
  EXPECT_EQ(role.log_runs, runs);
  EXPECT_EQ(n->next_timer(), n.now + n.config.heartbeat_interval);
}

// Figure 2, RequestVote receiver: grant if the term is current, we have not voted for another
// candidate in it, and the candidate's log is at least as up-to-date as ours.
TEST(RaftElection, GrantsVoteToAnUpToDateCandidateAndResetsItsTimer) {
  TestNode n(1, 3, storage_with(1, {1}));
  n.now = 10 * kNanosPerMilli;
  const Outbox& out = n.deliver(0, request_vote(2, 0, 1, 1));
  const auto* reply = sent_to<RequestVoteReply>(out, 0);
  ASSERT_NE(reply, nullptr);
  EXPECT_TRUE(reply->vote_granted);
  EXPECT_EQ(reply->term, 2);
  EXPECT_EQ(n->term(), 2);
  EXPECT_GE(n->next_timer(), n.now + n.config.election_timeout_min);
  // Asking again (a retransmission) is answered the same way: the vote is already the sender's.
  EXPECT_TRUE(sent_to<RequestVoteReply>(n.deliver(0, request_vote(2, 0, 1, 1)), 0)->vote_granted);
}

// §5.1: a request from a stale term is refused, and the reply carries our newer term.
TEST(RaftElection, RefusesVoteInAStaleTerm) {
  TestNode n(1, 3, storage_with(5, {1}));
  const auto* reply = sent_to<RequestVoteReply>(n.deliver(0, request_vote(4, 0, 9, 4)), 0);
  ASSERT_NE(reply, nullptr);
  EXPECT_FALSE(reply->vote_granted);
  EXPECT_EQ(reply->term, 5);
  EXPECT_EQ(n.storage.voted_for, kNoNode);
}

// §5.2: each server votes for at most one candidate in a given term.
TEST(RaftElection, RefusesASecondCandidateInTheSameTerm) {
  TestNode n(1, 3);
  EXPECT_TRUE(sent_to<RequestVoteReply>(n.deliver(0, request_vote(1, 0, 0, 0)), 0)->vote_granted);
  EXPECT_FALSE(sent_to<RequestVoteReply>(n.deliver(2, request_vote(1, 2, 0, 0)), 2)->vote_granted);
  EXPECT_EQ(n.storage.voted_for, 0);
}

// §5.4.1: refuse a candidate whose last log term is older than ours, even if its log is longer.
TEST(RaftElection, RefusesCandidateWithAnOlderLastTerm) {
  TestNode n(1, 3, storage_with(3, {1, 3}));
  const auto* reply = sent_to<RequestVoteReply>(n.deliver(0, request_vote(4, 0, 5, 2)), 0);
  EXPECT_FALSE(reply->vote_granted);
  EXPECT_EQ(n->term(), 4);  // the higher term is still adopted (Figure 2, All Servers)
  EXPECT_EQ(n.storage.voted_for, kNoNode);
}

// §5.4.1: with the same last term, refuse a candidate whose log is shorter than ours.
TEST(RaftElection, RefusesCandidateWithTheSameLastTermButAShorterLog) {
  TestNode n(1, 3, storage_with(2, {1, 2, 2}));
  EXPECT_FALSE(sent_to<RequestVoteReply>(n.deliver(0, request_vote(3, 0, 2, 2)), 0)->vote_granted);
  EXPECT_TRUE(sent_to<RequestVoteReply>(n.deliver(2, request_vote(3, 2, 3, 2)), 2)->vote_granted);
}

// Figure 2 ("updated on stable storage before responding to RPCs"): when the grant is in the
// outbox, the term and vote are already in Storage; a restarted node then refuses anyone else in
// that term but still answers its chosen candidate's retransmission.
TEST(RaftElection, VoteIsPersistedBeforeTheReplyAndSurvivesARestart) {
  TestNode n(1, 3);
  const uint64_t writes = n.storage.writes;
  const Outbox& out = n.deliver(0, request_vote(7, 0, 0, 0));
  ASSERT_TRUE(sent_to<RequestVoteReply>(out, 0)->vote_granted);
  EXPECT_EQ(n.storage.current_term, 7);
  EXPECT_EQ(n.storage.voted_for, 0);
  EXPECT_GT(n.storage.writes, writes);

  n.restart();
  EXPECT_EQ(n->term(), 7);
  EXPECT_FALSE(sent_to<RequestVoteReply>(n.deliver(2, request_vote(7, 2, 0, 0)), 2)->vote_granted);
  EXPECT_TRUE(sent_to<RequestVoteReply>(n.deliver(0, request_vote(7, 0, 0, 0)), 0)->vote_granted);
}

// A candidate persists its own vote before asking: after a crash it cannot vote for a rival.
TEST(RaftElection, CandidateVoteForItselfSurvivesARestart) {
  TestNode n(0, 3, {}, plain_raft());
  n.fire_timer();
  n.restart();
  EXPECT_EQ(n->role(), Role::Follower);
  EXPECT_FALSE(sent_to<RequestVoteReply>(n.deliver(1, request_vote(1, 1, 0, 0)), 1)->vote_granted);
}

// §5.2: a candidate that receives AppendEntries from a leader of its own term steps down.
TEST(RaftElection, CandidateStepsDownOnAppendEntriesOfItsTerm) {
  TestNode n(0, 3, {}, plain_raft());
  n.fire_timer();
  ASSERT_EQ(n->role(), Role::Candidate);
  const Outbox& out = n.deliver(2, append_entries(1, 2, 0, 0, {}, 0));
  EXPECT_EQ(n->role(), Role::Follower);
  EXPECT_EQ(n->term(), 1);
  EXPECT_EQ(n->leader_hint(), 2);
  EXPECT_EQ(n.storage.voted_for, 0);  // stepping down does not undo the vote
  EXPECT_TRUE(sent_to<AppendEntriesReply>(out, 2)->success);
}

// Figure 2, All Servers: any message with a higher term makes the receiver a follower of it.
TEST(RaftElection, HigherTermInAnyMessageTurnsALeaderIntoAFollower) {
  TestNode n(0, 3);
  n.elect();
  n.deliver(1, append_ok(9, 0));
  EXPECT_EQ(n->role(), Role::Follower);
  EXPECT_EQ(n->term(), 9);
  EXPECT_EQ(n.storage.current_term, 9);
  EXPECT_EQ(n.storage.voted_for, kNoNode);
  EXPECT_EQ(n->leader_hint(), kNoNode);
  EXPECT_LT(n->next_timer(), kNever);  // an election deadline again
}

TEST(RaftElection, CandidateIgnoresVotesFromAnEarlierTerm) {
  TestNode n(0, 3, {}, plain_raft());
  n.fire_timer();
  n.fire_timer();  // split vote: a second election, term 2
  EXPECT_EQ(n->term(), 2);
  n.deliver(1, vote_reply(1, true));
  EXPECT_EQ(n->role(), Role::Candidate);
  n.deliver(1, vote_reply(2, true));
  EXPECT_EQ(n->role(), Role::Leader);
}

TEST(RaftElection, SingleNodeClusterElectsItselfAtOnce) {
  TestNode n(0, 1);
  const Outbox& out = n.fire_timer();
  EXPECT_EQ(n->role(), Role::Leader);
  EXPECT_EQ(n->commit_index(), 1);  // its no-op is on a majority of one
  EXPECT_TRUE(out.messages.empty());
}

}  // namespace
}  // namespace synod::raft
