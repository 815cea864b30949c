// check_invariants() (LogCabin-style state and delta checks): silent on a healthy node, and loud,
// naming node, term and values, when the state is corrupted behind the node's back.
#include <gtest/gtest.h>

#include "tests/protocols/raft_test_util.hpp"

namespace synod::raft {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

// §5.1: currentTerm increases monotonically. Decreasing the stored term between two checks is
// reported with the node and both values.
TEST(RaftInvariants, CatchesATermThatDecreases) {
  TestNode n(2, 3, storage_with(5, {1}));
  n.storage.current_term = 4;
  auto lines = n->check_invariants();
  EXPECT_TRUE(mentions(lines, "n2 t=4: term decreased 5 -> 4")) << joined(lines);
}

// §5.2: at most one vote per term.
TEST(RaftInvariants, CatchesAVoteChangedWithinATerm) {
  TestNode n(2, 3);
  n.deliver(0, request_vote(1, 0, 0, 0));
  n.storage.voted_for = 1;
  auto lines = n->check_invariants();
  EXPECT_TRUE(mentions(lines, "vote changed within the term: n0 -> n1")) << joined(lines);
}

// State Machine Safety: a committed entry never changes; the commit index stays in the log.
TEST(RaftInvariants, CatchesACommittedEntryRewrittenOrRemoved) {
  TestNode n(1, 3);
  n.deliver(0, append_entries(2, 0, 0, 0, entries_with_terms({1, 2}), 2));
  n.storage.log[1].term = 1;
  auto lines = n->check_invariants();
  EXPECT_TRUE(mentions(lines, "committed entry 2 changed term 2 -> 1")) << joined(lines);
  n.storage.log.pop_back();
  lines = n->check_invariants();
  EXPECT_TRUE(mentions(lines, "commitIndex 2 > last log index 1")) << joined(lines);
}

TEST(RaftInvariants, CatchesLogTermsAboveTheCurrentTermOrOutOfOrder) {
  Storage s = storage_with(3, {4, 3});
  RaftNode node(1, 3, Config{}, &s, Rng(1));
  Outbox out;
  node.start(0, out);
  auto lines = node.check_invariants();  // a fresh incarnation scans its whole log once
  EXPECT_TRUE(mentions(lines, "n1 t=3: log term 3 at 2 after term 4")) << joined(lines);
  EXPECT_FALSE(mentions(lines, "last log term"));
  s.log[1].term = 9;
  lines = node.check_invariants();
  EXPECT_TRUE(mentions(lines, "last log term 9 > current term 3")) << joined(lines);
}

TEST(RaftInvariants, CatchesPersistentWritesGoingBack) {
  TestNode n(1, 3);
  n.deliver(0, request_vote(1, 0, 0, 0));
  n.storage.writes = 0;
  EXPECT_TRUE(mentions(n->check_invariants(), "storage write count went back"));
}

// A node must report, not silently accept, a second leader in its own term (Election Safety).
TEST(RaftInvariants, ReportsAppendEntriesFromAnotherLeaderOfItsTerm) {
  TestNode leader(0, 3);
  leader.elect();
  leader.out.clear();
  leader->on_message(leader.now, 1, *append_entries(1, 1, 0, 0, {}, 0), leader.out);
  auto lines = leader->check_invariants();
  EXPECT_TRUE(mentions(lines, "n0 t=1: AppendEntries from n1 in our own term: two leaders"))
      << joined(lines);
  EXPECT_TRUE(leader->check_invariants().empty());  // reported once
}

// Plain Raft, so that the higher-term RequestVote deposes the leader (check-quorum's lease would
// have it ignored); RaftPreVote.HealthyNodeWithBothExtensionsReportsNothing is the other life.
TEST(RaftInvariants, HealthyNodeThroughAWholeLifeReportsNothing) {
  TestNode n(0, 3, {}, plain_raft());  // every TestNode step already fails the test on any line
  n.elect();
  n.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 1)));
  n.deliver(1, append_ok(1, 2));
  n.fire_timer();
  n.deliver(2, request_vote(5, 2, 2, 1));
  n.restart();
  EXPECT_TRUE(n->check_invariants().empty());
  EXPECT_EQ(n->describe(), "n0 follower t=5 last=2 commit=0");
}

TEST(RaftInvariants, MessagesDescribeThemselves) {
  auto ae = append_entries(3, 0, 12, 2, entries_with_terms({3, 3}), 11);
  EXPECT_EQ(ae->describe(), "AppendEntries t=3 prev=12/2 n=2 commit=11");
  EXPECT_GT(ae->size_bytes(), append_entries(3, 0, 12, 2, {}, 11)->size_bytes());
  EXPECT_EQ(request_vote(3, 1, 12, 2)->describe(), "RequestVote t=3 cand=n1 last=12/2");
  EXPECT_EQ(vote_reply(3, true)->describe(), "RequestVoteReply t=3 granted");
  EXPECT_EQ(append_ok(3, 17)->describe(), "AppendEntriesReply t=3 ok match=17");
  EXPECT_EQ(append_reject(3, 12, 2, 8)->describe(),
            "AppendEntriesReply t=3 reject prev=12 conflict=2@8");
}

}  // namespace
}  // namespace synod::raft
