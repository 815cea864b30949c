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
