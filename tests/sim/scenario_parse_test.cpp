// Valid scenario files load into the values they say, defaults fill what they leave out, and
// node names are resolved to indexes. Files live in tests/sim/data/good/; short cases are inline.
#include <gtest/gtest.h>

#include <filesystem>

#include "sim/families/raft.hpp"
#include "sim/families/registry.hpp"
#include "sim/scenario/scenario.hpp"

namespace synod::sim {
namespace {

constexpr Nanos kMs = kNanosPerMilli;
constexpr Nanos kS = kNanosPerSecond;

Scenario load_good(const std::string& name) {
  return registry::load(std::string(SYNOD_TEST_DATA) + "/good/" + name);
}

// The smallest valid scenario plus `extra` top-level text (appended after the cluster section, so
// cluster keys can be added by indenting them).
Scenario parse_with(const std::string& extra, int nodes = 3) {
  return registry::parse("duration: 30s\ncluster:\n  nodes: " + std::to_string(nodes) + "\n" + extra,
                        "inline.yaml");
}

TEST(ScenarioGood, MinimalGetsEveryDefault) {
  const Scenario s = load_good("minimal.yaml");
  EXPECT_EQ(s.file, std::string(SYNOD_TEST_DATA) + "/good/minimal.yaml");
  EXPECT_EQ(s.name, "minimal");  // the file's stem
  EXPECT_EQ(s.description, "");
  EXPECT_EQ(s.seed, 1u);
  EXPECT_EQ(s.duration_ns, 10 * kS);

  const ClusterSpec& c = s.cluster;
  EXPECT_EQ(c.node_names, (std::vector<std::string>{"n1", "n2", "n3"}));
  EXPECT_EQ(s.node_count(), 3);
  EXPECT_EQ(c.topology, Topology::Full);
  EXPECT_EQ(c.latency.kind, LatencyDist::Kind::Constant);
  EXPECT_EQ(c.latency.min_ns, 1 * kMs);
  EXPECT_EQ(c.latency.max_ns, 1 * kMs);
  EXPECT_EQ(c.jitter_ns, 0);
  EXPECT_EQ(c.loss, 0);
  EXPECT_EQ(c.duplicate, 0);
  EXPECT_EQ(c.client_latency_ns, 1 * kMs);
  EXPECT_TRUE(c.regions.empty());
  EXPECT_TRUE(c.edges.empty());
  EXPECT_EQ(c.platform_file, "");

  const ProtocolSpec& p = s.protocol;
  EXPECT_EQ(p.name, "raft");
  const raft::Config& raft = p.config_as<RaftSection>().raft;
  EXPECT_EQ(raft.election_timeout_min, 150 * kMs);
  EXPECT_EQ(raft.election_timeout_max, 300 * kMs);
  EXPECT_EQ(raft.heartbeat_interval, 50 * kMs);
  EXPECT_EQ(raft.max_entries_per_append, 64);
  EXPECT_TRUE(raft.pre_vote);
  EXPECT_TRUE(raft.check_quorum);

  const WorkloadSpec& w = s.workload;
  EXPECT_EQ(w.clients, 5);
  EXPECT_EQ(w.rate_per_s, 0);  // closed loop
  EXPECT_EQ(w.think_ns, 0);
  EXPECT_EQ(w.keys, 10);
  EXPECT_EQ(w.key_dist, WorkloadSpec::KeyDist::Uniform);
  EXPECT_DOUBLE_EQ(w.read, 0.5);
  EXPECT_DOUBLE_EQ(w.write, 0.4);
  EXPECT_DOUBLE_EQ(w.cas, 0.1);
  EXPECT_EQ(w.timeout_ns, 1 * kS);
  EXPECT_EQ(w.attempt_timeout_ns, 200 * kMs);
  EXPECT_EQ(w.start_ns, 0);
  EXPECT_EQ(w.stop_ns, 10 * kS);  // the duration

  EXPECT_TRUE(s.faults.empty());
  EXPECT_EQ(s.report.formats, (std::vector<std::string>{"text", "json", "html"}));
  EXPECT_EQ(s.report.out_dir, "out/minimal");
}

TEST(ScenarioGood, FullSetsEveryTopLevelClusterProtocolAndWorkloadKey) {
  const Scenario s = load_good("full.yaml");
  EXPECT_EQ(s.name, "full-example");
  EXPECT_EQ(s.description, "the leader crashes mid-load; a new one is elected");
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(s.duration_ns, 30 * kS);

  const ClusterSpec& c = s.cluster;
  EXPECT_EQ(s.node_count(), 5);
  EXPECT_EQ(c.node_names[4], "n5");
  EXPECT_EQ(c.topology, Topology::Full);
  EXPECT_EQ(c.latency.kind, LatencyDist::Kind::Uniform);
  EXPECT_EQ(c.latency.min_ns, 2 * kMs);
  EXPECT_EQ(c.latency.max_ns, 8 * kMs);
  EXPECT_EQ(c.jitter_ns, 1 * kMs);
  EXPECT_DOUBLE_EQ(c.loss, 0.01);
  EXPECT_DOUBLE_EQ(c.duplicate, 0.02);
  EXPECT_EQ(c.client_latency_ns, 500 * kNanosPerMicro);

  EXPECT_EQ(s.protocol.name, "raft");
  const raft::Config& raft = s.protocol.config_as<RaftSection>().raft;
  EXPECT_EQ(raft.election_timeout_min, 150 * kMs);
  EXPECT_EQ(raft.election_timeout_max, 300 * kMs);
  EXPECT_EQ(raft.heartbeat_interval, 50 * kMs);
  EXPECT_EQ(raft.max_entries_per_append, 32);

  const WorkloadSpec& w = s.workload;
  EXPECT_EQ(w.clients, 10);
  EXPECT_DOUBLE_EQ(w.rate_per_s, 500);
  EXPECT_EQ(w.keys, 20);
  EXPECT_EQ(w.key_dist, WorkloadSpec::KeyDist::Zipf);
  EXPECT_DOUBLE_EQ(w.zipf_s, 1.2);
  // {read: 2, write: 1, cas: 1}, normalised.
  EXPECT_DOUBLE_EQ(w.read, 0.5);
  EXPECT_DOUBLE_EQ(w.write, 0.25);
  EXPECT_DOUBLE_EQ(w.cas, 0.25);
  EXPECT_EQ(w.timeout_ns, 1 * kS);
  EXPECT_EQ(w.attempt_timeout_ns, 250 * kMs);
  EXPECT_EQ(w.start_ns, 1 * kS);
  EXPECT_EQ(w.stop_ns, 25 * kS);

  EXPECT_EQ(s.report.formats, (std::vector<std::string>{"json"}));
  EXPECT_EQ(s.report.out_dir, "out/full");
}

TEST(ScenarioGood, FullFaultsAreSortedStablyAndKeepTheirLines) {
  const Scenario s = load_good("full.yaml");
  ASSERT_EQ(s.faults.size(), 10u);
  // (kind, at, line) in the order the nemesis will see them: by time, ties in file order.
  const std::vector<std::tuple<FaultKind, Nanos, int>> expected = {
      {FaultKind::Crash, 5 * kS, 32},     {FaultKind::Restart, 9 * kS, 33},
      {FaultKind::Partition, 12 * kS, 34}, {FaultKind::Cut, 12 * kS, 35},
      {FaultKind::Heal, 18 * kS, 36},     {FaultKind::Latency, 20 * kS, 37},
      {FaultKind::Random, 20 * kS, 39},   {FaultKind::Loss, 21 * kS, 38},
      {FaultKind::Crash, 22 * kS, 31},    {FaultKind::Partition, 23 * kS, 40},
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(s.faults[i].kind, std::get<0>(expected[i]));
    EXPECT_EQ(s.faults[i].at_ns, std::get<1>(expected[i]));
    EXPECT_EQ(s.faults[i].loc.line, std::get<2>(expected[i]));
    EXPECT_EQ(s.faults[i].loc.column, 5);
  }
  const auto& f = s.faults;
  EXPECT_EQ(f[0].targets.kind, TargetSpec::Kind::Leader);
  EXPECT_EQ(f[0].for_ns, 0);
  EXPECT_EQ(f[1].targets.kind, TargetSpec::Kind::Crashed);
  EXPECT_EQ(f[2].partition.kind, PartitionSpec::Kind::Groups);
  EXPECT_EQ(f[2].partition.groups, (std::vector<std::vector<int>>{{0, 1}, {2, 3, 4}}));
  EXPECT_EQ(f[3].cut_from, (std::vector<int>{0}));
  EXPECT_EQ(f[3].cut_to, (std::vector<int>{1, 2}));
  EXPECT_EQ(f[5].targets.kind, TargetSpec::Kind::Leader);
  EXPECT_EQ(f[5].latency_add_ns, 100 * kMs);
  EXPECT_EQ(f[5].for_ns, 2 * kS);
  EXPECT_EQ(f[6].every_ns, 3 * kS);
  EXPECT_EQ(f[6].until_ns, 28 * kS);
  EXPECT_EQ(f[6].menu, (std::vector<RandomChoice>{{FaultKind::Crash, false},
                                                  {FaultKind::Partition, false},
                                                  {FaultKind::Latency, false},
                                                  {FaultKind::Loss, false}}));
  EXPECT_EQ(f[7].targets.kind, TargetSpec::Kind::Names);
  EXPECT_EQ(f[7].targets.nodes, (std::vector<int>{3, 4}));
  EXPECT_DOUBLE_EQ(f[7].loss, 0.3);
  EXPECT_EQ(f[7].for_ns, 2 * kS);
  EXPECT_EQ(f[8].targets.kind, TargetSpec::Kind::Names);
  EXPECT_EQ(f[8].targets.nodes, (std::vector<int>{0}));
  EXPECT_EQ(f[8].for_ns, 3 * kS);
  EXPECT_EQ(f[9].partition.kind, PartitionSpec::Kind::IsolateLeader);
}

TEST(ScenarioGood, RegionsWithNamedNodes) {
  const Scenario s = load_good("regions.yaml");
  EXPECT_EQ(s.name, "geo");
  EXPECT_EQ(s.duration_ns, 60 * kS);
  const ClusterSpec& c = s.cluster;
  EXPECT_EQ(c.node_names, (std::vector<std::string>{"eu1", "eu2", "us1", "us2", "ap1"}));
  EXPECT_EQ(c.topology, Topology::Regions);
  ASSERT_EQ(c.regions.size(), 3u);
  EXPECT_EQ(c.regions[0].name, "eu");
  EXPECT_EQ(c.regions[0].nodes, (std::vector<int>{0, 1}));
  EXPECT_EQ(c.regions[0].latency.min_ns, 1 * kMs);
  EXPECT_EQ(c.regions[1].nodes, (std::vector<int>{2, 3}));
  EXPECT_EQ(c.regions[1].latency.min_ns, 2 * kMs);  // the cluster's latency
  EXPECT_EQ(c.regions[2].latency.kind, LatencyDist::Kind::Constant);
  EXPECT_EQ(c.regions[2].latency.min_ns, 3 * kMs);
  EXPECT_EQ(c.regions[2].latency.max_ns, 3 * kMs);
  EXPECT_EQ(c.wan_latency.kind, LatencyDist::Kind::Uniform);
  EXPECT_EQ(c.wan_latency.min_ns, 40 * kMs);
  EXPECT_EQ(c.wan_latency.max_ns, 80 * kMs);

  EXPECT_EQ(s.workload.rate_per_s, 0);
  EXPECT_EQ(s.workload.think_ns, 10 * kMs);
  EXPECT_EQ(s.workload.key_dist, WorkloadSpec::KeyDist::Uniform);
  EXPECT_DOUBLE_EQ(s.workload.read, 0);
  EXPECT_DOUBLE_EQ(s.workload.write, 1);
  EXPECT_DOUBLE_EQ(s.workload.cas, 0);
  EXPECT_EQ(s.report.formats, (std::vector<std::string>{"text"}));
  EXPECT_EQ(s.report.out_dir, "out/geo");
}

TEST(ScenarioGood, EveryTargetWordAndPartitionShape) {
  const Scenario s = load_good("regions.yaml");
  ASSERT_EQ(s.faults.size(), 12u);
  const auto& f = s.faults;
  EXPECT_EQ(f[0].targets.kind, TargetSpec::Kind::Names);
  EXPECT_EQ(f[0].targets.nodes, (std::vector<int>{0, 2}));
  EXPECT_EQ(f[1].kind, FaultKind::Restart);
  EXPECT_EQ(f[1].targets.kind, TargetSpec::Kind::All);
  EXPECT_EQ(f[2].targets.kind, TargetSpec::Kind::RandomMinority);
  EXPECT_EQ(f[3].targets.kind, TargetSpec::Kind::Followers);
  EXPECT_EQ(f[4].targets.kind, TargetSpec::Kind::Majority);
  EXPECT_EQ(f[5].targets.kind, TargetSpec::Kind::Random);
  EXPECT_EQ(f[6].targets.kind, TargetSpec::Kind::All);
  EXPECT_EQ(f[7].kind, FaultKind::Restart);
  EXPECT_EQ(f[7].targets.nodes, (std::vector<int>{0}));
  EXPECT_EQ(f[8].partition.kind, PartitionSpec::Kind::MajorityMinority);
  EXPECT_EQ(f[9].partition.kind, PartitionSpec::Kind::Bridge);
  EXPECT_EQ(f[10].partition.kind, PartitionSpec::Kind::Halves);
  EXPECT_EQ(f[11].kind, FaultKind::Random);
  EXPECT_EQ(f[11].menu, (std::vector<RandomChoice>{{FaultKind::Loss, false}}));
  EXPECT_EQ(f[11].every_ns, 2 * kS);
  EXPECT_EQ(f[11].until_ns, 60 * kS);  // default: the duration
}

TEST(ScenarioGood, DuplicateReorderAndLeaderFollowingRandomFaults) {
  const Scenario s = parse_with(
      "faults:\n"
      "  - {at: 1s, for: 2s, duplicate: {targets: [n1, n2], p: 0.25}}\n"
      "  - {at: 2s, reorder: {targets: all, spread: 30ms}}\n"
      "  - {at: 3s, every: 100ms, random: [crash-leader, isolate-leader, duplicate, reorder, crash]}\n");
  const auto& f = s.faults;
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].kind, FaultKind::Duplicate);
  EXPECT_DOUBLE_EQ(f[0].duplicate, 0.25);
  EXPECT_EQ(f[0].targets.nodes, (std::vector<int>{0, 1}));
  EXPECT_EQ(f[0].for_ns, 2 * kS);
  EXPECT_EQ(f[1].kind, FaultKind::Reorder);
  EXPECT_EQ(f[1].reorder_ns, 30 * kMs);
  EXPECT_EQ(f[1].targets.kind, TargetSpec::Kind::All);
  EXPECT_EQ(f[2].menu, (std::vector<RandomChoice>{{FaultKind::Crash, true},
                                                  {FaultKind::Partition, true},
                                                  {FaultKind::Duplicate, false},
                                                  {FaultKind::Reorder, false},
                                                  {FaultKind::Crash, false}}));
  EXPECT_STREQ(fault_kind_name(FaultKind::Duplicate), "duplicate");
  EXPECT_STREQ(fault_kind_name(FaultKind::Reorder), "reorder");
}

