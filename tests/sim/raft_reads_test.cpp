// Raft reads without the log through the whole simulator (scenarios/raft-lease-reads-clock-skew):
// the leader's clock steps 1 s back as a partition isolates it, so its lease outlives the other
// side's election and its reads go stale, which the checker reports; ReadIndex under the same
// faults stays linearizable, and so does the lease when the step is inside its margin. Also: the
// three modes on a fault-free run, where lease reads cost no messages and ReadIndex no log entry.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "run_util.hpp"

namespace synod::test {
namespace {

namespace fs = std::filesystem;

struct RunOutcome {
  int exit_code;
  nlohmann::json report;
};

RunOutcome run_text(const TempDir& dir, const std::string& name, const std::string& yaml, uint64_t seed) {
  const fs::path file = dir.path() / (name + ".yaml");
  std::ofstream(file) << yaml;
  const fs::path out = dir.path() / ("out-" + name + "-" + std::to_string(seed));
  const CommandResult r = run_command(std::string(SYNOD_BINARY) + " run " + file.string() +
                                      " --quiet --seed " + std::to_string(seed) + " --out " +
                                      out.string());
  return {r.exit_code, read_json(out / "report.json")};
}

constexpr int kSeeds = 5;

TEST(RaftReadsRun, LeaseReadsGoStaleWhenTheLeadersClockStepsBackPastTheBound) {
  TempDir dir("raft-lease-skew");
  const std::string text = scenario_text("raft-lease-reads-clock-skew");
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const RunOutcome r = run_text(dir, "lease", text, seed);
    EXPECT_EQ(r.exit_code, 1) << "a stale lease read is a safety problem";
    EXPECT_EQ(r.report["consistency"]["verdict"], "not-linearizable");
    EXPECT_EQ(r.report["reads"]["mode"], "lease");
    EXPECT_TRUE(r.report["invariants"]["violations"].empty()) << "only reads are wrong";
    EXPECT_TRUE(r.report["consistency"]["lost_acknowledged_writes"].empty());
  }
}

TEST(RaftReadsRun, ReadIndexStaysLinearizableUnderTheSameFaults) {
  TempDir dir("raft-readindex-skew");
  const std::string text =
      replaced(scenario_text("raft-lease-reads-clock-skew"), "reads: lease", "reads: read-index");
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const RunOutcome r = run_text(dir, "read-index", text, seed);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.report["consistency"]["verdict"], "linearizable");
    EXPECT_GT(r.report["reads"]["reads_ok"].get<int>(), 3000);
  }
}

// 150 ms / 1.05 = 142.9 ms: a step back of 5 ms stays inside the 7.1 ms the lease gives away.
TEST(RaftReadsRun, LeaseReadsStayLinearizableWhenTheStepIsInsideTheMargin) {
  TempDir dir("raft-lease-small-skew");
  const std::string text = replaced(scenario_text("raft-lease-reads-clock-skew"),
                                    "skew: {targets: leader, behind: 1s}",
                                    "skew: {targets: leader, behind: 5ms}");
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const RunOutcome r = run_text(dir, "small-skew", text, seed);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.report["consistency"]["verdict"], "linearizable");
  }
}

TEST(RaftReadsRun, WithoutFaultsALeaseReadIsOneClientRoundTripAndReadIndexRoundsAreBatched) {
  TempDir dir("raft-reads-modes");
  const std::string base = scenario_text("raft-basic");
  const auto with = [&](const std::string& mode) {
    return run_text(dir, mode, replaced(base, "  heartbeat: 50ms\n", "  heartbeat: 50ms\n  reads: " + mode + "\n"), 1);
  };
  const RunOutcome log = with("log"), index = with("read-index"), lease = with("lease");
  for (const RunOutcome* r : {&log, &index, &lease}) {
    EXPECT_EQ(r->exit_code, 0);
    EXPECT_EQ(r->report["consistency"]["verdict"], "linearizable");
  }
  const auto msgs = [](const RunOutcome& r) { return r.report["messages"]["sent"].get<double>(); };
  const auto read_p50 = [](const RunOutcome& r) {
    return r.report["reads"]["read_latency_ms"]["p50"].get<double>();
  };
  // A lease read is a client round trip (2 x 1 ms) and nothing else.
  EXPECT_DOUBLE_EQ(read_p50(lease), 2.0);
  EXPECT_LT(read_p50(lease), read_p50(log));
  EXPECT_LT(msgs(lease), 0.7 * msgs(log));
  EXPECT_LT(msgs(index), msgs(log)) << "ReadIndex rounds are batched";
}

}  // namespace
}  // namespace synod::test
