// Log replication (Raft §5.3): the consistency check, conflict truncation, harmless stale and
// duplicated messages, fast backup of nextIndex, flow control and heartbeats.
#include <gtest/gtest.h>

#include "tests/protocols/raft_test_util.hpp"

namespace synod::raft {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

// Figure 2, AppendEntries receiver step 2: reply false if the log has no entry at prevLogIndex
// whose term matches prevLogTerm.
TEST(RaftReplication, RejectsWhenPrevLogEntryIsMissingOrDiffers) {
  TestNode n(1, 3, storage_with(2, {1, 1, 2}));
  const auto* r = sent_to<AppendEntriesReply>(n.deliver(0, append_entries(3, 0, 5, 2, {}, 0)), 0);
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->reject_index, 5);
  EXPECT_EQ(r->conflict_term, 0);  // too short: our end is the hint
  EXPECT_EQ(r->conflict_index, 4);

  r = sent_to<AppendEntriesReply>(n.deliver(0, append_entries(3, 0, 3, 3, {}, 0)), 0);
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->conflict_term, 2);  // we hold term 2 there; it starts at index 3
  EXPECT_EQ(r->conflict_index, 3);
  EXPECT_EQ(n.storage.log.size(), 3u);  // a failed check changes nothing
}

// Figure 2, step 3: an existing entry that conflicts with a new one (same index, different
// term) is deleted with all that follow it; step 4: new entries are appended.
TEST(RaftReplication, ConflictingSuffixIsReplacedByTheLeadersEntries) {
  TestNode n(1, 3, storage_with(2, {1, 1, 2, 2}));
  auto incoming = entries_with_terms({3, 3}, 10);
  const Outbox& out = n.deliver(0, append_entries(3, 0, 2, 1, incoming, 0));
  const auto* r = sent_to<AppendEntriesReply>(out, 0);
  ASSERT_TRUE(r->success);
  EXPECT_EQ(r->match_index, 4);
  EXPECT_EQ(log_terms(n.storage), (std::vector<int64_t>{1, 1, 3, 3}));
  EXPECT_EQ(n.storage.log[2], incoming[0]);
}

// The network reorders and duplicates: an older AppendEntries (a prefix of what we already
// hold from the same leader) must not truncate, and its reply only claims what it covers.
TEST(RaftReplication, StaleOrDuplicatedAppendEntriesDoesNotTruncate) {
  TestNode n(1, 3);
  auto all = entries_with_terms({1, 1, 1, 1});
  n.deliver(0, append_entries(1, 0, 0, 0, all, 0));
  ASSERT_EQ(n.storage.log.size(), 4u);
  const uint64_t writes = n.storage.writes;

  auto older = std::vector<Entry>(all.begin(), all.begin() + 2);
  const auto* r =
      sent_to<AppendEntriesReply>(n.deliver(0, append_entries(1, 0, 0, 0, older, 0)), 0);
  EXPECT_TRUE(r->success);
  EXPECT_EQ(r->match_index, 2);
  EXPECT_EQ(n.storage.log.size(), 4u);
  EXPECT_EQ(n.storage.writes, writes);  // nothing new to persist

  n.deliver(0, append_entries(1, 0, 0, 0, all, 0));  // an exact duplicate
  EXPECT_EQ(n.storage.log.size(), 4u);
  EXPECT_EQ(n.storage.writes, writes);
}

// Figure 2: persistent state is updated before responding. When the success reply is in the
// outbox, Storage already holds the entries and the leader's term.
TEST(RaftReplication, EntriesArePersistedBeforeTheSuccessReply) {
  TestNode n(2, 3);
  const Outbox& out = n.deliver(0, append_entries(4, 0, 0, 0, entries_with_terms({4, 4}), 0));
  ASSERT_TRUE(sent_to<AppendEntriesReply>(out, 0)->success);
  EXPECT_EQ(n.storage.current_term, 4);
  EXPECT_EQ(log_terms(n.storage), (std::vector<int64_t>{4, 4}));
  n.restart();
  EXPECT_EQ(n.storage.log.size(), 2u);
  EXPECT_EQ(n->term(), 4);
}

// Figure 2, step 5: commitIndex = min(leaderCommit, index of last new entry). A follower must
// not commit a tail of its own that the message did not vouch for.
TEST(RaftReplication, FollowerCommitIsBoundedByTheEntriesTheMessageCovers) {
  TestNode n(1, 3, storage_with(1, {1, 1, 1, 1}));
  n.deliver(0, append_entries(2, 0, 2, 1, {}, 4));
  EXPECT_EQ(n->commit_index(), 2);
  EXPECT_EQ(n->last_applied(), 2);
  n.deliver(0, append_entries(2, 0, 1, 1, {}, 4));  // older: commit never goes back
  EXPECT_EQ(n->commit_index(), 2);
}