TEST(ScenarioGood, Edges) {
  const Scenario s = load_good("edges.yaml");
  EXPECT_EQ(s.name, "edges");
  EXPECT_EQ(s.cluster.topology, Topology::Edges);
  ASSERT_EQ(s.cluster.edges.size(), 3u);
  EXPECT_EQ(s.cluster.edges[0].a, 0);
  EXPECT_EQ(s.cluster.edges[0].b, 1);
  EXPECT_EQ(s.cluster.edges[0].latency_ns, 5 * kMs);
  EXPECT_EQ(s.cluster.edges[1].latency_ns, 1'500'000);
  EXPECT_EQ(s.cluster.edges[2].a, 3);
  EXPECT_EQ(s.cluster.edges[2].b, 2);
  EXPECT_EQ(s.cluster.edges[2].latency_ns, 0);
}

TEST(ScenarioGood, PlatformPathIsResolvedAgainstTheScenarioFile) {
  const Scenario s = load_good("platform.yaml");
  EXPECT_EQ(s.cluster.topology, Topology::Platform);
  const std::filesystem::path p(s.cluster.platform_file);
  EXPECT_EQ(p.filename(), "platform.xml");
  EXPECT_TRUE(std::filesystem::is_regular_file(p)) << p;
  EXPECT_TRUE(std::filesystem::equivalent(p, std::string(SYNOD_TEST_DATA) + "/good/platform.xml"));
}

