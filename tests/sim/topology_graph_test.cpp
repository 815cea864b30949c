// Topology graphs and their latency matrices on small hand-computable examples, the seeded
// sampling of link latencies, a property test of the matrix against Floyd–Warshall, and the
// partition helpers. No SimGrid here (see topology_platform_test.cpp).
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "protocols/common/rng.hpp"
#include "sim/engine/topology.hpp"

namespace synod::sim {
namespace {

constexpr Nanos kMs = kNanosPerMilli;

LatencyDist constant(Nanos ns) { return {LatencyDist::Kind::Constant, ns, ns}; }
LatencyDist uniform(Nanos lo, Nanos hi) { return {LatencyDist::Kind::Uniform, lo, hi}; }

ClusterSpec spec_of(int n, Topology kind, LatencyDist latency = constant(kMs)) {
  ClusterSpec spec;
  for (int i = 1; i <= n; ++i) spec.node_names.push_back("n" + std::to_string(i));
  spec.topology = kind;
  spec.latency = latency;
  return spec;
}

Nanos path_sum(const TopologyGraph& t, int a, int b) {
  Nanos sum = 0;
  for (int l : t.path_links(a, b)) sum += t.links[static_cast<size_t>(l)].latency_ns;
  return sum;
}

// Every topology: diagonal 0, symmetric, and each pair's chosen path adds up to its latency.
void expect_consistent(const TopologyGraph& t) {
  ASSERT_EQ(t.latency.size(), static_cast<size_t>(t.n_nodes * t.n_nodes));
  for (int a = 0; a < t.n_nodes; ++a) {
    EXPECT_EQ(t.latency_ns(a, a), 0);
    for (int b = 0; b < t.n_nodes; ++b) {
      EXPECT_EQ(t.latency_ns(a, b), t.latency_ns(b, a)) << a << "," << b;
      EXPECT_EQ(path_sum(t, a, b), t.latency_ns(a, b)) << a << "," << b;
    }
  }
}

TEST(TopologyFull, ConstantLatencyOnEveryPair) {
  const TopologyGraph t = build_topology(spec_of(4, Topology::Full, constant(3 * kMs)), 1);
  EXPECT_EQ(t.n_nodes, 4);
  EXPECT_EQ(t.n_vertices(), 4);
  EXPECT_EQ(t.links.size(), 6u);
  EXPECT_EQ(boost::num_edges(t.graph), 6u);
  EXPECT_EQ(t.links[0].name, "n1-n2");
  for (int a = 0; a < 4; ++a) {
    for (int b = 0; b < 4; ++b) EXPECT_EQ(t.latency_ns(a, b), a == b ? 0 : 3 * kMs);
  }
  EXPECT_EQ(t.path_links(0, 3).size(), 1u);
  expect_consistent(t);
}

TEST(TopologyStar, PairCrossesTwoLinksThroughTheHub) {
  const TopologyGraph t = build_topology(spec_of(4, Topology::Star, constant(2 * kMs)), 1);
  EXPECT_EQ(t.n_vertices(), 5);  // the hub is vertex 4
  EXPECT_EQ(t.graph[4].name, "hub");
  EXPECT_EQ(t.links.size(), 4u);
  EXPECT_EQ(t.links[2].name, "n3-hub");
  EXPECT_EQ(t.latency_ns(0, 1), 4 * kMs);
  EXPECT_EQ(t.latency_ns(2, 3), 4 * kMs);
  EXPECT_EQ(t.path_vertices(0, 1), (std::vector<int>{0, 4, 1}));
  EXPECT_EQ(t.path_links(0, 1), (std::vector<int>{0, 1}));
  expect_consistent(t);
}

TEST(TopologyStar, UniformLinksAddUp) {
  const TopologyGraph t = build_topology(spec_of(5, Topology::Star, uniform(kMs, 9 * kMs)), 7);
  for (int a = 0; a < 5; ++a) {
    for (int b = 0; b < 5; ++b) {
      if (a == b) continue;
      EXPECT_EQ(t.latency_ns(a, b), t.links[static_cast<size_t>(a)].latency_ns +
                                        t.links[static_cast<size_t>(b)].latency_ns);
    }
  }
  expect_consistent(t);
}

TEST(TopologyRing, FiveNodesTakeTheShortWayRound) {
  const TopologyGraph t = build_topology(spec_of(5, Topology::Ring, constant(kMs)), 1);
  EXPECT_EQ(t.links.size(), 5u);
  EXPECT_EQ(t.links[4].name, "n5-n1");
  EXPECT_EQ(t.latency_ns(0, 1), 1 * kMs);
  EXPECT_EQ(t.latency_ns(0, 2), 2 * kMs);
  EXPECT_EQ(t.latency_ns(0, 3), 2 * kMs);  // n1-n5-n4, not n1-n2-n3-n4
  EXPECT_EQ(t.latency_ns(0, 4), 1 * kMs);
  EXPECT_EQ(t.latency_ns(1, 4), 2 * kMs);
  EXPECT_EQ(t.path_vertices(0, 3), (std::vector<int>{0, 4, 3}));
  expect_consistent(t);
}

TEST(TopologyRing, UniformLinksPickTheCheaperDirection) {
  const TopologyGraph t = build_topology(spec_of(6, Topology::Ring, uniform(kMs, 20 * kMs)), 3);
  auto link = [&](int i) { return t.links[static_cast<size_t>(i)].latency_ns; };
  // n1 → n4: clockwise over links 0,1,2 or counter-clockwise over links 5,4,3.
  EXPECT_EQ(t.latency_ns(0, 3), std::min(link(0) + link(1) + link(2), link(5) + link(4) + link(3)));
  expect_consistent(t);
}

TEST(TopologyRing, TinyRings) {
  const TopologyGraph two = build_topology(spec_of(2, Topology::Ring, constant(kMs)), 1);
  EXPECT_EQ(two.links.size(), 1u);
  EXPECT_EQ(two.latency_ns(0, 1), kMs);
  const TopologyGraph one = build_topology(spec_of(1, Topology::Ring, constant(kMs)), 1);
  EXPECT_TRUE(one.links.empty());
  EXPECT_EQ(one.latency, (std::vector<Nanos>{0}));
  EXPECT_EQ(one.path_links(0, 0), std::vector<int>{});
}

ClusterSpec two_regions() {
  ClusterSpec spec = spec_of(5, Topology::Regions);
  spec.regions = {{"eu", {0, 1, 2}, constant(1 * kMs)}, {"us", {3, 4}, constant(2 * kMs)}};
  spec.wan_latency = constant(50 * kMs);
  return spec;
}

TEST(TopologyRegions, MeshInsideWanAcross) {
  const TopologyGraph t = build_topology(two_regions(), 1);
  EXPECT_EQ(t.n_vertices(), 5);  // no gateway vertices
  EXPECT_EQ(t.links.size(), 10u);
  EXPECT_EQ(t.latency_ns(0, 1), 1 * kMs);
  EXPECT_EQ(t.latency_ns(1, 2), 1 * kMs);
  EXPECT_EQ(t.latency_ns(3, 4), 2 * kMs);
  EXPECT_EQ(t.latency_ns(0, 3), 50 * kMs);
  EXPECT_EQ(t.latency_ns(2, 4), 50 * kMs);
  expect_consistent(t);
}

TEST(TopologyRegions, RejectsNodesInNoRegionOrTwo) {
  ClusterSpec missing = two_regions();
  missing.regions[1].nodes = {3};
  try {
    build_topology(missing, 1);
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("n5 is in no region"), std::string::npos) << e.what();
  }
  ClusterSpec twice = two_regions();
  twice.regions[1].nodes = {2, 3, 4};
  EXPECT_THROW(build_topology(twice, 1), std::invalid_argument);
}

TEST(TopologyEdges, DijkstraFindsTheCheaperDetour) {
  ClusterSpec spec = spec_of(4, Topology::Edges);
  spec.edges = {{0, 3, 100 * kMs}, {0, 1, 10 * kMs}, {1, 3, 20 * kMs}, {2, 3, 5 * kMs},
                {2, 3, 3 * kMs}};
  const TopologyGraph t = build_topology(spec, 1);
  EXPECT_EQ(t.latency_ns(0, 3), 30 * kMs);  // n1-n2-n4 beats the 100 ms direct link
  EXPECT_EQ(t.path_links(0, 3), (std::vector<int>{1, 2}));
  EXPECT_EQ(t.latency_ns(2, 3), 3 * kMs);  // the faster of two parallel links
  EXPECT_EQ(t.path_links(2, 3), (std::vector<int>{4}));
  EXPECT_EQ(t.links[3].name, "n3-n4");
  EXPECT_EQ(t.links[4].name, "n3-n4#2");
  EXPECT_EQ(t.latency_ns(0, 2), 33 * kMs);  // n1-n2-n4-n3
  expect_consistent(t);
}

TEST(TopologyEdges, RejectsADisconnectedGraph) {
  ClusterSpec spec = spec_of(4, Topology::Edges);
  spec.edges = {{0, 1, kMs}, {2, 3, kMs}};
  try {
    build_topology(spec, 1);
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("does not connect n1 and n3"), std::string::npos)
        << e.what();
  }
}

