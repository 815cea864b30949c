// The Raft log over Storage: 1-based indexes, the up-to-date comparison (§5.4.1), and the merge
// that cuts only at a real conflict (§5.3).
#include <gtest/gtest.h>

#include "protocols/raft/log.hpp"
#include "tests/protocols/raft_test_util.hpp"

namespace synod::raft {
namespace {

using testing::entries_with_terms;
using testing::log_terms;
using testing::storage_with;

TEST(RaftLog, IndexesStartAtOneAndIndexZeroHasTermZero) {
  Storage s = storage_with(3, {1, 1, 3});
  Log log(&s);
  EXPECT_EQ(log.last_index(), 3);
  EXPECT_EQ(log.last_term(), 3);
  EXPECT_EQ(log.term_at(0), 0);
  EXPECT_EQ(log.term_at(1), 1);
  EXPECT_EQ(log.at(3).term, 3);
  EXPECT_TRUE(log.matches(0, 0));  // the empty prefix always matches (§5.3)
  EXPECT_TRUE(log.matches(2, 1));
  EXPECT_FALSE(log.matches(2, 3));
  EXPECT_FALSE(log.matches(4, 3));  // beyond the end
}

// §5.4.1: compare last terms first; with equal last terms the longer log is more up-to-date.
TEST(RaftLog, UpToDateComparesLastTermThenLength) {
  Storage s = storage_with(3, {1, 2, 2});
  Log log(&s);
  EXPECT_TRUE(log.is_up_to_date(3, 1));   // higher last term wins even when shorter
  EXPECT_FALSE(log.is_up_to_date(1, 9));  // lower last term loses even when longer
  EXPECT_TRUE(log.is_up_to_date(2, 3));   // same term, same length
  EXPECT_TRUE(log.is_up_to_date(2, 4));
  EXPECT_FALSE(log.is_up_to_date(2, 2));  // same term, shorter
  Storage empty;
  EXPECT_TRUE(Log(&empty).is_up_to_date(0, 0));
}

TEST(RaftLog, TermRunLookupsForFastBackup) {
  Storage s = storage_with(5, {1, 1, 3, 3, 3, 5});
  Log log(&s);
  EXPECT_EQ(log.first_index_of_term(3), 3);
  EXPECT_EQ(log.last_index_of_term(3), 5);
  EXPECT_EQ(log.first_index_of_term(1), 1);
  EXPECT_EQ(log.last_index_of_term(5), 6);
  EXPECT_EQ(log.first_index_of_term(2), 0);
  EXPECT_EQ(log.last_index_of_term(4), 0);
  EXPECT_EQ(log.last_index_of_term(9), 0);
  std::vector<TermRun> runs = {{1, 1, 2}, {3, 3, 5}, {5, 6, 6}};
  EXPECT_EQ(log.runs(), runs);
}

// §5.3, AppendEntries receiver step 3: delete the existing entry and all that follow it only if
// it conflicts (same index, different term).
TEST(RaftLog, MergeCutsAtTheFirstConflictAndAppendsTheRest) {
  Storage s = storage_with(3, {1, 1, 2, 2});
  Log log(&s);
  const uint64_t writes = s.writes;
  Log::MergeResult r = log.merge(2, entries_with_terms({1, 3, 3}, 2));
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.truncated_from, 3);
  EXPECT_EQ(log_terms(s), (std::vector<int64_t>{1, 1, 3, 3}));
  EXPECT_EQ(s.writes, writes + 1);  // the cut and the append are one persistent write
}

// A stale or duplicated AppendEntries carries a prefix of what we hold: it must change nothing,
// in particular not drop the entries a newer message delivered.
TEST(RaftLog, MergeOfAMatchingPrefixKeepsTheLongerLogAndWritesNothing) {
  Storage s = storage_with(2, {1, 1, 2, 2});
  Log log(&s);
  const uint64_t writes = s.writes;
  Log::MergeResult r = log.merge(1, entries_with_terms({1, 1}));
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.truncated_from, 0);
  EXPECT_EQ(log.last_index(), 4);
  EXPECT_EQ(s.writes, writes);
  EXPECT_FALSE(log.merge(5, {}).changed);  // a heartbeat
}

TEST(RaftLog, MergeAppendsPastTheEndAndTracksTheLowestWrittenIndex) {
  Storage s = storage_with(2, {1, 1});
  Log log(&s);
  log.take_lowest_written();
  Log::MergeResult r = log.merge(2, entries_with_terms({1, 2, 2}, 2));
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.truncated_from, 0);
  EXPECT_EQ(log_terms(s), (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(log.take_lowest_written(), 3);  // index 2 matched and was not rewritten
  EXPECT_GT(log.take_lowest_written(), log.last_index());
}

TEST(RaftLog, CopyReturnsAnInclusiveRange) {
  Storage s = storage_with(2, {1, 1, 2, 2});
  Log log(&s);
  std::vector<Entry> c = log.copy(2, 3);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], s.log[1]);
  EXPECT_EQ(c[1], s.log[2]);
  EXPECT_TRUE(log.copy(5, 4).empty());
}

}  // namespace
}  // namespace synod::raft
