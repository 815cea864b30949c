// `synod compare`: the same scenario under several protocols and seeds, in parallel child
// processes, aggregated deterministically whatever the parallelism.
#include <gtest/gtest.h>

#include "run_util.hpp"

namespace synod::test {
namespace {

std::string compare(const std::string& scenario, const std::string& protocols,
                    const std::string& seeds, int jobs, const std::filesystem::path& out) {
  return std::string(SYNOD_BINARY) + " compare " + SYNOD_SOURCE_DIR + "/scenarios/" + scenario +
         ".yaml --protocols " + protocols + " --seeds " + seeds + " -j " + std::to_string(jobs) +
         " --out " + out.string();
}

TEST(Compare, SameResultsWhateverTheParallelism) {
  TempDir a("cmp-j1"), b("cmp-j2");
  CommandResult r1 = run_command(compare("raft-leader-crash", "raft", "1-4", 1, a.path()));
  CommandResult r2 = run_command(compare("raft-leader-crash", "raft", "1-4", 2, b.path()));
  ASSERT_EQ(r1.exit_code, 0) << r1.output;
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  EXPECT_EQ(read_file(a.path() / "compare.json"), read_file(b.path() / "compare.json"));
  EXPECT_EQ(read_file(a.path() / "compare.csv"), read_file(b.path() / "compare.csv"));
  auto j = read_json(a.path() / "compare.json");
  EXPECT_EQ(j["runs"].size(), 4u);
  EXPECT_EQ(j["protocols"]["raft"]["runs"], 4);
  EXPECT_EQ(j["protocols"]["raft"]["unsafe_runs"], 0);
  EXPECT_EQ(j["protocols"]["raft"]["linearizability"]["linearizable"], 4);
  // Each run's numbers are those `synod run` gives for that seed.
  TempDir single("cmp-single");
  ASSERT_EQ(run_command(synod_run("raft-leader-crash", 3, single.path())).exit_code, 0);
  auto report = read_json(single.path() / "report.json");
  EXPECT_EQ(j["runs"][2]["seed"], 3);
  EXPECT_EQ(j["runs"][2]["throughput_ok_per_s"], report["throughput_ok_per_s"]);
  EXPECT_EQ(read_file(a.path() / "runs/raft/3/report.json"), read_file(single.path() / "report.json"));
}

TEST(Compare, BadArgumentsExitTwo) {
  TempDir out("cmp-bad");
  EXPECT_EQ(run_command(compare("raft-basic", "raft,zab", "1-2", 1, out.path())).exit_code, 2);
  EXPECT_EQ(run_command(compare("raft-basic", "raft", "5-1", 1, out.path())).exit_code, 2);
  EXPECT_EQ(run_command(compare("raft-basic", "raft", "x", 1, out.path())).exit_code, 2);
}

}  // namespace
}  // namespace synod::test

namespace synod::test {
namespace {

std::string vary(const std::string& scenario, const std::string& what, const std::string& seeds,
                 const std::filesystem::path& out) {
  return std::string(SYNOD_BINARY) + " compare " + SYNOD_SOURCE_DIR + "/scenarios/" + scenario +
         ".yaml --vary '" + what + "' --seeds " + seeds + " -j 2 --out " + out.string();
}

// --vary: one row per value of one key, each the scenario as if the file said that value.
TEST(CompareVary, EachRowIsTheScenarioWithThatValue) {
  TempDir out("cmp-vary");
  CommandResult r = run_command(
      vary("raft-leader-crash", "protocol.election_timeout=[150ms, 300ms],[500ms, 1000ms]", "2", out.path()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = read_json(out.path() / "compare.json");
  ASSERT_TRUE(j.contains("variants")) << j.dump(2);
  EXPECT_EQ(j["variants"].size(), 2u);
  EXPECT_EQ(j["runs"][0]["variant"], "election_timeout=[150ms, 300ms]");
  // The first value is what the file already says: its run is the plain run of that seed.
  TempDir single("cmp-vary-single");
  ASSERT_EQ(run_command(synod_run("raft-leader-crash", 2, single.path())).exit_code, 0);
  EXPECT_EQ(read_file(out.path() / "runs/election_timeout=_150ms__300ms_/2/report.json"),
            read_file(single.path() / "report.json"));
  // A longer election timeout recovers later from the leader crash.
  const double fast = j["runs"][0]["fault_recovery"][0]["recovery_s"].get<double>();
  const double slow = j["runs"][1]["fault_recovery"][0]["recovery_s"].get<double>();
  EXPECT_GT(slow, fast + 0.2);
}

TEST(CompareVary, BadValuesAreErrorsBeforeAnyRun) {
  TempDir out("cmp-vary-bad");
  CommandResult unknown = run_command(vary("raft-basic", "protocol.policy=pull", "1", out.path()));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("with protocol.policy=pull: 'policy' applies only to tasks, not to raft"),
            std::string::npos)
      << unknown.output;
  CommandResult invalid = run_command(vary("raft-basic", "protocol.heartbeat=1s", "1", out.path()));
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_NE(invalid.output.find("must be shorter than the election timeout"), std::string::npos)
      << invalid.output;
  EXPECT_EQ(run_command(vary("raft-basic", "protocol.heartbeat", "1", out.path())).exit_code, 2);
  EXPECT_EQ(run_command(vary("raft-basic", "protocol.x=[1,", "1", out.path())).exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(out.path() / "runs"));
  CommandResult both = run_command(std::string(SYNOD_BINARY) + " compare " + SYNOD_SOURCE_DIR +
                                   "/scenarios/raft-basic.yaml --protocols raft --vary protocol.heartbeat=20ms");
  EXPECT_EQ(both.exit_code, 2);
}

}  // namespace
}  // namespace synod::test
