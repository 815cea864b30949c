// Commitment and apply (Raft §5.3, §5.4.2, Figure 8), and the volatile commit state across a
// restart (Figure 2: commitIndex and lastApplied are volatile).
#include <gtest/gtest.h>

#include "tests/protocols/raft_test_util.hpp"

namespace synod::raft {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

// §5.4.2 and Figure 8: n0 led term 2 and wrote index 2 there; now leader of term 4, it learns
// that index 2 is on a majority (n0, n1, n2). That must NOT commit it: a server that never got it
// could still be elected with a term-3 entry at index 2 and overwrite it (Figure 8 (d)). Index 2
// commits only together with an entry of term 4 (here the §8 no-op at index 3).
TEST(RaftCommit, Figure8OldTermEntryOnAMajorityIsNotCommittedByCounting) {
  TestNode leader(0, 5, storage_with(3, {1, 2}));
  leader.elect();  // term 4; its log is {1, 2, 4(no-op)}
  ASSERT_EQ(leader->term(), 4);
  leader.deliver(1, append_ok(4, 2));
  leader.deliver(2, append_ok(4, 2));
  EXPECT_EQ(leader->commit_index(), 0);
  EXPECT_EQ(count_events(leader.out, EventType::Commit), 0);
  // A heartbeat must not carry the old-term entry as committed either.
  leader.fire_timer();
  for (const auto& [to, m] : sent<AppendEntries>(leader.out)) EXPECT_EQ(m->leader_commit, 0);

  leader.deliver(1, append_ok(4, 3));
  EXPECT_EQ(leader->commit_index(), 0);  // the term-4 entry is on 2 of 5
  const Outbox& out = leader.deliver(2, append_ok(4, 3));
  EXPECT_EQ(leader->commit_index(), 3);  // on 3 of 5: commits indexes 1..3 at once
  EXPECT_EQ(leader->last_applied(), 3);
  ASSERT_EQ(count_events(out, EventType::Commit), 1);
  EXPECT_EQ(count_events(out, EventType::Apply), 3);
}

// Figure 2, Leaders: commitIndex = the highest N with matchIndex >= N on a majority and
// log[N].term == currentTerm; followers learn it from leaderCommit.
TEST(RaftCommit, LeaderCommitsOnAMajorityAndFollowersLearnIt) {
  TestNode leader(0, 5);
  leader.elect();
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    leader.deliver(kClient, client_request(cmd(1, seq, OpType::Write, static_cast<int64_t>(seq))));
  }
  leader.deliver(3, append_ok(1, 4));
  leader.deliver(4, append_ok(1, 2));
  EXPECT_EQ(leader->commit_index(), 2);  // {4, 4, 2, 0, 0}: index 2 is on three
  leader.deliver(1, append_ok(1, 3));
  EXPECT_EQ(leader->commit_index(), 3);
  EXPECT_EQ(leader->state_machine().get("x"), std::optional<int64_t>(2));

  TestNode follower(1, 5);
  follower.deliver(0, append_entries(1, 0, 0, 0, leader.storage.log, 3));
  EXPECT_EQ(follower->commit_index(), 3);
  EXPECT_EQ(follower->state_machine().get("x"), std::optional<int64_t>(2));
}

// Apply events come once per entry, in index order, naming no-ops as such.
TEST(RaftCommit, ApplyEventsFollowTheLogInOrder) {
  TestNode n(1, 3);
  std::vector<Entry> entries = {entry(1, cmd(1, 1, OpType::Write, 5)),
                                entry(1, cmd(1, 2, OpType::Read))};
  Entry noop;
  noop.term = 1;
  noop.noop = true;
  entries.insert(entries.begin(), noop);
  const Outbox& out = n.deliver(0, append_entries(1, 0, 0, 0, entries, 3));
  std::vector<std::string> applied;
  for (const auto& e : out.events) {
    if (e.type == EventType::Apply) applied.push_back(std::to_string(e.index) + " " + e.command);
  }
  EXPECT_EQ(applied, (std::vector<std::string>{"1 noop", "2 c1#1 write x 5", "3 c1#2 read x"}));
}

// Figure 2: commitIndex and lastApplied are volatile. A restarted node starts them at 0, with an
// empty state machine, and re-applies its log (once) as the leader tells it the commit index.
TEST(RaftCommit, RestartReappliesTheLogOnceTheCommitIndexIsLearnedAgain) {
  TestNode n(1, 3);
  auto entries = entries_with_terms({1, 1, 1});
  n.deliver(0, append_entries(1, 0, 0, 0, entries, 3));
  ASSERT_EQ(n->last_applied(), 3);
  const auto before = n->state_machine().data();

  n.restart();
  EXPECT_EQ(n->commit_index(), 0);
  EXPECT_EQ(n->last_applied(), 0);
  EXPECT_TRUE(n->state_machine().data().empty());
  const Outbox& out = n.deliver(0, append_entries(1, 0, 3, 1, {}, 3));
  EXPECT_EQ(n->commit_index(), 3);
  EXPECT_EQ(count_events(out, EventType::Apply), 3);
  EXPECT_EQ(n->state_machine().data(), before);
  EXPECT_EQ(count_events(n.deliver(0, append_entries(1, 0, 3, 1, {}, 3)), EventType::Apply), 0);
}

// A restarted single-node cluster re-elects itself and its no-op commits the whole old log.
TEST(RaftCommit, RestartedSingleNodeReappliesEverything) {
  TestNode n(0, 1);
  n.fire_timer();
  n.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 8)));
  n.restart();
  EXPECT_EQ(n->state_machine().get("x"), std::nullopt);
  n.fire_timer();
  EXPECT_EQ(n->role(), Role::Leader);
  EXPECT_EQ(n->commit_index(), 3);
  EXPECT_EQ(n->state_machine().get("x"), std::optional<int64_t>(8));
}

}  // namespace
}  // namespace synod::raft
