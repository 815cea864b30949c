// PBS staleness over hand-made histories: fresh, k versions behind, null, writes overlapping in
// time (no order: never stale), and PBS's acknowledgement-order count beside it.
#include <gtest/gtest.h>

#include "analysis/staleness.hpp"

namespace synod::analysis {
namespace {

constexpr Nanos kMs = kNanosPerMilli;

KvOp w(int64_t v, Nanos from, Nanos to) { return {true, "k", v, from * kMs, to * kMs}; }
KvOp r(std::optional<int64_t> v, Nanos from, Nanos to) { return {false, "k", v, from * kMs, to * kMs}; }

TEST(Staleness, CountsVersionsBehindInRealTimeOrder) {
  const std::vector<KvOp> ops = {w(1, 0, 10), w(2, 20, 30), w(3, 40, 50),
                                 r(3, 55, 60),     // fresh
                                 r(2, 56, 61),     // one behind
                                 r(1, 57, 62),     // two behind
                                 r(std::nullopt, 58, 63),  // older than all three
                                 r(1, 5, 8)};      // before any acknowledgement: not measured
  const StalenessReport s = measure_staleness(ops, {0, 10});
  EXPECT_EQ(s.reads, 4u);
  EXPECT_EQ(s.stale, 3u);
  EXPECT_EQ(s.missed_latest, 3u);
  EXPECT_EQ(s.by_versions.at(0), 1u);
  EXPECT_EQ(s.by_versions.at(1), 1u);
  EXPECT_EQ(s.by_versions.at(2), 1u);
  EXPECT_EQ(s.by_versions.at(3), 1u);
  // t is from the last acknowledgement (50 ms): 5..8 ms, all in the first bin [0, 10).
  EXPECT_EQ(s.bins[0].reads, 4u);
  EXPECT_EQ(s.bins[1].reads, 0u);
}

TEST(Staleness, OverlappingWritesHaveNoOrderButPbsCountsByAcknowledgement) {
  // Write 1 and 2 overlap; 2 is acknowledged last. A read returning 1 is not stale in real time
  // (last writer wins may order them either way), but PBS counts it as missing the latest.
  const std::vector<KvOp> ops = {w(1, 0, 20), w(2, 5, 25), r(1, 30, 35)};
  const StalenessReport s = measure_staleness(ops, {0});
  EXPECT_EQ(s.reads, 1u);
  EXPECT_EQ(s.stale, 0u);
  EXPECT_EQ(s.missed_latest, 1u);
}

TEST(Staleness, AValueFromAWriteStillInProgressIsFresh) {
  const std::vector<KvOp> ops = {w(1, 0, 10), w(2, 15, 40), r(2, 20, 25)};
  const StalenessReport s = measure_staleness(ops, {0});
  EXPECT_EQ(s.reads, 1u);
  EXPECT_EQ(s.stale, 0u);
  EXPECT_EQ(s.missed_latest, 0u);
}

TEST(Staleness, BinsByTimeSinceTheAcknowledgement) {
  std::vector<KvOp> ops = {w(1, 0, 10), w(2, 20, 30)};
  ops.push_back(r(1, 31, 32));   // t = 1 ms: stale
  ops.push_back(r(2, 33, 34));   // t = 3 ms: fresh
  ops.push_back(r(1, 45, 46));   // t = 15 ms: stale
  const StalenessReport s = measure_staleness(ops, {0, 2, 10});
  ASSERT_EQ(s.bins.size(), 3u);
  EXPECT_EQ(s.bins[0].reads, 1u);
  EXPECT_EQ(s.bins[0].stale, 1u);
  EXPECT_EQ(s.bins[1].reads, 1u);
  EXPECT_EQ(s.bins[1].stale, 0u);
  EXPECT_EQ(s.bins[2].reads, 1u);
  EXPECT_EQ(s.bins[2].stale, 1u);
}

}  // namespace
}  // namespace synod::analysis
