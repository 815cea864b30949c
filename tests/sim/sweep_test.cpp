// Scenario sweeps: every Raft scenario under 20 seeds, each run as a user would run it. Safety
// (no invariant violation, no lost acknowledged write, a linearizable history) must hold on every
// seed; each scenario's own expectation about progress is checked too. A failure prints the
// command that replays it. A parameter "scenario@reads=MODE" runs the scenario with Raft reads
// served that way (ReadIndex or lease, protocols/raft/reads.cpp) instead of through the log.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "run_util.hpp"

namespace synod::test {
namespace {

constexpr int kSeeds = 20;

struct HistoryEvent {
  int64_t process;
  std::string type;
  double time;
};

std::vector<HistoryEvent> read_history(const std::filesystem::path& p) {
  std::vector<HistoryEvent> out;
  std::istringstream in(read_file(p));
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    out.push_back({j["process"].get<int64_t>(), j["type"].get<std::string>(), j["time"].get<double>()});
  }
  return out;
}

// Operations that completed ok within [from, to), and among them those also invoked in it.
struct WindowCounts {
  int ok_completed = 0;
  int ok_invoked_and_completed = 0;
};

WindowCounts ok_in_window(const std::vector<HistoryEvent>& h, double from, double to) {
  WindowCounts c;
  std::map<int64_t, double> invoked_at;
  for (const auto& e : h) {
    if (e.type == "invoke") {
      invoked_at[e.process] = e.time;
      continue;
    }
    if (e.type == "ok" && e.time >= from && e.time < to) {
      c.ok_completed++;
      if (invoked_at[e.process] >= from) c.ok_invoked_and_completed++;
    }
  }
  return c;
}

class Sweep : public ::testing::TestWithParam<std::string> {};

TEST_P(Sweep, SafeOnEverySeedAndMakesTheExpectedProgress) {
  const std::string param = GetParam();
  const std::string scenario = param.substr(0, param.find('@'));
  TempDir dir("sweep-" + scenario);
  std::string file = std::string(SYNOD_SOURCE_DIR) + "/scenarios/" + scenario + ".yaml";
  if (param.find("@reads=") != std::string::npos) {
    const std::string mode = param.substr(param.find('=') + 1);
    file = (dir.path() / (scenario + "-" + mode + ".yaml")).string();
    std::ofstream(file) << replaced(scenario_text(scenario), "  name: raft\n",
                                    "  name: raft\n  reads: " + mode + "\n");
  }
  for (int seed = 1; seed <= kSeeds; ++seed) {
    std::filesystem::path out = dir.path() / std::to_string(seed);
    std::string command = std::string(SYNOD_BINARY) + " run " + file + " --quiet --seed " +
                          std::to_string(seed) + " --out " + out.string();
    SCOPED_TRACE("replay: " + command);
    CommandResult r = run_command(command);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto report = read_json(out / "report.json");
    EXPECT_TRUE(report["invariants"]["violations"].empty()) << report["invariants"].dump(2);
    EXPECT_TRUE(report["consistency"]["lost_acknowledged_writes"].empty())
        << report["consistency"].dump(2);
    EXPECT_EQ(report["consistency"]["verdict"], "linearizable") << report["consistency"].dump(2);
    EXPECT_GT(report["ops"]["ok"].get<int>(), 100);
    EXPECT_EQ(report["clocks"]["violation_count"], 0) << report["clocks"].dump(2);

    auto history = read_history(out / "history.jsonl");
    if (scenario == "raft-majority-partition") {
      // No majority anywhere between 3s and 6s: nothing invoked in the split may succeed in it.
      EXPECT_EQ(ok_in_window(history, 3.0, 6.0).ok_invoked_and_completed, 0);
      EXPECT_GT(ok_in_window(history, 6.5, 9.0).ok_completed, 0) << "no progress after the heal";
    }
    if (scenario == "raft-minority-partition") {
      // The majority side keeps serving through the partition (after at most one election).
      EXPECT_GT(ok_in_window(history, 4.0, 7.0).ok_invoked_and_completed, 100);
    }
    if (scenario == "raft-leader-crash") {
      EXPECT_GE(report["elections"]["leaders_elected"].get<int>(), 2) << "no new leader after the crash";
      EXPECT_GT(ok_in_window(history, 4.0, 6.0).ok_invoked_and_completed, 100);
    }
    if (scenario == "raft-full-restart") {
      EXPECT_GT(ok_in_window(history, 6.0, 9.0).ok_invoked_and_completed, 100)
          << "no progress after the whole cluster restarted";
    }
    if (scenario == "raft-harsh" || scenario == "raft-nemesis") {
      // Healed at 6 s: the cluster serves again before the load stops at 7.5 s.
      EXPECT_GT(ok_in_window(history, 6.5, 7.5).ok_invoked_and_completed, 50);
    }
    if (scenario == "raft-random-faults") {
      // Liveness phase: everything healed at 14 s; the cluster must serve again.
      EXPECT_GT(ok_in_window(history, 15.0, 17.0).ok_invoked_and_completed, 100);
    }
    if (scenario == "raft-membership-change") {
      // Grown to 5, then the leader left: every server ends with the four others as voters, the
      // one that left never leads again, and the four serve after the change.
      const auto& faults = report["faults"];
      ASSERT_EQ(faults.size(), 3u);
      const std::string left = faults[2]["targets"][0];
      // The leader handed over (TimeoutNow) instead of leaving an election timeout to pass.
      ASSERT_TRUE(faults[2]["recovery_s"].is_number());
      EXPECT_LT(faults[2]["recovery_s"].get<double>(), 0.1);
      const int left_index = std::stoi(left.substr(1)) - 1;
      std::string last_config;
      std::istringstream events(read_file(out / "events.jsonl"));
      std::string line;
      while (std::getline(events, line)) {
        const auto e = nlohmann::json::parse(line);
        if (e["type"] == "apply" && e["command"].get<std::string>().rfind("config", 0) == 0)
          last_config = e["command"];
        if (e["type"] == "role" && e["role"] == "leader" && e["node"] == left) {
          EXPECT_LT(e["time"].get<double>(), 6.0) << left << " led after it left";
        }
      }
      std::string expected = "config";
      for (int i = 0; i < 5; ++i)
        if (i != left_index) expected += " " + std::to_string(i);
      EXPECT_EQ(last_config, expected);
      EXPECT_GT(ok_in_window(history, 6.5, 9.0).ok_invoked_and_completed, 100);
    }
    if (scenario == "raft-leadership-transfer") {
      // Each transfer: the node asked for leads within 50 ms, and clients barely notice. (A node
      // named that already leads is left as it is.)
      const auto& faults = report["faults"];
      ASSERT_EQ(faults.size(), 3u);
      int transfers = 0;
      for (const auto& f : faults) {
        if (f["detail"] == "already the leader") continue;
        ++transfers;
        ASSERT_EQ(f["targets"].size(), 2u) << f.dump();
        const std::string to = f["targets"][1];
        const double at = f["time_s"];
        bool led = false;
        std::istringstream events(read_file(out / "events.jsonl"));
        std::string line;
        while (std::getline(events, line)) {
          const auto e = nlohmann::json::parse(line);
          if (e["type"] == "role" && e["role"] == "leader" && e["time"].get<double>() >= at &&
              e["time"].get<double>() < at + 0.05)
            led |= e["node"] == to;
        }
        EXPECT_TRUE(led) << to << " did not lead within 50 ms of " << f.dump();
        EXPECT_LT(f["recovery_s"].get<double>(), 0.05) << f.dump();
      }
      EXPECT_GE(transfers, 2);
      EXPECT_EQ(report["elections"]["leaders_elected"], 1 + transfers);
    }
    if (scenario == "shards-raft-failover") {
      // Only the crashed node's groups hold elections; the others never stop serving.
      EXPECT_GT(ok_in_window(history, 3.5, 6.0).ok_invoked_and_completed, 500);
      EXPECT_EQ(report["shards"]["groups_without_leader_at_end"], 0);
    }
    if (scenario == "shards-raft-rebalance") {
      // Every replica move of the join and the leave completes, whatever the seed.
      const auto& rb = report["shards"]["rebalance"];
      EXPECT_EQ(rb["moves_done"], rb["moves"]);
      EXPECT_GT(rb["moves"].get<int>(), 0);
      EXPECT_EQ(report["shards"]["groups_without_leader_at_end"], 0);
    }
    if (scenario == "raft-regions") {
      // The two regions left hold 4 of 6 nodes: they keep serving after the cut.
      EXPECT_GT(ok_in_window(history, 7.0, 9.0).ok_invoked_and_completed, 50);
    }
    std::filesystem::remove_all(out);
  }
}

INSTANTIATE_TEST_SUITE_P(Raft, Sweep,
                         ::testing::Values("raft-basic", "raft-leader-crash",
                                           "raft-minority-partition", "raft-majority-partition",
                                           "raft-lossy-network", "raft-full-restart",
                                           "raft-random-faults", "raft-harsh", "raft-nemesis", "raft-regions",
                                           "raft-membership-change", "raft-leadership-transfer",
                                           "shards-raft-failover", "shards-raft-rebalance"),
                         ScenarioParamName());

// Reads without the log under crashes, restarts, partitions, loss and a leader leaving, with
// clocks that keep time: as safe as reads through the log.
INSTANTIATE_TEST_SUITE_P(RaftReads, Sweep,
                         ::testing::Values("raft-random-faults@reads=read-index",
                                           "raft-random-faults@reads=lease",
                                           "raft-full-restart@reads=lease",
                                           "raft-leader-crash@reads=lease",
                                           "raft-membership-change@reads=lease"),
                         ScenarioParamName());

}  // namespace
}  // namespace synod::test
