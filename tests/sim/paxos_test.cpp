// Basic Paxos and Multi-Paxos end to end: duelling proposers livelock without backoff and
// converge with it; the foundation's fault scenarios hold with both protocols over the sweep.
#include <gtest/gtest.h>

#include <regex>

#include "run_util.hpp"

namespace synod::test {
namespace {

namespace fs = std::filesystem;

// "Paxos Made Simple" §2.4: with proposers pre-empting each other, progress is not guaranteed;
// a randomized backoff (a distinguished proposer, in the paper) restores it.
TEST(PaxosDuel, LivelockWithoutBackoffProgressWithIt) {
  TempDir dir("duel");
  const std::string original = std::string(SYNOD_SOURCE_DIR) + "/scenarios/paxos-duelling-proposers.yaml";
  std::string text = read_file(original);
  ASSERT_NE(text.find("  backoff: off\n"), std::string::npos);
  fs::path with_backoff = dir.path() / "with-backoff.yaml";
  std::ofstream(with_backoff) << std::regex_replace(text, std::regex("  backoff: off\n"), "");
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    fs::path off = dir.path() / ("off-" + std::to_string(seed));
    fs::path on = dir.path() / ("on-" + std::to_string(seed));
    ASSERT_EQ(run_command(std::string(SYNOD_BINARY) + " run " + original + " -q --seed " +
                          std::to_string(seed) + " --out " + off.string()).exit_code, 0);
    ASSERT_EQ(run_command(std::string(SYNOD_BINARY) + " run " + with_backoff.string() + " -q --seed " +
                          std::to_string(seed) + " --out " + on.string()).exit_code, 0);
    auto r_off = read_json(off / "report.json");
    auto r_on = read_json(on / "report.json");
    const int ok_off = r_off["ops"]["ok"], ok_on = r_on["ops"]["ok"];
    EXPECT_LT(ok_off, 30) << "without backoff the proposers should keep pre-empting each other";
    EXPECT_GT(ok_on, 300) << "with backoff one proposer should get through each time";
    EXPECT_GT(r_off["messages"]["by_type"]["Prepare"]["sent"].get<int>(), 1000);
    // A livelock is slow, never unsafe.
    EXPECT_TRUE(r_off["invariants"]["violations"].empty());
    EXPECT_EQ(r_off["consistency"]["verdict"], "linearizable");
  }
}

// The foundation's fault scenarios under both Paxos protocols: safe and linearizable on every
// seed (compare exits 1 if any run is unsafe).
class PaxosSweep : public ::testing::TestWithParam<std::string> {};

TEST_P(PaxosSweep, SafeAndLinearizableOnEverySeed) {
  TempDir dir("paxos-sweep-" + GetParam());
  std::string command = std::string(SYNOD_BINARY) + " compare " + SYNOD_SOURCE_DIR + "/scenarios/" +
                        GetParam() + ".yaml --protocols multipaxos,paxos --seeds 1-20 --out " +
                        dir.path().string();
  CommandResult r = run_command(command);
  ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.output;
  auto j = read_json(dir.path() / "compare.json");
  for (const char* p : {"multipaxos", "paxos"}) {
    SCOPED_TRACE(p);
    EXPECT_EQ(j["protocols"][p]["runs"], 20);
    EXPECT_EQ(j["protocols"][p]["unsafe_runs"], 0);
    EXPECT_EQ(j["protocols"][p]["linearizability"]["linearizable"], 20);
    EXPECT_GT(j["protocols"][p]["throughput_ok_per_s"]["min"].get<double>(), 5);
  }
}

INSTANTIATE_TEST_SUITE_P(Foundation, PaxosSweep,
                         ::testing::Values("raft-leader-crash", "raft-minority-partition",
                                           "raft-majority-partition", "raft-lossy-network",
                                           "raft-full-restart", "raft-random-faults"),
                         ScenarioParamName());

}  // namespace
}  // namespace synod::test
