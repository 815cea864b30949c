// Clock skew as a fault: a skewed node is handed its own clock (true time + offset) in every
// input, so its timers and timestamps move with it; the run's records keep true time.
#include <gtest/gtest.h>

#include "run_util.hpp"

namespace synod::test {
namespace {

namespace fs = std::filesystem;

// A 3-node Raft cluster without pre-vote and check-quorum, so a follower whose election timer
// fires early does start an election; `faults` is the scenario's fault list.
nlohmann::json run_with(const std::string& faults, const std::string& tag) {
  TempDir dir("skew-" + tag);
  const fs::path file = dir.path() / "skew.yaml";
  std::ofstream(file) << "name: skew\nduration: 6s\ncluster: {nodes: 3}\n"
                         "protocol: {name: raft, pre_vote: false, check_quorum: false}\n"
                         "workload: {clients: 2, rate: 50/s}\n"
                      << faults;
  CommandResult r = run_command(std::string(SYNOD_BINARY) + " run " + file.string() +
                                " --quiet --seed 3 --out " + (dir.path() / "out").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return read_json(dir.path() / "out" / "report.json");
}

TEST(Skew, AFollowerWhoseClockJumpsAheadTimesOutAtOnce) {
  const auto calm = run_with("", "calm");
  // Every follower's clock jumps 2 s ahead, past any election deadline it had armed.
  const auto skewed = run_with("faults:\n  - {at: 3s, skew: {targets: followers, ahead: 2s}}\n", "ahead");
  EXPECT_GT(skewed["elections"]["started"].get<int>(), calm["elections"]["started"].get<int>());
  ASSERT_EQ(skewed["faults"].size(), 1u);
  EXPECT_EQ(skewed["faults"][0]["kind"], "skew");
  EXPECT_EQ(skewed["faults"][0]["detail"], "clock 2s ahead");
  EXPECT_EQ(skewed["faults"][0]["targets"].size(), 2u);
  EXPECT_TRUE(skewed["invariants"]["violations"].empty()) << skewed["invariants"].dump(2);
}

TEST(Skew, BehindDelaysTimersAndHealOrForUndoIt) {
  // A clock stepped behind fires its timers late: the node is slow to notice a dead leader, but
  // nothing breaks. `for` steps it back; heal clears any skew.
  const auto behind = run_with(
      "faults:\n  - {at: 2s, skew: {targets: [n1, n2], behind: 500ms}, for: 1s}\n"
      "  - {at: 4s, skew: {targets: n3, ahead: 1s}}\n  - {at: 5s, heal: all}\n",
      "behind");
  ASSERT_EQ(behind["faults"].size(), 4u);
  EXPECT_EQ(behind["faults"][0]["detail"], "clock 500ms behind");
  EXPECT_EQ(behind["faults"][1]["detail"], "clock back to true time (end of window)");
  EXPECT_EQ(behind["faults"][3]["kind"], "heal");
  EXPECT_EQ(behind["faults"][3]["detail"], "partitions, cuts, latency, loss and clock skew cleared");
  EXPECT_TRUE(behind["invariants"]["violations"].empty());
  EXPECT_EQ(behind["consistency"]["verdict"], "linearizable");
}

}  // namespace
}  // namespace synod::test
