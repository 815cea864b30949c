// Sharded clusters through the whole simulator: K groups of a replicated protocol on a subset of
// the nodes each (protocol.shards / protocol.replication). Raft, Multi-Paxos and primary-backup
// groups stay safe and linearizable under a crash of the node leading the most groups, per group
// and per key; the report's `shards` section holds one entry per group with a leader at the end;
// a run is byte-identical for a seed; the loader refuses shapes that cannot be. Rebalancing
// (shards-raft-rebalance): a join and a leave move replicas by Raft membership changes, every
// move completes, the run stays linearizable, and the members at the end are the plan's.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "run_util.hpp"
#include "sim/families/registry.hpp"
#include "sim/scenario/scenario.hpp"

namespace synod::test {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code;
  std::string output;
  nlohmann::json report;
};

Outcome run_text(const TempDir& dir, const std::string& text, uint64_t seed, const std::string& tag) {
  const fs::path file = dir.path() / (tag + ".yaml");
  std::ofstream(file) << text;
  const fs::path out = dir.path() / tag;
  const CommandResult r = run_command(std::string(SYNOD_BINARY) + " run " + file.string() +
                                      " --quiet --seed " + std::to_string(seed) + " --out " +
                                      out.string());
  Outcome run{r.exit_code, r.output, {}};
  if (fs::exists(out / "report.json")) run.report = read_json(out / "report.json");
  return run;
}

void expect_safe_sharded_run(const Outcome& r, int shards) {
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.report["consistency"]["verdict"], "linearizable");
  EXPECT_TRUE(r.report["consistency"]["lost_acknowledged_writes"].empty());
  EXPECT_TRUE(r.report["invariants"]["violations"].empty());
  const auto& sec = r.report["shards"];
  ASSERT_EQ(sec["groups"].size(), static_cast<size_t>(shards));
  EXPECT_EQ(sec["groups_without_leader_at_end"], 0);
  for (const auto& g : sec["groups"]) {
    EXPECT_GE(g["leaders_elected"].get<int>(), 1);
    EXPECT_EQ(g["members"].size(), 3u);
  }
}

TEST(Shards, RaftGroupsStaySafeWhenTheNodeLeadingTheMostCrashes) {
  TempDir dir("shards-raft");
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const Outcome r = run_text(dir, scenario_text("shards-raft-failover"), seed, "raft");
    expect_safe_sharded_run(r, 12);
    // The crash hit a node that led groups: more leaders than groups were elected.
    int elected = 0;
    for (const auto& g : r.report["shards"]["groups"]) elected += g["leaders_elected"].get<int>();
    EXPECT_GT(elected, 12) << "seed " << seed;
    EXPECT_EQ(r.report["sharding"]["shards"], 12);
  }
}

TEST(Shards, MultiPaxosAndPrimaryBackupGroupsToo) {
  TempDir dir("shards-other");
  for (const std::string protocol : {"multipaxos", "primary-backup"}) {
    const std::string text =
        replaced(replaced(scenario_text("shards-raft-failover"), "name: raft", "name: " + protocol),
                 "  election_timeout: [150ms, 300ms]\n  heartbeat: 50ms\n", "");
    for (uint64_t seed = 1; seed <= 3; ++seed)
      expect_safe_sharded_run(run_text(dir, text, seed, protocol), 12);
  }
}

TEST(Shards, ASeedGivesAByteIdenticalReport) {
  TempDir dir("shards-det");
  const std::string text = scenario_text("shards-raft-failover");
  const fs::path file = dir.path() / "s.yaml";
  std::ofstream(file) << text;
  std::string first;
  for (int i = 0; i < 2; ++i) {
    const fs::path out = dir.path() / ("o" + std::to_string(i));
    ASSERT_EQ(run_command(std::string(SYNOD_BINARY) + " run " + file.string() + " --quiet --out " +
                          out.string()).exit_code, 0);
    const std::string report = read_file(out / "report.json");
    if (i == 0) first = report;
    else EXPECT_EQ(report, first);
  }
}

TEST(Shards, ProtocolEventsCarryTheirGroup) {
  TempDir dir("shards-events");
  const Outcome r = run_text(dir, scenario_text("shards-raft-failover"), 1, "ev");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir.path() / "ev" / "events.jsonl");
  std::string line;
  std::set<int> groups;
  size_t protocol_events = 0;
  while (std::getline(in, line)) {
    const auto e = nlohmann::json::parse(line);
    const std::string type = e["type"];
    if (type != "role" && type != "election" && type != "commit" && type != "apply") continue;
    protocol_events++;
    ASSERT_TRUE(e.contains("group")) << line;
    groups.insert(e["group"].get<int>());
  }
  EXPECT_GT(protocol_events, 1000u);
  EXPECT_EQ(groups.size(), 12u);
}

