// `synod sweep`: many seeds in parallel, the unsafe ones reported with what caught them and how to
// replay them; the same sweep.json whatever -j; resumable; --stop-at-first finds the lowest
// failing seed whatever -j.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "run_util.hpp"

namespace synod::test {
namespace {

namespace fs = std::filesystem;

CommandResult sweep(const std::string& file, const std::string& args, const fs::path& out) {
  return run_command(std::string(SYNOD_BINARY) + " sweep " + file + " " + args + " --out " +
                     out.string());
}

std::string shipped(const std::string& name) {
  return std::string(SYNOD_SOURCE_DIR) + "/scenarios/" + name + ".yaml";
}

TEST(SweepCommand, ReportsEveryUnsafeSeedWithItsKindAndReplayAndKeepsItsOutput) {
  TempDir dir("sweep-unsafe");
  const CommandResult r = sweep(shipped("raft-lease-reads-clock-skew"), "--seeds 1-4 -j 2", dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const auto j = read_json(dir.path() / "sweep.json");
  const auto& p = j["protocols"][0];
  EXPECT_EQ(p["protocol"], "raft");
  EXPECT_EQ(p["runs"], 4);
  EXPECT_EQ(p["unsafe"], 4);
  EXPECT_EQ(p["unsafe_by_kind"]["not-linearizable"], 4);
  ASSERT_EQ(p["first_failing"].size(), 4u);
  EXPECT_EQ(p["first_failing"][0]["seed"], 1);
  EXPECT_NE(p["first_failing"][0]["replay"].get<std::string>().find("synod run "), std::string::npos);
  EXPECT_NE(r.output.find("--seed 3"), std::string::npos) << r.output;
  // An unsafe run keeps everything needed to study it.
  for (const char* f : {"report.json", "history.jsonl", "events.jsonl"})
    EXPECT_TRUE(fs::exists(dir.path() / "runs" / "raft" / "2" / f)) << f;
}

TEST(SweepCommand, SafeSeedsExitZeroTheSameWhateverJobsAndResumeWithoutRunning) {
  TempDir dir("sweep-safe");
  const std::string file = shipped("raft-leader-crash");
  const CommandResult one = sweep(file, "--seeds 1-4 -j 1", dir.path() / "a");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const CommandResult two = sweep(file, "--seeds 1-4 -j 2", dir.path() / "b");
  ASSERT_EQ(two.exit_code, 0) << two.output;
  EXPECT_EQ(read_file(dir.path() / "a" / "sweep.json"), read_file(dir.path() / "b" / "sweep.json"));
  EXPECT_EQ(read_file(dir.path() / "a" / "sweep.csv"), read_file(dir.path() / "b" / "sweep.csv"));
  const auto j = read_json(dir.path() / "a" / "sweep.json");
  EXPECT_EQ(j["protocols"][0]["unsafe"], 0);
  EXPECT_FALSE(fs::exists(dir.path() / "a" / "runs" / "raft" / "1")) << "a safe run kept its output";
  // Again, with two more seeds: the four are read back, only 5 and 6 run.
  const CommandResult again = sweep(file, "--seeds 1-6 -j 2", dir.path() / "a");
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.output.find("6 runs (4 from an earlier sweep)"), std::string::npos) << again.output;
  EXPECT_EQ(read_json(dir.path() / "a" / "sweep.json")["protocols"][0]["runs"], 6);
  // A changed scenario is not mistaken for the old one.
  const fs::path copy = dir.path() / "changed.yaml";
  std::ofstream(copy) << replaced(read_file(file), "rate: 500/s", "rate: 300/s");
  const CommandResult changed = sweep(copy.string(), "--seeds 1-2 -j 2", dir.path() / "a");
  EXPECT_NE(changed.output.find("2 runs (0 from an earlier sweep)"), std::string::npos)
      << changed.output;
}

TEST(SweepCommand, StopAtFirstFindsTheLowestFailingSeedWhateverJobs) {
  TempDir dir("sweep-stop");
  // A 50 ms clock step: lease reads go stale on a few seeds only (docs/validation.md).
  const fs::path file = dir.path() / "skew50.yaml";
  std::ofstream(file) << replaced(scenario_text("raft-lease-reads-clock-skew"),
                                  "behind: 1s}", "behind: 50ms}");
  ASSERT_EQ(sweep(file.string(), "--seeds 3-25 -j 2", dir.path() / "all").exit_code, 1);
  std::set<uint64_t> unsafe;
  const auto all = read_json(dir.path() / "all" / "sweep.json");
  for (const auto& f : all["protocols"][0]["first_failing"]) unsafe.insert(f["seed"].get<uint64_t>());
  ASSERT_FALSE(unsafe.empty());
  const uint64_t lowest = *unsafe.begin();
  for (const char* jobs : {"1", "2"}) {
    SCOPED_TRACE(std::string("-j ") + jobs);
    const fs::path out = dir.path() / (std::string("stop") + jobs);
    const CommandResult r = sweep(file.string(), std::string("--seeds 3-25 --stop-at-first -j ") + jobs, out);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    const auto j = read_json(out / "sweep.json");
    const auto& p = j["protocols"][0];
    EXPECT_EQ(p["first_failing"][0]["seed"], lowest);
    const uint64_t up_to_lowest = lowest - 3 + 1;  // seeds 3..lowest
    EXPECT_GE(p["runs"].get<uint64_t>(), up_to_lowest) << "a seed below the first failing one did not run";
    if (std::string(jobs) == "1") {
      EXPECT_EQ(p["runs"].get<uint64_t>(), up_to_lowest);
      EXPECT_EQ(p["skipped"].get<uint64_t>(), 25 - lowest);
    }
  }
}

TEST(SweepCommand, BadSeedsAndUnknownProtocolsAreErrors) {
  TempDir dir("sweep-bad");
  const std::string file = shipped("raft-basic");
  const CommandResult seeds = sweep(file, "--seeds 5-x", dir.path());
  EXPECT_EQ(seeds.exit_code, 2);
  EXPECT_NE(seeds.output.find("--seeds: expected seeds like 1-1000"), std::string::npos) << seeds.output;
  const CommandResult proto = sweep(file, "--protocols raft,zab", dir.path());
  EXPECT_EQ(proto.exit_code, 2);
  EXPECT_NE(proto.output.find("unknown protocol 'zab'"), std::string::npos) << proto.output;
}

}  // namespace
}  // namespace synod::test
