// The scenario edits `synod shrink` tries (sim/cli/shrink_edits.hpp), on YAML trees alone: what
// each candidate keeps, drops and clamps, and that every candidate still loads.
#include "sim/cli/shrink_edits.hpp"

#include <gtest/gtest.h>

#include "sim/families/registry.hpp"

namespace synod::cli::shrink {
namespace {

const char* kScenario = R"(name: s
duration: 8s
cluster: {nodes: 5}
protocol: {name: raft}
workload: {clients: 10, rate: 400/s, keys: 5, stop: 7s}
faults:
  - {at: 1s, for: 200ms, crash: [n4, n5]}
  - {at: 2s, for: 200ms, partition: [[n1, n5], [n2, n3], [n4]]}
  - {at: 3s, for: 200ms, loss: {targets: [n5], p: 0.2}}
  - {at: 4s, every: 100ms, until: 7s, random: [crash]}
  - {at: 6s, heal: all}
)";

YAML::Node doc() { return YAML::Load(kScenario); }

// A node on one line, as the scenario would show it.
std::string flat(const YAML::Node& n) {
  YAML::Node c = YAML::Clone(n);
  c.SetStyle(YAML::EmitterStyle::Flow);
  std::string t = emit(c);
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t;
}

void loads(const YAML::Node& d) {
  EXPECT_NO_THROW(sim::registry::parse(emit(d), "candidate.yaml")) << emit(d);
}

TEST(ShrinkEdits, ShorterRunsDropLaterFaultsAndClampUntilAndStop) {
  const auto c = shorter_runs(doc(), 2.5);  // first violation at 2.5 s
  ASSERT_EQ(c.size(), 4u);                  // 2s, 2.52s, 4s, 6s: ascending
  EXPECT_EQ(c[0]["duration"].as<std::string>(), "2s");
  EXPECT_EQ(c[1]["duration"].as<std::string>(), "2.52s");
  EXPECT_EQ(faults_of(c[1]).size(), 2u);
  EXPECT_FALSE(c[1]["workload"]["stop"]);  // 7s is past the end: the default (the end) instead
  const auto& at6 = c[3];
  EXPECT_EQ(at6["duration"].as<std::string>(), "6s");
  EXPECT_EQ(faults_of(at6)[3]["until"].as<std::string>(), "6s");
  EXPECT_EQ(faults_of(at6).size(), 5u);  // a fault exactly at the end stays
  for (const auto& d : c) loads(d);
}

TEST(ShrinkEdits, WithoutChunksIsDdminsComplements) {
  size_t chunk = 0;
  const auto c = without_chunks(doc(), 2, &chunk);
  EXPECT_EQ(chunk, 3u);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(faults_of(c[0]).size(), 2u);  // without faults 0-2
  EXPECT_EQ(faults_of(c[1]).size(), 3u);  // without faults 3-4
  const auto singles = without_chunks(doc(), 5, &chunk);
  EXPECT_EQ(singles.size(), 5u);
  EXPECT_EQ(chunk, 1u);
  for (const auto& d : singles) loads(d);
}

TEST(ShrinkEdits, FewerNodesPruneNamesAndDropFaultsLeftWithoutTargets) {
  const auto c = fewer_nodes(doc());
  ASSERT_EQ(c.size(), 2u);
  // 3 nodes: n4 and n5 gone. The crash of [n4, n5] and the loss on [n5] lose every target and go;
  // the partition keeps [[n1], [n2, n3]].
  EXPECT_EQ(c[0]["cluster"]["nodes"].as<int>(), 3);
  const auto f = faults_of(c[0]);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(flat(f[0]["partition"]), "[[n1], [n2, n3]]");
  EXPECT_TRUE(f[1]["random"]);
  EXPECT_TRUE(f[2]["heal"]);
  // 4 nodes: only n5 gone; the crash keeps n4, the partition drops n5 from its first group.
  const auto g = faults_of(c[1]);
  ASSERT_EQ(g.size(), 4u);
  EXPECT_EQ(flat(g[0]["crash"]), "[n4]");
  EXPECT_EQ(flat(g[1]["partition"]), "[[n1], [n2, n3], [n4]]");
  for (const auto& d : c) loads(d);
}

TEST(ShrinkEdits, WorkloadReductions) {
  const auto clients = fewer_clients(doc());
  ASSERT_EQ(clients.size(), 3u);  // 1, 2 (also a quarter of 10), 5
  EXPECT_EQ(clients.front()["workload"]["clients"].as<int>(), 1);
  const auto rates = lower_rates(doc());
  ASSERT_EQ(rates.size(), 3u);
  EXPECT_EQ(rates[0]["workload"]["rate"].as<std::string>(), "50/s");
  const auto keys = fewer_keys(doc());
  ASSERT_EQ(keys.size(), 2u);  // 1, 2 (half of 5 is 2)
  const auto writes = writes_only(doc());
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes_only(writes[0]).size(), 0u);  // already writes only: nothing to try
  const auto later = later_starts(doc());
  ASSERT_EQ(later.size(), 2u);  // just before the first fault (0.8s), halfway (0.5s)
  EXPECT_EQ(later[0]["workload"]["start"].as<std::string>(), "800ms");
  EXPECT_EQ(later[1]["workload"]["start"].as<std::string>(), "500ms");
  for (const auto& v : {clients, rates, keys, writes, later})
    for (const auto& d : v) loads(d);
}

TEST(ShrinkEdits, RandomFaultsWrittenOutInPlace) {
  Fired fired;
  fired[3] = {"{at: 4s, for: 100ms, crash: [n2]}", "{at: 4.1s, for: 100ms, crash: [n3]}"};
  const auto d = random_written_out(doc(), fired);
  ASSERT_TRUE(d.has_value());
  const auto f = faults_of(*d);
  ASSERT_EQ(f.size(), 6u);
  EXPECT_EQ(flat(f[3]), "{at: 4s, for: 100ms, crash: [n2]}");
  EXPECT_EQ(flat(f[4]), "{at: 4.1s, for: 100ms, crash: [n3]}");
  EXPECT_TRUE(f[5]["heal"]);
  loads(*d);
  EXPECT_FALSE(random_written_out(*d, {}).has_value());  // none left
}

}  // namespace
}  // namespace synod::cli::shrink