TEST(ScenarioInline, StarRingAndConstantLatencyMap) {
  Scenario s = parse_with("  topology: star\n  latency: {dist: constant, value: 3ms}\n");
  EXPECT_EQ(s.cluster.topology, Topology::Star);
  EXPECT_EQ(s.cluster.latency.kind, LatencyDist::Kind::Constant);
  EXPECT_EQ(s.cluster.latency.min_ns, 3 * kMs);
  EXPECT_EQ(s.cluster.latency.max_ns, 3 * kMs);
  s = parse_with("  topology: ring\n");
  EXPECT_EQ(s.cluster.topology, Topology::Ring);
  EXPECT_EQ(s.name, "inline");
}

TEST(ScenarioInline, RateAsAPlainNumber) {
  EXPECT_DOUBLE_EQ(parse_with("workload: {rate: 250}\n").workload.rate_per_s, 250);
  EXPECT_DOUBLE_EQ(parse_with("workload: {rate: 0.5/s}\n").workload.rate_per_s, 0.5);
}

TEST(ScenarioInline, MixWithOneKeyIsNormalisedAndTheOthersAreZero) {
  const WorkloadSpec w = parse_with("workload:\n  mix: {cas: 3}\n").workload;
  EXPECT_DOUBLE_EQ(w.read, 0);
  EXPECT_DOUBLE_EQ(w.write, 0);
  EXPECT_DOUBLE_EQ(w.cas, 1);
  const WorkloadSpec v = parse_with("workload:\n  mix: {read: 1, write: 1, cas: 2}\n").workload;
  EXPECT_DOUBLE_EQ(v.read + v.write + v.cas, 1.0);
  EXPECT_DOUBLE_EQ(v.cas, 0.5);
}

