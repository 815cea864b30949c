// Reads without the log (Raft dissertation §6.4, §6.4.1; protocols/raft/reads.cpp): ReadIndex
// waits for an own-term commit and a heartbeat round a majority answers after the read arrived;
// a lease answers at once until election_timeout_min / (1 + drift) after a confirmed round left;
// a restarted server grants no vote for a lease's length; a transfer gives the lease up.
#include <gtest/gtest.h>

#include "tests/protocols/raft_mini_cluster.hpp"

namespace synod::raft {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

Config reads(ReadMode m) {
  Config c;
  c.reads = m;
  return c;
}

// An AppendEntries heartbeat that carries a read round.
MessagePtr heartbeat_with_round(int64_t term, NodeId leader, int64_t prev, int64_t prev_term,
                                uint64_t round) {
  auto m = std::make_shared<AppendEntries>();
  m->term = term;
  m->leader = leader;
  m->prev_log_index = prev;
  m->prev_log_term = prev_term;
  m->read_round = round;
  return m;
}

MessagePtr ack(int64_t term, int64_t match, uint64_t round) {
  auto m = std::make_shared<AppendEntriesReply>();
  m->term = term;
  m->success = true;
  m->match_index = match;
  m->read_round = round;
  return m;
}

// The round the AppendEntries to `peer` carried (the last one sent to it), or -1 if none was.
int64_t round_sent_to(const Outbox& out, NodeId peer) {
  int64_t round = -1;
  for (const auto& s : out.messages) {
    if (s.to != peer || s.message->kind() != MsgKind::RaftAppendEntries) continue;
    round = static_cast<int64_t>(static_cast<const AppendEntries&>(*s.message).read_round);
  }
  return round;
}

// A leader of term 1 in a cluster of 3 whose no-op (index 1) and a write of 42 to "k" (index 2)
// are committed, with peer 1's help.
void elect_and_commit_a_write(TestNode& n) {
  n.elect();
  n.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 42)));
  n.deliver(1, ack(1, 2, 0));
  ASSERT_EQ(n->commit_index(), 2);
}

TEST(RaftReads, ReadIndexAnswersAfterAMajorityConfirmsARoundWithoutALogEntry) {
  TestNode n(0, 3, {}, reads(ReadMode::ReadIndex));
  elect_and_commit_a_write(n);
  const int64_t last = n->storage().log.size();
  const Outbox& out = n.deliver(kClient + 1, client_request(cmd(2, 1, OpType::Read)));
  EXPECT_EQ(sent<ClientReply>(out).size(), 0u) << "answered before leadership was confirmed";
  const int64_t round = round_sent_to(out, 1);
  EXPECT_GE(round, 1) << "no heartbeat round left for the read";
  EXPECT_EQ(round_sent_to(out, 2), round);
  // One follower's answer to that round makes a majority of 3 with ourselves.
  const auto replies = sent<ClientReply>(n.deliver(2, ack(1, 0, static_cast<uint64_t>(round))));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].first, kClient + 1);
  EXPECT_EQ(replies[0].second->result.status, ReplyStatus::Ok);
  EXPECT_EQ(replies[0].second->result.value, std::optional<int64_t>(42));
  EXPECT_EQ(static_cast<int64_t>(n->storage().log.size()), last) << "the read went into the log";
  EXPECT_EQ(n->reads_served(), 1u);
}

// The answer to a round that left before the read arrived proves nothing about the moment after
// it: another leader could have been elected in between.
TEST(RaftReads, ReadIndexIgnoresAnswersToRoundsOlderThanTheRead) {
  TestNode n(0, 3, {}, reads(ReadMode::ReadIndex));
  elect_and_commit_a_write(n);
  const Outbox& first = n.deliver(kClient + 1, client_request(cmd(2, 1, OpType::Read)));
  const auto r1 = static_cast<uint64_t>(round_sent_to(first, 1));
  n.deliver(1, ack(1, 0, r1));  // confirms the first read
  const Outbox& second = n.deliver(kClient + 2, client_request(cmd(3, 1, OpType::Read)));
  EXPECT_EQ(sent<ClientReply>(second).size(), 0u);
  const auto r2 = static_cast<uint64_t>(round_sent_to(second, 2));
  ASSERT_GT(r2, r1);
  EXPECT_EQ(sent<ClientReply>(n.deliver(2, ack(1, 0, r1))).size(), 0u)
      << "confirmed by an answer to an older round";
  EXPECT_EQ(sent<ClientReply>(n.deliver(2, ack(1, 0, r2))).size(), 1u);
}

