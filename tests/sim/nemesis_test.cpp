// The nemesis's leader-following and message-mangling faults, end to end through the synod binary:
// `crash-leader` and `isolate-leader` hit whoever leads when they fire (read back from
// events.jsonl), and duplicate/reorder windows show in the message counters and the fault records.
#include <gtest/gtest.h>

#include <map>

#include "run_util.hpp"

namespace synod::test {
namespace {

namespace fs = std::filesystem;

struct NemesisRun {
  nlohmann::json report;
  std::vector<nlohmann::json> events;
};

NemesisRun run_with(const std::string& faults, const std::string& tag, uint64_t seed = 2) {
  TempDir dir("nemesis-" + tag);
  const fs::path file = dir.path() / "nemesis.yaml";
  std::ofstream(file) << "name: nemesis\nduration: 5s\ncluster: {nodes: 5, jitter: 2ms}\n"
                         "protocol: {name: raft, election_timeout: [50ms, 100ms], heartbeat: 20ms}\n"
                         "workload: {clients: 4, rate: 100/s, stop: 4.5s}\n"
                      << faults;
  CommandResult r = run_command(std::string(SYNOD_BINARY) + " run " + file.string() + " --seed " +
                                std::to_string(seed) + " --quiet --out " +
                                (dir.path() / "out").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  NemesisRun out;
  out.report = read_json(dir.path() / "out" / "report.json");
  std::ifstream ev(dir.path() / "out" / "events.jsonl");
  for (std::string line; std::getline(ev, line);) out.events.push_back(nlohmann::json::parse(line));
  return out;
}

// Who led just before time t, as the recorder saw it: the live node in leader role with the
// highest term.
std::string leader_before(const std::vector<nlohmann::json>& events, double t) {
  std::map<std::string, std::pair<std::string, int>> role;  // node -> (role, term)
  for (const auto& e : events) {
    if (e["time"].get<double>() >= t) break;
    const std::string node = e["node"].get<std::string>();
    if (e["type"] == "role") role[node] = {e["role"].get<std::string>(), e["term"].get<int>()};
    if (e["type"] == "crash") role[node] = {"down", 0};
  }
  std::string best;
  int best_term = -1;
  for (const auto& [node, rt] : role)
    if (rt.first == "leader" && rt.second > best_term) best = node, best_term = rt.second;
  return best;
}

TEST(Nemesis, CrashLeaderFollowsTheLeader) {
  const NemesisRun r = run_with(
      "faults:\n  - {at: 1s, every: 400ms, until: 4s, random: [crash-leader]}\n"
      "  - {at: 4s, restart: crashed}\n",
      "crash-leader");
  int crashes = 0;
  for (const auto& f : r.report["faults"]) {
    if (f["kind"] != "crash") continue;
    if (f["targets"].empty()) continue;  // no leader at that instant: nothing crashed
    ++crashes;
    ASSERT_EQ(f["targets"].size(), 1u);
    EXPECT_EQ(f["targets"][0].get<std::string>(), leader_before(r.events, f["time_s"].get<double>()))
        << "at " << f["time_s"];
  }
  EXPECT_GE(crashes, 5);  // 8 draws; a leader is back within ~100 ms of each restart
  EXPECT_TRUE(r.report["invariants"]["violations"].empty());
}

TEST(Nemesis, IsolateLeaderPutsTheLeaderAloneInItsGroup) {
  const NemesisRun r = run_with(
      "faults:\n  - {at: 1s, every: 300ms, until: 4s, random: [isolate-leader]}\n", "isolate");
  int partitions = 0;
  for (const auto& f : r.report["faults"]) {
    if (f["kind"] != "partition") continue;
    ++partitions;
    ASSERT_EQ(f["targets"].size(), 2u);
    const std::string alone = f["targets"][0].get<std::string>();
    EXPECT_EQ(alone.find(','), std::string::npos) << alone;
    EXPECT_EQ(alone, leader_before(r.events, f["time_s"].get<double>())) << "at " << f["time_s"];
  }
  EXPECT_EQ(partitions, 10);
}

TEST(Nemesis, DuplicateAndReorderWindowsChangeDeliveryOnlyWhileOn) {
  const NemesisRun calm = run_with("", "calm");
  const NemesisRun dup = run_with(
      "faults:\n  - {at: 1s, for: 2s, duplicate: {targets: all, p: 0.5}}\n", "dup");
  EXPECT_EQ(calm.report["messages"]["duplicated"].get<uint64_t>(), 0u);
  const double sent = dup.report["messages"]["sent"].get<double>();
  const double duplicated = dup.report["messages"]["duplicated"].get<double>();
  // For 2 s of 5 a message between two nodes is doubled with 1-(1-0.5)(1-0.5) = 0.75 (each end's
  // window counts, as loss does), one to or from a client with 0.5: about 0.3 of all sent.
  EXPECT_GT(duplicated / sent, 0.25);
  EXPECT_LT(duplicated / sent, 0.45);
  ASSERT_EQ(dup.report["faults"].size(), 2u);
  EXPECT_EQ(dup.report["faults"][1]["detail"], "p=0 (end of window)");

  const NemesisRun reorder = run_with(
      "faults:\n  - {at: 1s, for: 2s, reorder: {targets: all, spread: 30ms}}\n", "reorder");
  ASSERT_EQ(reorder.report["faults"].size(), 2u);
  EXPECT_EQ(reorder.report["faults"][0]["detail"], "+[0, 30ms] per message");
  // Messages wait up to 30 ms more: ok-op latency rises, nothing unsafe.
  EXPECT_GT(reorder.report["latency_ms"]["p90"].get<double>(),
            calm.report["latency_ms"]["p90"].get<double>());
  EXPECT_TRUE(reorder.report["invariants"]["violations"].empty());
  EXPECT_EQ(reorder.report["consistency"]["verdict"], "linearizable");

  // heal ends them too, and says so.
  const NemesisRun healed = run_with(
      "faults:\n  - {at: 1s, reorder: {targets: all, spread: 5ms}}\n  - {at: 2s, heal: all}\n", "heal");
  ASSERT_EQ(healed.report["faults"].size(), 2u);
  EXPECT_EQ(healed.report["faults"][1]["detail"],
            "partitions, cuts, latency, loss, duplicate and reorder cleared");
}

}  // namespace
}  // namespace synod::test