// End of §5.3: the rejection names the conflicting term and its first index; a leader without
// that term jumps back to the follower's first index of it.
TEST(RaftReplication, FastBackupSkipsAConflictingTermTheLeaderDoesNotHave) {
  TestNode leader(0, 3, storage_with(5, {1, 1, 4, 4, 5, 5}));
  leader.elect();  // term 6; the no-op is index 7, nextIndex starts at 7
  TestNode follower(1, 3, storage_with(3, {1, 1, 3, 3, 3, 3, 3}));
  const auto* probe = sent_to<AppendEntries>(leader.out, 1);
  ASSERT_EQ(probe->prev_log_index, 6);
  const Outbox& fout = follower.deliver(0, std::make_shared<AppendEntries>(*probe));
  const auto* reject = sent_to<AppendEntriesReply>(fout, 0);
  ASSERT_FALSE(reject->success);
  EXPECT_EQ(reject->conflict_term, 3);
  EXPECT_EQ(reject->conflict_index, 3);

  const Outbox& lout = leader.deliver(1, std::make_shared<AppendEntriesReply>(*reject));
  const auto* retry = sent_to<AppendEntries>(lout, 1);
  ASSERT_NE(retry, nullptr);
  EXPECT_EQ(retry->prev_log_index, 2);  // one round trip skipped the whole term-3 run
  EXPECT_EQ(retry->prev_log_term, 1);
  EXPECT_EQ(retry->entries.size(), 5u);

  const Outbox& fout2 = follower.deliver(0, std::make_shared<AppendEntries>(*retry));
  ASSERT_TRUE(sent_to<AppendEntriesReply>(fout2, 0)->success);
  EXPECT_EQ(follower.storage.log, leader.storage.log);
}

// End of §5.3: when the leader holds the conflicting term, it resumes after its own last entry
// of that term; when the follower's log is too short, at the follower's end.
TEST(RaftReplication, FastBackupUsesTheLeadersLastEntryOfTheTermOrTheFollowersEnd) {
  TestNode leader(0, 3, storage_with(5, {1, 1, 4, 4, 5, 5}));
  leader.elect();
  const Outbox& a = leader.deliver(1, append_reject(6, 6, 4, 3));
  EXPECT_EQ(sent_to<AppendEntries>(a, 1)->prev_log_index, 4);
  const Outbox& b = leader.deliver(2, append_reject(6, 6, 0, 3));
  EXPECT_EQ(sent_to<AppendEntries>(b, 2)->prev_log_index, 2);
}

// A rejection of an index the follower has since confirmed, or of an older probe, is stale
// (reordered or duplicated) and must not move nextIndex back.
TEST(RaftReplication, StaleRejectionsAreIgnored) {
  TestNode leader(0, 3, storage_with(1, {1, 1, 1}));
  leader.elect();                                // term 2, no-op at 4; probes at prev=3
  leader.deliver(1, append_reject(2, 3, 0, 2));  // current: nextIndex 2
  EXPECT_EQ(sent_to<AppendEntries>(leader.out, 1)->prev_log_index, 1);
  EXPECT_TRUE(leader.deliver(1, append_reject(2, 3, 0, 2)).messages.empty());  // duplicate
  leader.deliver(1, append_ok(2, 4));
  EXPECT_TRUE(leader.deliver(1, append_reject(2, 1, 1, 1)).messages.empty());  // behind match
}

// Replies arrive out of order; matchIndex (and with it the commit index) never moves back.
TEST(RaftReplication, OutOfOrderSuccessRepliesNeverLowerMatchIndex) {
  TestNode leader(0, 3);
  leader.elect();
  leader.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 5)));
  leader.deliver(1, append_ok(1, 2));
  EXPECT_EQ(leader->commit_index(), 2);
  leader.deliver(1, append_ok(1, 1));  // the older reply arrives late
  EXPECT_EQ(leader->commit_index(), 2);
  // check_invariants() (run by deliver) would report a decreased matchIndex.
}