// Dissertation §6.4 step 1: until the new leader commits an entry of its own term, its commit
// index may miss writes an earlier leader acknowledged. Reads wait for that commit.
TEST(RaftReads, ANewLeaderAnswersReadsOnlyAfterItsOwnTermCommits) {
  for (ReadMode mode : {ReadMode::ReadIndex, ReadMode::Lease}) {
    TestNode n(0, 3, {}, reads(mode));
    n.elect();  // its no-op (index 1) is not committed yet
    Outbox out = n.deliver(kClient, client_request(cmd(2, 1, OpType::Read)));
    EXPECT_EQ(sent<ClientReply>(out).size(), 0u);
    // Peer 1 answers the election heartbeat (round 0) without matching the no-op: nothing.
    EXPECT_EQ(sent<ClientReply>(n.deliver(1, ack(1, 0, 0))).size(), 0u);
    // The no-op commits: the waiting read takes a round, which peer 2 confirms.
    out = n.deliver(1, ack(1, 1, 0));
    EXPECT_EQ(n->commit_index(), 1);
    EXPECT_EQ(sent<ClientReply>(out).size(), 0u);
    const int64_t round = round_sent_to(out, 2);
    ASSERT_GE(round, 1) << read_mode_name(mode);
    const auto replies = sent<ClientReply>(n.deliver(2, ack(1, 0, static_cast<uint64_t>(round))));
    ASSERT_EQ(replies.size(), 1u) << read_mode_name(mode);
    EXPECT_EQ(replies[0].second->result.value, std::nullopt);
  }
}

TEST(RaftReads, PendingReadsHearNotLeaderWhenTheLeaderStepsDown) {
  TestNode n(0, 3, {}, reads(ReadMode::ReadIndex));
  elect_and_commit_a_write(n);
  n.deliver(kClient + 1, client_request(cmd(2, 1, OpType::Read)));
  const auto replies = sent<ClientReply>(n.deliver(1, append_entries(2, 1, 2, 1, {}, 2)));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].second->result.status, ReplyStatus::NotLeader);
  EXPECT_EQ(replies[0].second->leader_hint, 1);
}

TEST(RaftReads, ALeaseAnswersAtOnceUntilItRunsOutThenReadsTakeTheReadIndexPath) {
  Config c = reads(ReadMode::Lease);
  c.max_clock_drift = 0.5;  // lease = 150 ms / 1.5 = 100 ms
  TestNode n(0, 3, {}, c);
  elect_and_commit_a_write(n);
  // A heartbeat tick opens a round; peer 1 answers it: the lease runs 100 ms from the tick.
  const Outbox& tick = n.fire_timer();
  const Nanos sent_at = n.now;
  const auto round = static_cast<uint64_t>(round_sent_to(tick, 1));
  n.deliver(1, ack(1, 2, round));
  n.now = sent_at + 99 * kNanosPerMilli;
  Outbox out = n.deliver(kClient, client_request(cmd(2, 1, OpType::Read)));
  auto replies = sent<ClientReply>(out);
  ASSERT_EQ(replies.size(), 1u) << "not answered inside the lease";
  EXPECT_EQ(replies[0].second->result.value, std::optional<int64_t>(42));
  EXPECT_EQ(round_sent_to(out, 1), -1) << "a lease read sent messages";
  EXPECT_EQ(n->lease_reads_served(), 1u);
  n.now = sent_at + 100 * kNanosPerMilli;
  out = n.deliver(kClient, client_request(cmd(2, 2, OpType::Read)));
  EXPECT_EQ(sent<ClientReply>(out).size(), 0u) << "answered from an expired lease";
  const int64_t next = round_sent_to(out, 1);
  ASSERT_GT(next, static_cast<int64_t>(round));
  EXPECT_EQ(sent<ClientReply>(n.deliver(2, ack(1, 2, static_cast<uint64_t>(next)))).size(), 1u);
  EXPECT_EQ(n->lease_reads_served(), 1u);
}

// A leader handing over leadership takes no read (nor any command) from its lease: the target
// stands at once, inside the followers' vote lease. (It also drops the lease, in case the transfer
// is abandoned; the next heartbeat round gives it a fresh one.)
TEST(RaftReads, NoLeaseReadDuringALeadershipHandover) {
  MiniCluster c(3, reads(ReadMode::Lease));
  const NodeId leader = c.run_until_leader();
  ASSERT_NE(leader, kNoNode);
  c.run_for(200 * kNanosPerMilli);
  c.request(leader, cmd(1, 1, OpType::Read));
  c.run_for(10 * kNanosPerMilli);
  ASSERT_FALSE(c.replies().empty());
  EXPECT_EQ(c.node(leader).lease_reads_served(), 1u);
  // The leader leaves: it hands over first (membership.cpp), and the next leader serves reads.
  std::vector<NodeId> rest;
  for (NodeId i = 0; i < 3; ++i)
    if (i != leader) rest.push_back(i);
  for (NodeId i = 0; i < 3; ++i)
    c.input(i, [&](RaftNode& node, Outbox& out) { node.on_membership(c.now(), rest, out); });
  c.request(leader, cmd(1, 2, OpType::Read));
  EXPECT_EQ(c.node(leader).lease_reads_served(), 1u) << "a lease read during the handover";
  c.run_for(kNanosPerSecond);
  ASSERT_FALSE(c.failed()) << c.trace();
  EXPECT_NE(c.leader(), leader);
}

