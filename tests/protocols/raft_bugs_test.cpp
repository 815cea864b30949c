// The bug knobs do what their names say, on one node (protocols/raft/raft_node.hpp, Bugs). Each
// test shows the correct rule with the knob off and the mistake with it on. Whether synod's checks
// catch the mistake in whole runs is tests/sim/bugs_test.cpp's question.
#include <gtest/gtest.h>

#include "tests/protocols/raft_test_util.hpp"

namespace synod::raft {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

Config with_bug(bool Bugs::*flag, bool on) {
  Config c;
  c.bugs.*flag = on;
  return c;
}

// Figure 8: a leader of term 3 holding an entry of term 2 on a majority must not count it as
// committed; with the knob it does (and it appended no no-op that would have hidden the question).
TEST(RaftBugs, Figure8CommitsAnEarlierTermsEntryByCounting) {
  for (bool on : {false, true}) {
    SCOPED_TRACE(on ? "figure8 on" : "off");
    TestNode n(0, 3, storage_with(2, {1, 2}), with_bug(&Bugs::figure8, on));
    n.elect();
    ASSERT_EQ(n->term(), 3);
    EXPECT_EQ(n->storage().log.size(), on ? 2u : 3u) << "the no-op";
    n.deliver(1, append_ok(3, 2));  // peer 1 holds index 2 (term 2): a majority with us
    EXPECT_EQ(n->commit_index(), on ? 2 : 0);
  }
}

// A reordered older AppendEntries (entries 1..1) arriving after a newer one (1..3): a correct
// follower keeps 2 and 3, which match; with truncate-suffix it drops them though it acked them.
TEST(RaftBugs, TruncateSuffixDropsAcknowledgedEntriesOnALateOlderAppend) {
  for (bool on : {false, true}) {
    SCOPED_TRACE(on ? "truncate-suffix on" : "off");
    TestNode n(1, 3, {}, with_bug(&Bugs::truncate_suffix, on));
    n.deliver(0, append_entries(4, 0, 0, 0, entries_with_terms({4, 4, 4}), 0));
    ASSERT_EQ(n->storage().log.size(), 3u);
    n.deliver(0, append_entries(4, 0, 0, 0, entries_with_terms({4}), 0));
    EXPECT_EQ(n->storage().log.size(), on ? 1u : 3u);
  }
}

TEST(RaftBugs, ForgetVoteVotesAgainInTheSameTermAfterARestart) {
  for (bool on : {false, true}) {
    SCOPED_TRACE(on ? "forget-vote on" : "off");
    TestNode n(1, 3, {}, with_bug(&Bugs::forget_vote, on));
    n.deliver(0, request_vote(5, 0, 0, 0));
    ASSERT_EQ(n.storage.voted_for, 0);
    n.restart();
    n.deliver(2, request_vote(5, 2, 0, 0));
    EXPECT_EQ(n.storage.voted_for, on ? 2 : 0);
  }
}

TEST(RaftBugs, VoteTwiceGrantsASecondVoteInATermAndTheNodesOwnCheckSaysSo) {
  for (bool on : {false, true}) {
    SCOPED_TRACE(on ? "vote-twice on" : "off");
    TestNode n(1, 3, {}, with_bug(&Bugs::vote_twice, on));
    n.deliver(0, request_vote(5, 0, 0, 0));
    // Delivered by hand: the harness would fail the test on the invariant the knob breaks.
    Outbox out;
    n->on_message(n.now, 2, *request_vote(5, 2, 0, 0), out);
    EXPECT_EQ(n.storage.voted_for, on ? 2 : 0);
    const std::vector<std::string> v = n->check_invariants();
    EXPECT_EQ(v.size(), on ? 1u : 0u);
    if (on) {
      EXPECT_NE(v[0].find("vote changed within the term"), std::string::npos) << v[0];
    }
  }
}

TEST(RaftBugs, SkipLogCheckVotesForACandidateWhoseLogIsBehind) {
  for (bool on : {false, true}) {
    SCOPED_TRACE(on ? "skip-log-check on" : "off");
    TestNode n(1, 3, storage_with(4, {1, 4}), with_bug(&Bugs::skip_log_check, on));
    n.deliver(2, request_vote(5, 2, 1, 1));  // its log ends at term 1: behind ours
    EXPECT_EQ(n.storage.voted_for, on ? 2 : kNoNode);
  }
}

}  // namespace
}  // namespace synod::raft