TEST(ScenarioInline, SingleNamesWhereListsAreAllowed) {
  const Scenario s = parse_with(
      "faults:\n"
      "  - {at: 1s, cut: {from: n1, to: n3}}\n"
      "  - {at: 2s, restart: n2}\n"
      "  - {at: 3s, latency: {targets: n1, add: 1s}}\n");
  ASSERT_EQ(s.faults.size(), 3u);
  EXPECT_EQ(s.faults[0].cut_from, (std::vector<int>{0}));
  EXPECT_EQ(s.faults[0].cut_to, (std::vector<int>{2}));
  EXPECT_EQ(s.faults[1].targets.nodes, (std::vector<int>{1}));
  EXPECT_EQ(s.faults[2].targets.nodes, (std::vector<int>{0}));
}

TEST(ScenarioInline, FaultsAtTheEdgesOfTheRunAreAllowed) {
  const Scenario s = parse_with("faults:\n  - {at: 30s, heal: all}\n  - {at: 0, crash: n1}\n");
  ASSERT_EQ(s.faults.size(), 2u);
  EXPECT_EQ(s.faults[0].at_ns, 0);
  EXPECT_EQ(s.faults[1].at_ns, 30 * kS);
}

TEST(ScenarioInline, PartitionGroupsLeaveTheRestAsOneMoreGroup) {
  const Scenario s = parse_with("faults:\n  - {at: 1s, partition: [[n2]]}\n", 5);
  EXPECT_EQ(s.faults[0].partition.groups, (std::vector<std::vector<int>>{{1}}));
}

