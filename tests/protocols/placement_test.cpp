// Key placement against theory: the share of keys that move when a 10th node joins 9 (modulo
// 1 − 1/10, consistent hashing and rendezvous 1/10), and how virtual nodes even the load.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "protocols/placement/placement.hpp"
#include "protocols/placement/range.hpp"

namespace synod::placement {
namespace {

std::vector<std::string> keys(int n) {
  std::vector<std::string> k;
  for (int i = 0; i < n; ++i) k.push_back(fmt::format("k{}", i));
  return k;
}

const std::vector<NodeId> kNine = {0, 1, 2, 3, 4, 5, 6, 7, 8};

double moved_on_join(const std::string& scheme, int vnodes, int n = 1) {
  auto before = make_placement(scheme, kNine, vnodes);
  auto after = make_placement(scheme, kNine, vnodes);
  after->add_node(9);
  const double moved = moved_fraction(*before, *after, keys(100'000), n);
  std::printf("%s (%d vnodes): %.4f of 100k keys moved when a 10th node joined 9\n", scheme.c_str(),
              vnodes, moved);
  return moved;
}

TEST(Placement, HashIsFixedAcrossPlatforms) {
  // The values are this file's contract: a placement must not change with the standard library.
  EXPECT_EQ(hash64(""), mix64(0xcbf29ce484222325ULL));
  EXPECT_NE(hash64("k1"), hash64("k2"));
  EXPECT_EQ(hash64("k1"), hash64(std::string("k1")));
}

TEST(Placement, ModuloMovesNineTenthsWhenATenthNodeJoins) {
  // A key stays only if h mod 9 == h mod 10: 9 of every 90 residues mod 90, so 1/10 stay.
  EXPECT_NEAR(moved_on_join("modulo", 0), 0.9, 0.01);
}

TEST(Placement, ConsistentHashingMovesAboutOneTenth) {
  // The new node takes about 1/10 of the ring; with v vnodes its share has a relative spread of
  // about 1/sqrt(v), hence the ±3 points from 100 vnodes on.
  for (int v : {100, 1000}) EXPECT_NEAR(moved_on_join("consistent", v), 0.10, 0.03) << v << " vnodes";
}

TEST(Placement, RendezvousMovesExactlyTheKeysTheNewNodeWins) {
  // Each key moves iff the new node's weight is the highest of 10: probability 1/10 (binomial
  // spread on 100k keys: 0.1 points).
  EXPECT_NEAR(moved_on_join("rendezvous", 0), 0.10, 0.005);
}

TEST(Placement, AJoinMovesKeysOnlyToTheNewNodeAndALeaveOnlyFromTheLeaver) {
  for (const std::string scheme : {"consistent", "rendezvous"}) {
    auto before = make_placement(scheme, kNine, 100);
    auto after = make_placement(scheme, kNine, 100);
    after->add_node(9);
    auto left = make_placement(scheme, kNine, 100);
    left->remove_node(4);
    for (const std::string& k : keys(20'000)) {
      const NodeId was = before->owner(k);
      if (after->owner(k) != was) {
        EXPECT_EQ(after->owner(k), 9) << scheme << " " << k;
      }
      if (left->owner(k) != was) {
        EXPECT_EQ(was, 4) << scheme << " " << k;
      }
    }
  }
}

TEST(Placement, ReplicaSetsAreDistinctNodesOwnerFirst) {
  for (const std::string scheme : {"modulo", "consistent", "rendezvous"}) {
    auto p = make_placement(scheme, kNine, 50);
    for (const std::string& k : keys(1000)) {
      const auto r = p->replicas(k, 3);
      ASSERT_EQ(r.size(), 3u);
      EXPECT_EQ(r[0], p->owner(k));
      EXPECT_NE(r[0], r[1]);
      EXPECT_NE(r[1], r[2]);
      EXPECT_NE(r[0], r[2]);
    }
    EXPECT_EQ(p->replicas("k1", 20).size(), 9u) << "asked for more replicas than nodes";
  }
  EXPECT_EQ(make_placement("ring", kNine), nullptr);
}

TEST(Placement, VirtualNodesEvenTheLoad) {
  // Ten nodes, v points each: a node's share of the ring is a sum of v exponential arcs, so its
  // relative spread is 1/sqrt(v); the most loaded of ten sits near 1 + 1.54/sqrt(v) for large v,
  // and near H_10 = 2.93 times the mean for v = 1.
  const std::vector<NodeId> ten = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  const auto k = keys(100'000);
  double previous = 1e9;
  for (int v : {1, 10, 100, 1000}) {
    const double imbalance = load_imbalance(ConsistentHashPlacement(ten, v), k);
    std::printf("vnodes %4d: max/mean %.3f (large-v estimate %.3f)\n", v, imbalance,
                1 + 1.54 / std::sqrt(v));
    EXPECT_LT(imbalance, previous) << v << " vnodes";
    previous = imbalance;
  }
  EXPECT_LT(previous, 1.10);  // 1000 vnodes
  const double rendezvous = load_imbalance(RendezvousPlacement(ten), k);
  std::printf("rendezvous: max/mean %.3f\n", rendezvous);
  EXPECT_LT(rendezvous, 1.05);  // multinomial: 10k keys per node, 1% spread
}

}  // namespace
}  // namespace synod::placement

namespace synod::placement {
namespace {

std::vector<std::string> range_keys(size_t n) {
  std::vector<std::string> keys;
  for (size_t k = 0; k < n; ++k) keys.push_back("user" + std::to_string(mix64(k) % 100000000));
  return keys;
}

TEST(RangePlacement, ShardsSplitAtTheThresholdAndCoverTheKeySpaceInOrder) {
  RangePlacement p({0, 1, 2, 3, 4}, 3, 1000);
  const auto keys = range_keys(20000);
  for (const auto& k : keys) p.insert(k);
  const auto& shards = p.shards();
  EXPECT_GE(shards.size(), 20u);
  EXPECT_EQ(p.splits(), shards.size() - 1);
  size_t total = 0;
  for (size_t i = 0; i < shards.size(); ++i) {
    const Shard& s = shards[i];
    EXPECT_LE(s.keys.size(), 1000u);
    EXPECT_GE(s.keys.size(), 250u) << "a split leaves halves of ~500 keys";
    if (i > 0) {
      EXPECT_EQ(s.lo, shards[i - 1].hi);
    }
    for (const auto& k : s.keys) {
      EXPECT_GE(k, s.lo);
      if (!s.hi.empty()) {
        EXPECT_LT(k, s.hi);
      }
    }
    std::set<NodeId> distinct(s.replicas.begin(), s.replicas.end());
    EXPECT_EQ(distinct.size(), 3u);
    total += s.keys.size();
  }
  EXPECT_EQ(shards.front().lo, "");
  EXPECT_EQ(shards.back().hi, "");
  EXPECT_EQ(total, std::set<std::string>(keys.begin(), keys.end()).size());
  // The rebalancer keeps replicas even: max within one... of the mean plus a little.
  size_t max = 0, sum = 0;
  for (const auto& [n, c] : p.replicas_per_node()) max = std::max(max, c), sum += c;
  EXPECT_LE(static_cast<double>(max), 1.1 * static_cast<double>(sum) / 5 + 1);
}

TEST(RangePlacement, AJoinTakesItsShareAndALeaveHandsEverythingOn) {
  RangePlacement p({0, 1, 2, 3, 4, 5, 6, 7, 8}, 3, 500);
  for (const auto& k : range_keys(50000)) p.insert(k);
  const size_t replicas = p.shards().size() * 3;
  const size_t moves_before = p.replica_moves();
  p.add_node(9);
  const auto load = p.replicas_per_node();
  // The 10th node ends near a tenth of the replicas, taken from the others: about R/10 moves.
  EXPECT_NEAR(static_cast<double>(load.at(9)), replicas / 10.0, 1.0);
  EXPECT_NEAR(static_cast<double>(p.replica_moves() - moves_before), replicas / 10.0, 1.0);
  p.remove_node(4);
  for (const Shard& s : p.shards()) {
    EXPECT_EQ(std::count(s.replicas.begin(), s.replicas.end(), 4), 0);
    EXPECT_EQ(s.replicas.size(), 3u);
    EXPECT_EQ(std::set<NodeId>(s.replicas.begin(), s.replicas.end()).size(), 3u);
  }
  EXPECT_GT(p.keys_copied(), 0u);
}

}  // namespace
}  // namespace synod::placement
