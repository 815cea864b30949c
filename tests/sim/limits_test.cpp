// Limits checked before a run starts (sim/scenario/limits.cpp, docs/scenarios.md "Limits"): the
// memory estimate against what was measured, every shipped scenario well inside it, and the
// refusals naming the file and the numbers.
#include <gtest/gtest.h>

#include <filesystem>

#include "sim/families/registry.hpp"
#include "sim/scenario/scenario.hpp"

namespace synod::sim {
namespace {

namespace fs = std::filesystem;

// bench/long-run.sh measured the 5-node Raft hour at 100 ops/s at 1.68 GB peak (docs/
// performance.md); the estimate is meant to be that within a factor of two either way.
TEST(Limits, EstimateOfTheMeasuredHourIsWithinAFactorOfTwo) {
  Scenario s = registry::load(std::string(SYNOD_SOURCE_DIR) + "/bench/raft-100ops.yaml",
                              {Override{{"duration"}, "3600s"}});
  const RunSize r = estimate_run_size(s);
  EXPECT_DOUBLE_EQ(r.ops, 360000.0);
  EXPECT_EQ(r.hosts, 15.0);
  EXPECT_GT(r.bytes, 1.68e9 / 2);
  EXPECT_LT(r.bytes, 1.68e9 * 2);
}

// The 1000-node sharded bench measured 0.70 GB peak (10 s at 2000 ops/s); cut to 1 s at 1 op/s,
// 0.63 GB: the node pairs' routes dominate.
TEST(Limits, EstimateOfTheThousandNodeShardsIsWithinAFactorOfTwo) {
  const std::string file = std::string(SYNOD_SOURCE_DIR) + "/bench/shards-1000.yaml";
  const double full = estimate_run_size(registry::load(file)).bytes;
  EXPECT_GT(full, 0.70e9 / 2);
  EXPECT_LT(full, 0.70e9 * 2);
  const double cut =
      estimate_run_size(registry::load(file, {Override{{"duration"}, "1s"},
                                              Override{{"workload", "rate"}, "1/s"}}))
          .bytes;
  EXPECT_GT(cut, 0.63e9 / 2);
  EXPECT_LT(cut, 0.63e9 * 2);
}

TEST(Limits, EveryShippedScenarioFitsInTwoGigabytes) {
  int files = 0;
  for (const char* dir : {"/scenarios", "/bench"}) {
    for (const auto& e : fs::directory_iterator(std::string(SYNOD_SOURCE_DIR) + dir)) {
      if (e.path().extension() != ".yaml") continue;
      ++files;
      const Scenario s = registry::load(e.path().string());
      EXPECT_LT(estimate_run_size(s).bytes, 2e9) << e.path();
      EXPECT_NO_THROW(check_fits_in_memory(s, 2e9)) << e.path();
    }
  }
  EXPECT_GE(files, 30);
}

TEST(Limits, ARunPastTheMemoryIsRefusedWithTheNumbers) {
  const Scenario s = registry::parse(
      "duration: 100000h\ncluster: {nodes: 5}\nworkload: {rate: 1000/s}\n", "long.yaml");
  try {
    check_fits_in_memory(s, 24e9);
    FAIL() << "not refused";
  } catch (const ScenarioError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("long.yaml: this run would need about 1.81 PB of memory, more than this "
                         "machine's 24.00 GB (up to 3.6e+11 operations",
                         0),
              0u)
        << what;
  }
  // A closed loop is bounded by its clients, the think time and the round trip to a node.
  const Scenario closed = registry::parse(
      "duration: 10s\ncluster: {nodes: 3, client_latency: 1ms}\nworkload: {clients: 4, think: 8ms}\n",
      "closed.yaml");
  EXPECT_DOUBLE_EQ(estimate_run_size(closed).ops, 4 * 10 / 0.010);
  EXPECT_NO_THROW(check_fits_in_memory(closed, 1e9));
  EXPECT_THROW(check_fits_in_memory(closed, 1e6), ScenarioError);
}

TEST(Limits, HostsPastTheRoutingTableAreAnErrorAtTheWorkload) {
  try {
    registry::parse("duration: 1s\ncluster: {nodes: 1000}\nworkload: {clients: 15385, rate: 1/s}\n",
                    "hosts.yaml");
    FAIL() << "not refused";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.line, 3);
    EXPECT_NE(std::string(e.what()).find("1000 nodes and 15385 clients are 16385 hosts; a run may "
                                         "have at most 16384"),
              std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(registry::parse(
      "duration: 1s\ncluster: {nodes: 1000}\nworkload: {clients: 15384, rate: 1/s}\n", "ok.yaml"));
}

}  // namespace
}  // namespace synod::sim