TEST(TopologyEdges, RejectsBadEdges) {
  ClusterSpec self = spec_of(2, Topology::Edges);
  self.edges = {{0, 0, kMs}, {0, 1, kMs}};
  EXPECT_THROW(build_topology(self, 1), std::invalid_argument);
  ClusterSpec range = spec_of(2, Topology::Edges);
  range.edges = {{0, 2, kMs}};
  EXPECT_THROW(build_topology(range, 1), std::invalid_argument);
}

TEST(Topology, PlatformAndEmptyAreNotBuilt) {
  EXPECT_THROW(build_topology(spec_of(3, Topology::Platform), 1), std::invalid_argument);
  EXPECT_THROW(build_topology(spec_of(0, Topology::Full), 1), std::invalid_argument);
  EXPECT_THROW(build_topology(spec_of(3, Topology::Full, uniform(5 * kMs, kMs)), 1),
               std::invalid_argument);
}

TEST(TopologySampling, UniformIsDeterministicPerSeedAndInRange) {
  const ClusterSpec spec = spec_of(8, Topology::Full, uniform(2 * kMs, 8 * kMs));
  const TopologyGraph a = build_topology(spec, 42);
  const TopologyGraph b = build_topology(spec, 42);
  const TopologyGraph c = build_topology(spec, 43);
  std::vector<Nanos> la, lb, lc;
  for (const auto& l : a.links) la.push_back(l.latency_ns);
  for (const auto& l : b.links) lb.push_back(l.latency_ns);
  for (const auto& l : c.links) lc.push_back(l.latency_ns);
  EXPECT_EQ(la, lb);
  EXPECT_EQ(a.latency, b.latency);
  EXPECT_NE(la, lc);
  for (Nanos v : la) {
    EXPECT_GE(v, 2 * kMs);
    EXPECT_LE(v, 8 * kMs);
  }
  EXPECT_NE(*std::min_element(la.begin(), la.end()), *std::max_element(la.begin(), la.end()));
  // The documented draw order: links of pairs (a, b), a < b, from the "topology" stream.
  Rng rng = Rng::stream(42, "topology");
  for (Nanos v : la) EXPECT_EQ(v, rng.between(2 * kMs, 8 * kMs));
  for (int x = 0; x < 8; ++x) {
    for (int y = 0; y < 8; ++y) {
      if (x == y) continue;
      EXPECT_GE(a.latency_ns(x, y), 2 * kMs);
      EXPECT_LE(a.latency_ns(x, y), 8 * kMs);
    }
  }
  expect_consistent(a);
}

