// Sharded clusters through the whole simulator: K groups of a replicated protocol on a subset of
// the nodes each (protocol.shards / protocol.replication). Raft, Multi-Paxos and primary-backup
// groups stay safe and linearizable under a crash of the node leading the most groups, per group
// and per key; the report's `shards` section holds one entry per group with a leader at the end;
// a run is byte-identical for a seed; the loader refuses shapes that cannot be.
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
}

}  // namespace
}  // namespace synod::test