TEST(ScenarioInline, SeedTakesTheFullUnsignedRange) {
  EXPECT_EQ(parse_with("seed: 18446744073709551615\n").seed, UINT64_MAX);
  EXPECT_EQ(parse_with("seed: 0\n").seed, 0u);
}

TEST(ScenarioInline, StopDefaultsToTheDurationEvenWithAStart) {
  const WorkloadSpec w = parse_with("workload: {start: 2s}\n").workload;
  EXPECT_EQ(w.start_ns, 2 * kS);
  EXPECT_EQ(w.stop_ns, 30 * kS);
}

TEST(ScenarioInline, DescriptionMayBeABlockScalar) {
  const Scenario s = parse_with("description: |\n  two\n  lines\n");
  EXPECT_EQ(s.description, "two\nlines\n");
}

TEST(ScenarioNames, TopologyAndFaultKind) {
  EXPECT_STREQ(topology_name(Topology::Full), "full");
  EXPECT_STREQ(topology_name(Topology::Star), "star");
  EXPECT_STREQ(topology_name(Topology::Ring), "ring");
  EXPECT_STREQ(topology_name(Topology::Regions), "regions");
  EXPECT_STREQ(topology_name(Topology::Edges), "edges");
  EXPECT_STREQ(topology_name(Topology::Platform), "platform");
  EXPECT_STREQ(fault_kind_name(FaultKind::Crash), "crash");
  EXPECT_STREQ(fault_kind_name(FaultKind::Restart), "restart");
  EXPECT_STREQ(fault_kind_name(FaultKind::Partition), "partition");
  EXPECT_STREQ(fault_kind_name(FaultKind::Cut), "cut");
  EXPECT_STREQ(fault_kind_name(FaultKind::Heal), "heal");
  EXPECT_STREQ(fault_kind_name(FaultKind::Latency), "latency");
  EXPECT_STREQ(fault_kind_name(FaultKind::Loss), "loss");
  EXPECT_STREQ(fault_kind_name(FaultKind::Random), "random");
}