// A server that restarts forgot when it last heard from its leader; with lease reads it must act
// as if it just had, or it could help elect a new leader inside the old one's lease.
TEST(RaftReads, ARestartedServerGrantsNoVoteForALeasesLength) {
  TestNode n(1, 3, {}, reads(ReadMode::Lease));
  n.deliver(0, append_entries(1, 0, 0, 0, {}, 0));
  n.now = 10 * kNanosPerSecond;
  n.restart();
  n.now += 149 * kNanosPerMilli;
  n.deliver(2, request_vote(2, 2, 0, 0));
  EXPECT_EQ(n->term(), 1) << "the restarted server adopted a candidate's term inside the lease";
  EXPECT_EQ(n.storage.voted_for, kNoNode);
  n.now += kNanosPerMilli;
  n.deliver(2, request_vote(2, 2, 0, 0));
  EXPECT_EQ(n->term(), 2);
  EXPECT_EQ(n.storage.voted_for, 2);
  // Without lease reads a restarted server votes at once, as before.
  TestNode plain(1, 3);
  plain.deliver(0, append_entries(1, 0, 0, 0, {}, 0));
  plain.restart();
  plain.deliver(2, request_vote(2, 2, 0, 0));
  EXPECT_EQ(plain.storage.voted_for, 2);
}

TEST(RaftReads, FollowersEchoTheReadRoundAcceptedOrRejected) {
  TestNode n(1, 3);
  const auto* ok = sent_to<AppendEntriesReply>(n.deliver(0, heartbeat_with_round(1, 0, 0, 0, 7)), 0);
  ASSERT_NE(ok, nullptr);
  EXPECT_TRUE(ok->success);
  EXPECT_EQ(ok->read_round, 7u);
  const auto* rejected =
      sent_to<AppendEntriesReply>(n.deliver(0, heartbeat_with_round(1, 0, 5, 1, 8)), 0);
  ASSERT_NE(rejected, nullptr);
  EXPECT_FALSE(rejected->success);
  EXPECT_EQ(rejected->read_round, 8u);
}

// With clocks that keep time, a leader cut off from its majority answers its last lease read
// before the majority can have elected anyone: the lease ends first. ReadIndex answers none.
TEST(RaftReads, AnIsolatedLeaderStopsLeaseReadsBeforeANewLeaderIsElected) {
  for (ReadMode mode : {ReadMode::Lease, ReadMode::ReadIndex}) {
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      MiniCluster c(5, reads(mode), seed);
      const NodeId old = c.run_until_leader();
      ASSERT_NE(old, kNoNode);
      c.run_for(300 * kNanosPerMilli);
      c.partition({old});
      const Nanos cut = c.now();
      Nanos last_answer = kNever;
      uint64_t seq = 1;
      const size_t before = c.replies().size();
      while (c.leader() == old || c.leader() == kNoNode) {
        c.request(old, cmd(1, seq++, OpType::Read));
        c.run_for(kNanosPerMilli);
        for (size_t k = before; k < c.replies().size(); ++k) {
          if (c.replies()[k].reply.result.status == ReplyStatus::Ok) last_answer = c.replies()[k].at;
        }
        ASSERT_LT(c.now(), cut + 2 * kNanosPerSecond) << "no new leader";
      }
      const Nanos elected = c.now();
      SCOPED_TRACE(fmt::format("{} seed {}", read_mode_name(mode), seed));
      if (mode == ReadMode::ReadIndex) {
        EXPECT_EQ(last_answer, kNever) << "ReadIndex answered without a majority";
      } else {
        ASSERT_NE(last_answer, kNever) << "the lease served nothing after the cut";
        EXPECT_LT(last_answer, elected);
        EXPECT_LT(last_answer - cut, 150 * kNanosPerMilli);
      }
      ASSERT_FALSE(c.failed()) << c.trace();
    }
  }
}

}  // namespace
}  // namespace synod::raft
