// primary-backup through the whole simulator (one synod process per run: SimGrid runs once per
// process): sync loses no acknowledged write when the primary crashes; async does, and the report
// names the writes; a partitioned primary is fenced and the majority side goes on.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "run_util.hpp"
#include "sim/families/registry.hpp"

namespace synod::test {
namespace {

namespace fs = std::filesystem;

nlohmann::json run_file(const fs::path& file, uint64_t seed, const fs::path& out) {
  const CommandResult r = run_command(std::string(SYNOD_BINARY) + " run " + file.string() +
                                      " --quiet --seed " + std::to_string(seed) + " --out " +
                                      out.string());
  EXPECT_NE(r.exit_code, 2) << r.output;  // 2: bad input
  return read_json(out / "report.json");
}

fs::path failover_file(const TempDir& dir, const std::string& mode) {
  std::ifstream in(std::string(SYNOD_SOURCE_DIR) + "/scenarios/primary-backup-failover.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t at = text.find("mode: sync");
  EXPECT_NE(at, std::string::npos);
  text.replace(at, 10, "mode: " + mode);
  const fs::path file = dir.path() / ("failover-" + mode + ".yaml");
  std::ofstream(file) << text;
  return file;
}

TEST(PrimaryBackup, SyncLosesNoAcknowledgedWriteWhenThePrimaryCrashes) {
  TempDir dir("pb-sync");
  const fs::path file = failover_file(dir, "sync");
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const auto r = run_file(file, seed, dir.path() / "out");
    EXPECT_TRUE(r["consistency"]["lost_acknowledged_writes"].empty()) << "seed " << seed;
    EXPECT_TRUE(r["invariants"]["violations"].empty()) << "seed " << seed << r["invariants"].dump(1);
    EXPECT_EQ(r["consistency"]["verdict"], "linearizable") << "seed " << seed;
    EXPECT_EQ(r["replication"]["failovers"], 2) << "seed " << seed;  // one per crash
  }
}

TEST(PrimaryBackup, AsyncLosesAcknowledgedWritesAndNamesThem) {
  TempDir dir("pb-async");
  const fs::path file = failover_file(dir, "async");
  int seeds_with_loss = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const auto r = run_file(file, seed, dir.path() / "out");
    EXPECT_EQ(r["replication"]["failovers"], 2) << "seed " << seed;
    const auto& lost = r["consistency"]["lost_acknowledged_writes"];
    EXPECT_EQ(r["replication"]["lost_acknowledged_writes"], lost.size());
    if (lost.empty()) continue;
    ++seeds_with_loss;
    // "c3#17 write k2 = 55 acknowledged at 2.998s": who, what, when.
    EXPECT_NE(lost[0].get<std::string>().find("acknowledged at"), std::string::npos) << lost[0];
  }
  // Writes acknowledged within the last heartbeat (20 ms) before a crash have not left the
  // primary: at 400 ops/s, about 60% of them writes, a few per crash.
  EXPECT_GE(seeds_with_loss, 15);
}

TEST(PrimaryBackup, APartitionedPrimaryIsFencedAndTheMajoritySideGoesOn) {
  TempDir dir("pb-partition");
  const fs::path file = dir.path() / "partition.yaml";
  std::ofstream(file) << "name: pb-partition\nduration: 8s\n"
                         "cluster: {nodes: 5, latency: 2ms, jitter: 1ms}\n"
                         "protocol: {name: primary-backup, mode: sync}\n"
                         "workload: {clients: 6, rate: 300/s, keys: 10, timeout: 1s, stop: 7s}\n"
                         "faults:\n  - {at: 2s, partition: isolate-leader}\n"
                         "  - {at: 5s, heal: all}\n";
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const auto r = run_file(file, seed, dir.path() / "out");
    EXPECT_TRUE(r["consistency"]["lost_acknowledged_writes"].empty()) << "seed " << seed;
    EXPECT_TRUE(r["invariants"]["violations"].empty()) << "seed " << seed << r["invariants"].dump(1);
    EXPECT_EQ(r["consistency"]["verdict"], "linearizable") << "seed " << seed;
    EXPECT_GE(r["replication"]["failovers"].get<int>(), 1) << "seed " << seed;
  }
}

TEST(PrimaryBackup, BadModeIsAnErrorWithItsPlace) {
  try {
    sim::registry::parse(
        "name: x\nduration: 1s\ncluster: {nodes: 3}\nprotocol: {name: primary-backup, mode: lazy}\n",
        "x.yaml");
    FAIL() << "accepted mode: lazy";
  } catch (const sim::ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("x.yaml:4:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("lazy"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace synod::test