TEST(ScenarioErrorText, WhatIsFileLineColumnMessage) {
  EXPECT_STREQ(ScenarioError("a.yaml", 3, 7, "bad").what(), "a.yaml:3:7: bad");
  EXPECT_STREQ(ScenarioError("a.yaml", 3, 0, "bad").what(), "a.yaml:3: bad");
  EXPECT_STREQ(ScenarioError("a.yaml", 0, 0, "bad").what(), "a.yaml: bad");
  const ScenarioError e("a.yaml", 3, 7, "bad");
  EXPECT_EQ(e.file, "a.yaml");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.column, 7);
}

}  // namespace
}  // namespace synod::sim

namespace synod::sim {
namespace {

TEST(Override, ParsesKeyPathAndValue) {
  Override o;
  ASSERT_TRUE(parse_override("protocol.keep_alive={policy: fixed, ttl: 10m}", &o));
  EXPECT_EQ(o.path, (std::vector<std::string>{"protocol", "keep_alive"}));
  EXPECT_EQ(o.value, "{policy: fixed, ttl: 10m}");
  EXPECT_EQ(o.text(), "protocol.keep_alive={policy: fixed, ttl: 10m}");
  EXPECT_FALSE(parse_override("protocol.policy", &o));
  EXPECT_FALSE(parse_override("=1", &o));
  EXPECT_FALSE(parse_override("protocol..x=1", &o));
}

TEST(Override, AppliesAsIfTheFileSaidSo) {
  const std::string text = "duration: 30s\ncluster:\n  nodes: 3\nprotocol:\n  heartbeat: 20ms\n";
  Override hb, seed, created;
  ASSERT_TRUE(parse_override("protocol.heartbeat=40ms", &hb));
  ASSERT_TRUE(parse_override("seed=9", &seed));
  ASSERT_TRUE(parse_override("workload.keys=3", &created));  // no workload section: made
  Scenario s = parse_scenario(text, "o.yaml", registry::schemas(), {hb, seed, created});
  EXPECT_EQ(s.protocol.config_as<RaftSection>().raft.heartbeat_interval, 40 * kNanosPerMilli);
  EXPECT_EQ(s.seed, 9u);
  EXPECT_EQ(s.workload.keys, 3);
  Override into_scalar;
  ASSERT_TRUE(parse_override("duration.x=1", &into_scalar));
  EXPECT_THROW(parse_scenario(text, "o.yaml", registry::schemas(), {into_scalar}), ScenarioError);
}

}  // namespace
}  // namespace synod::sim