TEST(TopologySampling, ConstantDrawsNothing) {
  Rng used = Rng::stream(5, "x");
  Rng untouched = Rng::stream(5, "x");
  EXPECT_EQ(sample_latency(constant(4 * kMs), used), 4 * kMs);
  EXPECT_EQ(used.next_u64(), untouched.next_u64());
}

// Naive all-pairs shortest paths over the links, for the property tests below.
std::vector<Nanos> floyd_warshall(const TopologyGraph& t) {
  const int nv = t.n_vertices();
  const Nanos inf = kNever / 4;
  std::vector<Nanos> d(static_cast<size_t>(nv * nv), inf);
  auto at = [&](int a, int b) -> Nanos& { return d[static_cast<size_t>(a * nv + b)]; };
  for (int a = 0; a < nv; ++a) at(a, a) = 0;
  for (const auto& l : t.links) {
    at(l.u, l.v) = std::min(at(l.u, l.v), l.latency_ns);
    at(l.v, l.u) = std::min(at(l.v, l.u), l.latency_ns);
  }
  for (int k = 0; k < nv; ++k) {
    for (int a = 0; a < nv; ++a) {
      for (int b = 0; b < nv; ++b) at(a, b) = std::min(at(a, b), at(a, k) + at(k, b));
    }
  }
  std::vector<Nanos> nodes_only;
  for (int a = 0; a < t.n_nodes; ++a) {
    for (int b = 0; b < t.n_nodes; ++b) nodes_only.push_back(at(a, b));
  }
  return nodes_only;
}

