// Client interaction (Raft §8; dissertation §6.3): redirects, linearizable reads through the
// log, deduplication of retried commands, and what pending clients hear when a leader falls.
#include <gtest/gtest.h>

#include "tests/protocols/raft_test_util.hpp"

namespace synod::raft {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

// §8: a server that is not the leader rejects the request and names the leader if it knows it.
TEST(RaftClient, FollowerRedirectsWithLeaderHint) {
  TestNode n(1, 3);
  const auto* r =
      sent_to<ClientReply>(n.deliver(kClient, client_request(cmd(1, 1, OpType::Read))), kClient);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->result.status, ReplyStatus::NotLeader);
  EXPECT_EQ(r->leader_hint, kNoNode);  // no leader heard of yet

  n.deliver(2, append_entries(1, 2, 0, 0, {}, 0));
  r = sent_to<ClientReply>(n.deliver(kClient, client_request(cmd(1, 1, OpType::Read))), kClient);
  EXPECT_EQ(r->result.status, ReplyStatus::NotLeader);
  EXPECT_EQ(r->leader_hint, 2);
  EXPECT_EQ(r->client, 1);
  EXPECT_EQ(r->seq, 1u);
  EXPECT_TRUE(n.storage.log.empty());
}

// A candidate, or with pre-vote a pre-candidate, timed out on its leader and names none.
TEST(RaftClient, CandidateRedirectsWithoutAHint) {
  for (const Config& config : {plain_raft(), Config{}}) {
    TestNode n(1, 3, {}, config);
    n.deliver(0, append_entries(1, 0, 0, 0, {}, 0));
    n.fire_timer();
    EXPECT_EQ(n->role() == Role::Candidate, !config.pre_vote);
    EXPECT_EQ(n->is_pre_candidate(), config.pre_vote);
    const auto* r =
        sent_to<ClientReply>(n.deliver(kClient, client_request(cmd(1, 1, OpType::Read))), kClient);
    EXPECT_EQ(r->result.status, ReplyStatus::NotLeader);
    EXPECT_EQ(r->leader_hint, kNoNode);
  }
}

// §8: reads go through the log, so the answer waits for commitment and reflects every write
// committed before it.
TEST(RaftClient, ReadIsAnsweredOnlyOnceCommittedAndSeesEarlierWrites) {
  TestNode leader(0, 3);
  leader.elect();
  leader.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 42)));
  const Outbox& out = leader.deliver(kClient + 1, client_request(cmd(2, 1, OpType::Read)));
  EXPECT_EQ(sent<ClientReply>(out).size(), 0u);
  const Outbox& done = leader.deliver(1, append_ok(1, 3));
  auto replies = sent<ClientReply>(done);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].first, kClient);
  EXPECT_EQ(replies[0].second->result.status, ReplyStatus::Ok);
  EXPECT_EQ(replies[1].first, kClient + 1);
  EXPECT_EQ(replies[1].second->result.value, std::optional<int64_t>(42));
  EXPECT_EQ(replies[1].second->leader_hint, 0);
}

TEST(RaftClient, FailedCasIsAnsweredFail) {
  TestNode n(0, 1);
  n.fire_timer();
  const Outbox& out = n.deliver(kClient, client_request(cmd(1, 1, OpType::Cas, 2, 1)));
  EXPECT_EQ(sent_to<ClientReply>(out, kClient)->result.status, ReplyStatus::Fail);
}

// Dissertation §6.3: a retry of an applied command is answered with its first result and not
// appended again; a retry of a pending one is not appended twice either.
TEST(RaftClient, RetriedCommandIsAppliedOnceAndAnsweredWithItsFirstResult) {
  TestNode leader(0, 3);
  leader.elect();
  leader.deliver(kClient, client_request(cmd(1, 1, OpType::Cas, 7, 0)));
  leader.deliver(kClient, client_request(cmd(1, 1, OpType::Cas, 7, 0)));  // retry while pending
  EXPECT_EQ(leader.storage.log.size(), 2u);
  const Outbox& out = leader.deliver(1, append_ok(1, 2));
  EXPECT_EQ(sent_to<ClientReply>(out, kClient)->result.status, ReplyStatus::Fail);
  leader.deliver(kClient + 1, client_request(cmd(2, 1, OpType::Write, 0)));
  leader.deliver(1, append_ok(1, 3));
  // The same cas again, after x became 0: still its first result, and no new entry.
  const Outbox& again = leader.deliver(kClient, client_request(cmd(1, 1, OpType::Cas, 7, 0)));
  EXPECT_EQ(sent_to<ClientReply>(again, kClient)->result.status, ReplyStatus::Fail);
  EXPECT_EQ(leader.storage.log.size(), 3u);
  EXPECT_EQ(leader->state_machine().get("x"), std::optional<int64_t>(0));
}

// Dissertation §6.3: a command can land in the log twice (a client retried at a new leader); the
// state machine executes it once.
TEST(RaftClient, DuplicateEntriesInTheLogAreExecutedOnce) {
  TestNode n(1, 3);
  std::vector<Entry> entries = {entry(1, cmd(1, 1, OpType::Write, 1)),
                                entry(1, cmd(2, 1, OpType::Write, 2)),
                                entry(2, cmd(1, 1, OpType::Write, 1))};
  n.deliver(0, append_entries(2, 0, 0, 0, entries, 3));
  EXPECT_EQ(n->last_applied(), 3);
  EXPECT_EQ(n->state_machine().get("x"), std::optional<int64_t>(2));
}

// A single-node cluster is its own majority: a request commits and is answered in one step.
TEST(RaftClient, SingleNodeClusterCommitsImmediately) {
  TestNode n(0, 1);
  n.fire_timer();
  const Outbox& out = n.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 3)));
  EXPECT_EQ(n->commit_index(), 2);
  const auto* r = sent_to<ClientReply>(out, kClient);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->result.status, ReplyStatus::Ok);
  const auto* read =
      sent_to<ClientReply>(n.deliver(kClient, client_request(cmd(1, 2, OpType::Read))), kClient);
  EXPECT_EQ(read->result.value, std::optional<int64_t>(3));
}

// A leader that steps down cannot tell its pending clients the outcome; it says NotLeader (with
// the new leader when known). That is safe because the retry carries the same seq (§6.3).
TEST(RaftClient, SteppingDownAnswersPendingClientsNotLeader) {
  TestNode leader(0, 3);
  leader.elect();
  leader.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 5)));
  leader.deliver(kClient + 1, client_request(cmd(2, 1, OpType::Read)));
  const Outbox& out = leader.deliver(2, append_entries(2, 2, 0, 0, {}, 0));
  EXPECT_EQ(leader->role(), Role::Follower);
  auto replies = sent<ClientReply>(out);
  ASSERT_EQ(replies.size(), 2u);
  for (const auto& [to, r] : replies) {
    EXPECT_EQ(r->result.status, ReplyStatus::NotLeader);
    EXPECT_EQ(r->leader_hint, 2);
  }
  EXPECT_EQ(sent_to<ClientReply>(out, kClient)->seq, 1u);
  EXPECT_NE(sent_to<ClientReply>(out, kClient + 1), nullptr);
}

}  // namespace
}  // namespace synod::raft