// Flow control: at most max_entries_per_append entries per message; the rest follows each reply.
TEST(RaftReplication, CatchUpSendsAtMostMaxEntriesPerAppend) {
  Config config;
  config.max_entries_per_append = 4;
  Storage s;
  s.current_term = 1;
  s.log = entries_with_terms({1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
  TestNode leader(0, 3, s, config);
  leader.elect();                                 // term 2: 11 entries
  leader.deliver(1, append_reject(2, 10, 0, 1));  // an empty follower
  const auto* first = sent_to<AppendEntries>(leader.out, 1);
  EXPECT_EQ(first->prev_log_index, 0);
  EXPECT_EQ(first->entries.size(), 4u);
  leader.deliver(1, append_ok(2, 4));
  const auto* second = sent_to<AppendEntries>(leader.out, 1);
  EXPECT_EQ(second->prev_log_index, 4);
  EXPECT_EQ(second->entries.size(), 4u);
}

// §5.2: an idle leader sends empty AppendEntries every heartbeat interval; a new entry goes out
// at once to followers that are caught up.
TEST(RaftReplication, LeaderSendsHeartbeatsAndReplicatesNewEntriesImmediately) {
  TestNode leader(0, 3);
  leader.elect();
  leader.deliver(1, append_ok(1, 1));
  leader.deliver(2, append_ok(1, 1));
  const Nanos before = leader.now;
  const Outbox& hb = leader.fire_timer();
  EXPECT_EQ(leader.now - before, leader.config.heartbeat_interval);
  auto beats = sent<AppendEntries>(hb);
  ASSERT_EQ(beats.size(), 2u);
  EXPECT_TRUE(beats[0].second->entries.empty());
  EXPECT_EQ(beats[0].second->prev_log_index, 1);
  EXPECT_EQ(beats[0].second->leader_commit, 1);

  const Outbox& out = leader.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 5)));
  auto appends = sent<AppendEntries>(out);
  ASSERT_EQ(appends.size(), 2u);
  EXPECT_EQ(appends[0].second->entries.size(), 1u);
}

// §5.1: an AppendEntries from a deposed leader is refused with our newer term.
TEST(RaftReplication, StaleLeaderIsRefusedWithTheCurrentTerm) {
  TestNode n(1, 3, storage_with(5, {}));
  const auto* r = sent_to<AppendEntriesReply>(n.deliver(0, append_entries(4, 0, 0, 0, {}, 0)), 0);
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->term, 5);
  EXPECT_EQ(n->leader_hint(), kNoNode);
}

// Reordering tolerance (not in the paper): a pipelined batch that overtook its predecessor is
// held, not rejected, and handled once the predecessor arrives; holding is just a delay (§5.5:
// Raft is safe under any message delay).
TEST(RaftReplication, FollowerHoldsAPipelinedBatchThatOvertookItsPredecessor) {
  TestNode n(1, 3, storage_with(1, {1}));
  auto later = std::static_pointer_cast<const AppendEntries>(
      append_entries(1, 0, 2, 1, entries_with_terms({1}, 3), 0));
  auto held = std::make_shared<AppendEntries>(*later);
  held->pipelined = true;
  EXPECT_TRUE(n.deliver(0, held).messages.empty());  // held: no answer yet
  EXPECT_EQ(n.storage.log.size(), 1u);

  const Outbox& out = n.deliver(0, append_entries(1, 0, 1, 1, entries_with_terms({1}, 2), 0));
  auto replies = sent<AppendEntriesReply>(out);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].second->match_index, 2);
  EXPECT_EQ(replies[1].second->match_index, 3);
  EXPECT_EQ(log_terms(n.storage), (std::vector<int64_t>{1, 1, 1}));
}

// A probe (not pipelined) beyond the log is always answered, so a leader looking for the match
// point never waits on a hold; and held batches die with their term.
TEST(RaftReplication, ProbesAreNeverHeldAndHeldBatchesDieWithTheTerm) {
  TestNode n(1, 3);
  auto held = std::make_shared<AppendEntries>(
      static_cast<const AppendEntries&>(*append_entries(1, 0, 4, 1, entries_with_terms({1}), 0)));
  held->pipelined = true;
  n.deliver(0, held);
  n.now += n.config.election_timeout_min;  // the leader's lease runs out (check-quorum)...
  n.deliver(2, request_vote(2, 2, 0, 0));  // ...so a new term is heard: the hold is emptied
                                           // (checked by check_invariants() inside deliver)
  ASSERT_EQ(n->term(), 2);
  // The term-1 leader's gap filler is refused, and nothing held is replayed.
  const Outbox& out = n.deliver(0, append_entries(1, 0, 0, 0, entries_with_terms({1, 1, 1, 1}), 0));
  EXPECT_EQ(sent<AppendEntriesReply>(out).size(), 1u);
  EXPECT_TRUE(n.storage.log.empty());
}

// A batch unanswered for a heartbeat interval is presumed lost (or its answer is); the next
// heartbeat sends everything from matchIndex + 1 again.
TEST(RaftReplication, LeaderResendsUnacknowledgedEntriesAfterAHeartbeatInterval) {
  TestNode leader(0, 3);
  leader.elect();
  leader.deliver(1, append_ok(1, 1));  // n1 now pipelining
  const Outbox& first = leader.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 5)));
  ASSERT_EQ(sent_to<AppendEntries>(first, 1)->entries.size(), 1u);
  const Outbox& hb = leader.fire_timer();
  const auto* again = sent_to<AppendEntries>(hb, 1);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->prev_log_index, 1);
  EXPECT_EQ(again->entries.size(), 1u);
}

}  // namespace
}  // namespace synod::raft