// Property: the matrix equals Floyd–Warshall on random connected edge lists, sparse and dense
// (build_topology switches between Boost's Dijkstra and a matrix Dijkstra by density).
TEST(TopologyEdges, MatrixMatchesFloydWarshall) {
  Rng rng(2024);
  for (int round = 0; round < 80; ++round) {
    const int n = 2 + static_cast<int>(rng.below(11));
    ClusterSpec spec = spec_of(n, Topology::Edges);
    for (int v = 1; v < n; ++v) {  // a random spanning tree keeps it connected
      spec.edges.push_back({static_cast<int>(rng.below(static_cast<uint64_t>(v))), v,
                            rng.between(0, 50) * kNanosPerMicro});
    }
    const int extra = static_cast<int>(rng.below(static_cast<uint64_t>(n * n)));
    for (int e = 0; e < extra; ++e) {
      const int a = static_cast<int>(rng.below(static_cast<uint64_t>(n)));
      const int b = static_cast<int>(rng.below(static_cast<uint64_t>(n)));
      if (a != b) spec.edges.push_back({a, b, rng.between(0, 50) * kNanosPerMicro});
    }
    const TopologyGraph t = build_topology(spec, 1);
    ASSERT_EQ(t.latency, floyd_warshall(t)) << "round " << round;
    expect_consistent(t);
  }
}

// Forwarding kinds (star, ring) match Floyd–Warshall; meshes (full, regions) keep each pair on its
// own link even where Floyd–Warshall finds a faster detour, which the wide draws here produce.
TEST(TopologySampling, ForwardingKindsTakeShortestPathsMeshesTheirOwnLink) {
  int detours_declined = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const LatencyDist wide = uniform(kNanosPerMicro, 20 * kMs);
    ClusterSpec regions = spec_of(9, Topology::Regions);
    regions.regions = {{"a", {0, 3, 6}, wide}, {"b", {1, 4, 7}, constant(kMs)}, {"c", {2, 5, 8}, wide}};
    regions.wan_latency = uniform(5 * kMs, 30 * kMs);
    for (const ClusterSpec& spec : {spec_of(12, Topology::Full, wide), spec_of(9, Topology::Star, wide),
                                    spec_of(10, Topology::Ring, wide), regions}) {
      const TopologyGraph t = build_topology(spec, seed);
      const std::vector<Nanos> shortest = floyd_warshall(t);
      expect_consistent(t);
      if (spec.topology == Topology::Star || spec.topology == Topology::Ring) {
        ASSERT_EQ(t.latency, shortest) << "kind " << static_cast<int>(spec.topology) << " seed " << seed;
        continue;
      }
      for (const TopoLink& link : t.links) {
        ASSERT_EQ(t.latency_ns(link.u, link.v), link.latency_ns) << link.name << " seed " << seed;
        ASSERT_EQ(t.path_links(link.u, link.v).size(), 1u) << link.name;
        if (shortest[static_cast<size_t>(link.u * t.n_nodes + link.v)] < link.latency_ns) {
          ++detours_declined;
        }
      }
    }
  }
  EXPECT_GT(detours_declined, 0);  // the test would not show the rule otherwise
}