TEST(Shards, RebalancingMovesReplicasByMembershipChangesAndStaysLinearizable) {
  TempDir dir("shards-rebalance");
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const Outcome r = run_text(dir, scenario_text("shards-raft-rebalance"), seed, "rb");
    expect_safe_sharded_run(r, 12);
    const auto& rb = r.report["shards"]["rebalance"];
    // n7 joins (takes floor(36/7) = 5 replicas), n2 leaves (hands on the 5 it still has).
    EXPECT_EQ(rb["steps_run"], 2);
    EXPECT_EQ(rb["moves"], 10) << "seed " << seed;
    EXPECT_EQ(rb["moves_done"], rb["moves"]) << "seed " << seed;
    for (const auto& m : rb["replica_moves"]) {
      ASSERT_FALSE(m["voter_at_s"].is_null()) << m;
      EXPECT_GT(m["voter_at_s"].get<double>(), m["at_s"].get<double>());
      EXPECT_GE(m["removed_at_s"].get<double>(), m["voter_at_s"].get<double>());
      EXPECT_LT(m["removed_at_s"].get<double>() - m["at_s"].get<double>(), 1.0) << m;
      EXPECT_GT(m["entries_copied"].get<int>(), 0) << m;
    }
    for (const auto& n : r.report["shards"]["nodes"]) {
      if (n["node"] == "n2") EXPECT_EQ(n["groups"], 0);
      else EXPECT_EQ(n["groups"], 6) << n;  // 36 replicas evenly on the 6 members left
    }
    for (const auto& g : r.report["shards"]["groups"])
      for (const auto& name : g["members"]) EXPECT_NE(name, "n2");
    EXPECT_GT(rb["keys_moved_fraction"].get<double>(), 0.3);
  }
}

// The leader balancer (balance_leaders, on by default): by the end of the failover run (the
// crashed node back at 6 s) every node leads 2 of the 12 groups; without it leaders pile up.
TEST(Shards, TheLeaderBalancerSpreadsLeadersEvenly) {
  TempDir dir("shards-balance");
  const std::string text = scenario_text("shards-raft-failover");
  const std::string off = replaced(text, "  replication: 3 ", "  balance_leaders: false\n  replication: 3 ");
  ASSERT_NE(off, text);
  double worst_off = 0;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const Outcome on = run_text(dir, text, seed, "on");
    expect_safe_sharded_run(on, 12);
    EXPECT_DOUBLE_EQ(on.report["shards"]["imbalance"]["leaders_max_over_mean"].get<double>(), 1.0)
        << "seed " << seed;
    const Outcome o = run_text(dir, off, seed, "off");
    expect_safe_sharded_run(o, 12);
    worst_off = std::max(worst_off, o.report["shards"]["imbalance"]["leaders_max_over_mean"].get<double>());
  }
  EXPECT_GT(worst_off, 1.2) << "elections alone balanced every seed: the test shows nothing";
}

TEST(Shards, TheLoaderRefusesRebalancesThatCannotBePlanned) {
  auto error_of = [](const std::string& text) {
    try {
      sim::registry::parse(text, "s.yaml");
    } catch (const sim::ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string base =
      "duration: 5s\ncluster: {nodes: 5, members: [n1, n2, n3, n4]}\nprotocol:\n  name: raft\n"
      "  shards: 4\nfaults:\n";
  EXPECT_EQ(error_of(base + "  - {at: 1s, join: n5}\n  - {at: 2s, leave: n1}\n"), "no error");
  std::string e = error_of(base + "  - {at: 1s, leave: leader}\n");
  EXPECT_NE(e.find("s.yaml:7"), std::string::npos) << e;
  EXPECT_NE(e.find("names its nodes"), std::string::npos) << e;
  e = error_of(base + "  - {at: 1s, leave: n4}\n  - {at: 2s, join: n4}\n");
  EXPECT_NE(e.find("s.yaml:8"), std::string::npos) << e;
  EXPECT_NE(e.find("n4 joins again after it left"), std::string::npos) << e;
  e = error_of(base + "  - {at: 1s, leave: [n3, n4]}\n");
  EXPECT_NE(e.find("fewer than the replication (3)"), std::string::npos) << e;
  e = error_of(replaced(base, "name: raft", "name: multipaxos") + "  - {at: 1s, join: n5}\n");
  EXPECT_NE(e.find("changes its membership"), std::string::npos) << e;
}

TEST(Shards, TheLoaderRefusesShapesThatCannotBe) {
  auto error_of = [](const std::string& text) {
    try {
      sim::registry::parse(text, "s.yaml");
    } catch (const sim::ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string base = "duration: 1s\ncluster: {nodes: 3}\nprotocol:\n  name: raft\n";
  EXPECT_NE(error_of(base + "  shards: 4\n  replication: 5\n").find("s.yaml:6"), std::string::npos);
  EXPECT_NE(error_of(base + "  shards: 4\n  replication: 5\n").find("more replicas than the cluster's 3"),
            std::string::npos);
  EXPECT_NE(error_of(base + "  replication: 3\n").find("needs `shards`"), std::string::npos);
  EXPECT_NE(error_of(base + "  shards: 0\n").find("s.yaml:5"), std::string::npos);
  const std::string paxos = "duration: 1s\ncluster: {nodes: 3}\nprotocol:\n  name: paxos\n  shards: 2\n";
  const std::string e = error_of(paxos);
  EXPECT_NE(e.find("shards"), std::string::npos) << e;
  EXPECT_NE(e.find("raft"), std::string::npos) << e;  // says which protocols it applies to
  EXPECT_EQ(error_of(base + "  shards: 4\n"), "no error");  // replication defaults to 3
  EXPECT_NE(error_of(base + "  balance_leaders: false\n").find("needs `shards`"), std::string::npos);
}

}  // namespace
}  // namespace synod::test
