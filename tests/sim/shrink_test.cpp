// `synod shrink`: a failing run reduced to a small scenario that still fails the same way, the
// same whatever -j; random faults written out as fixed ones replay the very same run; a seed that
// does not fail, or a --keep it does not fail by, is refused.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "run_util.hpp"

namespace synod::test {
namespace {

namespace fs = std::filesystem;

// raft-harsh with Raft voting twice in a term: seed 1 fails (bugs_test).
fs::path vote_twice_file(const TempDir& dir) {
  const fs::path file = dir.path() / "harsh-vote-twice.yaml";
  std::ofstream(file) << replaced(scenario_text("raft-harsh"), "  name: raft\n",
                                  "  name: raft\n  bugs: [vote-twice]\n");
  return file;
}

CommandResult shrink(const fs::path& file, const std::string& args, const fs::path& out) {
  return run_command(std::string(SYNOD_BINARY) + " shrink " + file.string() + " " + args +
                     " --out " + out.string());
}

TEST(Shrink, ReducesAFailingRunToASmallScenarioThatStillFailsWhateverJ) {
  TempDir dir("shrink-small");
  const fs::path file = vote_twice_file(dir);
  const CommandResult r = shrink(file, "--seed 1 -j 2", dir.path() / "a");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("still unsafe"), std::string::npos) << r.output;
  const auto log = read_json(dir.path() / "a" / "shrink.json");
  const auto& before = log["before"];
  const auto& after = log["after"];
  EXPECT_EQ(before["nodes"], 5);
  EXPECT_EQ(before["clients"], 10);
  EXPECT_GT(before["nemesis_actions"].get<int>(), 40);
  EXPECT_LT(after["operations"].get<int>(), before["operations"].get<int>() / 10);
  EXPECT_LT(after["clients"].get<int>(), 10);
  EXPECT_LE(after["nodes"].get<int>(), 5);
  EXPECT_LT(after["fault_entries"].get<int>(), 5);
  EXPECT_LT(after["scenario_lines"].get<int>(), before["scenario_lines"].get<int>());
  // The shrunk file carries its seed and fails when run as it is.
  const fs::path shrunk = dir.path() / "a" / "shrunk.yaml";
  const CommandResult again = run_command(std::string(SYNOD_BINARY) + " run " + shrunk.string() +
                                          " --quiet --out " + (dir.path() / "again").string());
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_TRUE(fs::exists(dir.path() / "a" / "report" / "report.json"));
  EXPECT_FALSE(fs::exists(dir.path() / "a" / "work"));  // candidates cleaned up
  // One job at a time: the same steps, the same file.
  const CommandResult one = shrink(file, "--seed 1 -j 1", dir.path() / "b");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  // (From the third line: the first two name the output directory.)
  auto body = [](const std::string& t) { return t.substr(t.find("# before")); };
  EXPECT_EQ(body(read_file(shrunk)), body(read_file(dir.path() / "b" / "shrunk.yaml")));
}

TEST(Shrink, RandomFaultsWrittenOutReplayTheSameRun) {
  // With one candidate run allowed, the only step is writing the random fault out as the 27
  // crashes, partitions and loss windows it fired: the run must be the very same one.
  TempDir dir("shrink-replay");
  const fs::path file = vote_twice_file(dir);
  const CommandResult r = shrink(file, "--seed 1 -j 1 --max-runs 1", dir.path() / "s");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string shrunk = read_file(dir.path() / "s" / "shrunk.yaml");
  EXPECT_EQ(shrunk.find("random:"), std::string::npos) << shrunk;
  EXPECT_NE(shrunk.find("for: 200ms, crash: [n"), std::string::npos) << shrunk;
  const CommandResult orig = run_command(std::string(SYNOD_BINARY) + " run " + file.string() +
                                         " --seed 1 --quiet --out " + (dir.path() / "o").string());
  EXPECT_EQ(orig.exit_code, 1);
  EXPECT_EQ(read_file(dir.path() / "o" / "history.jsonl"),
            read_file(dir.path() / "s" / "report" / "history.jsonl"));
  const auto a = read_json(dir.path() / "o" / "report.json");
  const auto b = read_json(dir.path() / "s" / "report" / "report.json");
  EXPECT_EQ(a["messages"], b["messages"]);
  EXPECT_EQ(a["invariants"], b["invariants"]);
}

TEST(Shrink, RefusesASeedThatDoesNotFailAndAKeepItDoesNotFailBy) {
  TempDir dir("shrink-refuse");
  const fs::path safe = dir.path() / "harsh.yaml";
  std::ofstream(safe) << scenario_text("raft-harsh");
  const CommandResult r = shrink(safe, "--seed 1", dir.path() / "x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("is safe under seed 1: nothing to shrink"), std::string::npos) << r.output;
  const CommandResult k =
      shrink(vote_twice_file(dir), "--seed 1 --keep section:quorum", dir.path() / "y");
  EXPECT_EQ(k.exit_code, 2);
  EXPECT_NE(k.output.find("--keep section:quorum: seed 1 fails as invariant:"), std::string::npos)
      << k.output;
}

}  // namespace
}  // namespace synod::test