TEST(TopologyRegions, CrossRegionPairsUseTheirOwnWanLink) {
  ClusterSpec spec = two_regions();
  spec.wan_latency = uniform(40 * kMs, 80 * kMs);
  const TopologyGraph t = build_topology(spec, 17);
  for (const TopoLink& link : t.links) {
    EXPECT_EQ(t.latency_ns(link.u, link.v), link.latency_ns) << link.name;
    const bool cross = (link.u < 3) != (link.v < 3);
    if (cross) {
      EXPECT_GE(link.latency_ns, 40 * kMs);
      EXPECT_LE(link.latency_ns, 80 * kMs);
    }
  }
}

// A partition as a group table: nodes talk when they are in the same group.
CanTalk groups(std::vector<int> group_of) {
  return [group_of](int a, int b) {
    return group_of[static_cast<size_t>(a)] == group_of[static_cast<size_t>(b)];
  };
}

TEST(Partition, GroupsBecomeComponents) {
  const CanTalk can_talk = groups({0, 0, 1, 1, 1});
  EXPECT_EQ(components(5, can_talk), (std::vector<std::vector<int>>{{0, 1}, {2, 3, 4}}));
  EXPECT_TRUE(connected_under(5, can_talk, 0, 1));
  EXPECT_FALSE(connected_under(5, can_talk, 0, 2));
  EXPECT_EQ(majority_component(5, can_talk), (std::vector<int>{2, 3, 4}));
}

TEST(Partition, InterleavedGroupsAreOrderedBySmallestNode) {
  const CanTalk can_talk = groups({1, 0, 1, 2, 0});
  EXPECT_EQ(components(5, can_talk), (std::vector<std::vector<int>>{{0, 2}, {1, 4}, {3}}));
  EXPECT_EQ(majority_component(5, can_talk), std::vector<int>{});
}

TEST(Partition, EvenSplitHasNoMajority) {
  EXPECT_EQ(majority_component(4, groups({0, 0, 1, 1})), std::vector<int>{});
}

TEST(Partition, BridgeNodeJoinsBothHalves) {
  // n1,n2 | n4,n5 cannot talk across; n3 talks to everyone.
  const CanTalk can_talk = [](int a, int b) {
    if (a == 2 || b == 2) return true;
    return (a < 2) == (b < 2);
  };
  EXPECT_EQ(components(5, can_talk).size(), 1u);
  EXPECT_TRUE(connected_under(5, can_talk, 0, 4));
  EXPECT_EQ(majority_component(5, can_talk).size(), 5u);
}

TEST(Partition, OneWayCutSeparatesAPair) {
  const CanTalk cut = [](int a, int b) { return !(a == 0 && b == 1); };
  EXPECT_EQ(components(2, cut), (std::vector<std::vector<int>>{{0}, {1}}));
  // With a third node both can still reach each other through it.
  EXPECT_TRUE(connected_under(3, cut, 0, 1));
}

TEST(Partition, NoNodes) {
  EXPECT_TRUE(components(0, groups({})).empty());
  EXPECT_TRUE(majority_component(0, groups({})).empty());
}

}  // namespace
}  // namespace synod::sim
