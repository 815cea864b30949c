// The Lamport-clock family end to end: mutual exclusion (3(N-1) messages per entry, blocking on a
// crash, said plainly), the last-writer-wins store (available and not linearizable under a
// partition, converged after the heal), and the clock condition on every message trace.
#include <gtest/gtest.h>

#include "run_util.hpp"

namespace synod::test {
namespace {

constexpr int kSeeds = 10;

nlohmann::json run_ok(const std::string& scenario, uint64_t seed, const std::filesystem::path& out) {
  std::string command = synod_run(scenario, seed, out);
  CommandResult r = run_command(command);
  EXPECT_EQ(r.exit_code, 0) << "replay: " << command << "\n" << r.output;
  return read_json(out / "report.json");
}

TEST(LamportMutexRun, FaultFreeRunsAreSafeAndUseExactly3NMinus1MessagesPerEntry) {
  TempDir dir("mutex");
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(seed);
    auto r = run_ok("lamport-mutex-basic", seed, dir.path() / std::to_string(seed));
    EXPECT_TRUE(r["invariants"]["violations"].empty()) << r["invariants"].dump(2);
    EXPECT_GT(r["mutex"]["entries"].get<int>(), 100);
    EXPECT_FALSE(r["mutex"]["blocked"].get<bool>());
    EXPECT_TRUE(r["mutex"]["waiting_at_end"].empty());  // requests stop at 8 s, run ends at 10 s
    EXPECT_EQ(r["mutex"]["expected_messages_per_entry"], 12);
    EXPECT_EQ(r["mutex"]["messages_per_entry"].get<double>(), 12.0);
    EXPECT_EQ(r["clocks"]["violation_count"], 0);
    EXPECT_TRUE(r["clocks"]["vector_clocks"].get<bool>());
  }
}

TEST(LamportMutexRun, TraceCarriesLamportAndVectorClocksOnEveryMessage) {
  TempDir dir("mutex-trace");
  run_ok("lamport-mutex-basic", 1, dir.path());
  std::istringstream in(read_file(dir.path() / "messages.jsonl"));
  std::string line;
  int sends = 0, receives = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    ASSERT_TRUE(j.contains("lamport"));
    ASSERT_EQ(j["vector"].size(), 5u);
    (j["kind"] == "send" ? sends : receives)++;
  }
  EXPECT_GT(sends, 1000);
  EXPECT_EQ(sends, receives);  // no faults: every message arrives once
}

TEST(LamportMutexRun, ACrashBlocksEveryoneAndTheReportSaysSo) {
  TempDir dir("mutex-crash");
  std::string command = synod_run("lamport-mutex-crash", 1, dir.path());
  CommandResult r = run_command(command + " && cat " + (dir.path() / "report.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;  // blocking is not a safety problem
  auto report = read_json(dir.path() / "report.json");
  EXPECT_TRUE(report["mutex"]["blocked"].get<bool>());
  EXPECT_FALSE(report["mutex"]["waiting_at_end"].empty());
  EXPECT_TRUE(report["invariants"]["violations"].empty());
  CommandResult text = run_command(std::string(SYNOD_BINARY) + " run " + SYNOD_SOURCE_DIR +
                                   "/scenarios/lamport-mutex-crash.yaml --out " + dir.path().string());
  EXPECT_NE(text.output.find("BLOCKED"), std::string::npos) << text.output;
}

TEST(LamportLwwRun, AvailableAndNotLinearizableUnderPartitionThenConverged) {
  TempDir dir("lww");
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(seed);
    auto r = run_ok("lamport-lww-partition", seed, dir.path() / std::to_string(seed));
    EXPECT_EQ(r["consistency"]["verdict"], "not-linearizable");
    EXPECT_FALSE(r["consistency"]["promised"].get<bool>());
    EXPECT_TRUE(r["convergence"]["converged"].get<bool>()) << r["convergence"].dump(2);
    EXPECT_EQ(r["convergence"]["compared"], 5);
    EXPECT_LT(r["availability"]["longest_gap_s"].get<double>(), 0.1);  // both sides keep serving
    EXPECT_EQ(r["clocks"]["violation_count"], 0);
    EXPECT_TRUE(r["invariants"]["violations"].empty());
  }
}

// The trade in one table: Raft is linearizable and stalls for a minority's clients; LWW is
// always available and not linearizable.
TEST(LamportLwwRun, CompareWithRaftShowsTheTrade) {
  TempDir dir("lww-compare");
  CommandResult r = run_command(std::string(SYNOD_BINARY) + " compare " + SYNOD_SOURCE_DIR +
                                "/scenarios/lamport-lww-partition.yaml --protocols raft,lamport-lww "
                                "--seeds 1-4 --out " + dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = read_json(dir.path() / "compare.json");
  EXPECT_EQ(j["protocols"]["raft"]["linearizability"]["linearizable"], 4);
  EXPECT_EQ(j["protocols"]["lamport-lww"]["linearizability"]["not-linearizable"], 4);
  EXPECT_LT(j["protocols"]["lamport-lww"]["latency_p99_ms"]["mean"].get<double>(),
            j["protocols"]["raft"]["latency_p99_ms"]["mean"].get<double>());
  EXPECT_LT(j["protocols"]["lamport-lww"]["longest_gap_s"]["mean"].get<double>(),
            j["protocols"]["raft"]["longest_gap_s"]["mean"].get<double>());
}

}  // namespace
}  // namespace synod::test
