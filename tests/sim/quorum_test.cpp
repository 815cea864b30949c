// The quorum store through the whole simulator: PBS's closed form for N=3, R=W=1 (2/3 of reads
// right after an acknowledgement miss it; (2/3)^k are k versions behind), no stale read once
// quorums overlap, sloppy quorums under a partition (available, stale, not linearizable; repaired
// after the heal) and clock skew losing acknowledged writes under last writer wins.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "run_util.hpp"

namespace synod::test {
namespace {

namespace fs = std::filesystem;

nlohmann::json run_text(const TempDir& dir, const std::string& name, const std::string& yaml) {
  const fs::path file = dir.path() / (name + ".yaml");
  std::ofstream(file) << yaml;
  const fs::path out = dir.path() / ("out-" + name);
  const CommandResult r = run_command(std::string(SYNOD_BINARY) + " run " + file.string() +
                                      " --quiet --out " + out.string());
  EXPECT_EQ(r.exit_code, 0) << r.output;  // quorum promises no linearizability: never unsafe
  return read_json(out / "report.json");
}

TEST(Quorum, StalenessMatchesThePbsClosedForm) {
  TempDir dir("quorum-pbs");
  const auto rep = run_text(dir, "pbs", scenario_text("quorum-staleness"));
  const auto& q = rep["quorum"];
  EXPECT_TRUE(q["pbs_model_applies"].get<bool>());
  EXPECT_NEAR(q["pbs_closed_form"].get<double>(), 2.0 / 3, 1e-6);
  // Reads that began within 1 ms of the last acknowledgement of their key.
  const auto& first = q["t_visibility"][0];
  ASSERT_EQ(first["from_ms"], 0);
  const double missed = first["missed_latest"].get<double>() / first["reads"].get<double>();
  EXPECT_GT(first["reads"].get<int>(), 500);
  EXPECT_NEAR(missed, 2.0 / 3, 0.02) << first.dump();
  // k-staleness: P(k or more versions behind) = (2/3)^k.
  double total = 0, at_least_2 = 0, at_least_3 = 0;
  for (const auto& [k, n] : q["versions_behind"].items()) {
    total += n.get<double>();
    if (std::stoi(k) >= 2) at_least_2 += n.get<double>();
    if (std::stoi(k) >= 3) at_least_3 += n.get<double>();
  }
  EXPECT_NEAR(at_least_2 / total, 4.0 / 9, 0.03);
  EXPECT_NEAR(at_least_3 / total, 8.0 / 27, 0.03);
  EXPECT_EQ(rep["consistency"]["verdict"], "not-linearizable");
}

TEST(Quorum, OverlappingQuorumsNeverReadStale) {
  TempDir dir("quorum-strict");
  std::string text = replaced(scenario_text("quorum-staleness"), "duration: 120s", "duration: 30s");
  text = replaced(text, "stop: 118s", "stop: 29s");
  // R + W > N, each with send_to quorum (random R and W of the three) and with send_to all.
  const auto a = run_text(dir, "r3w1", replaced(text, "  r: 1\n", "  r: 3\n"));
  EXPECT_EQ(a["quorum"]["stale_reads"], 0);
  // PBS's acknowledgement-order count is not 0 even here: two overlapping writes may be
  // acknowledged in one order and timestamped in the other, and the read returns the later
  // timestamp — which is fresh in real time. It stays small.
  EXPECT_LT(a["quorum"]["missed_latest_fraction"].get<double>(), 0.03);
  std::string all = replaced(replaced(text, "  r: 1\n", "  r: 2\n"), "  w: 1\n", "  w: 2\n");
  all = replaced(replaced(all, "send_to: quorum", "send_to: all"), "read_repair: false", "read_repair: true");
  const auto b = run_text(dir, "r2w2", all);
  EXPECT_EQ(b["quorum"]["stale_reads"], 0);
  EXPECT_GT(b["quorum"]["reads_measured"].get<int>(), 10000);
  EXPECT_EQ(b["quorum"]["divergent_keys"], 0);
}

TEST(Quorum, SloppyQuorumsStayAvailableAndReadStaleUnderAPartition) {
  TempDir dir("quorum-sloppy");
  const std::string text = scenario_text("quorum-sloppy-partition");
  const auto strict = run_text(dir, "strict", text);
  const auto sloppy = run_text(dir, "sloppy", replaced(text, "sloppy: false", "sloppy: true"));
  EXPECT_EQ(strict["quorum"]["stale_reads"], 0);
  EXPECT_GT(sloppy["quorum"]["stale_reads"].get<int>(), 100);
  EXPECT_EQ(sloppy["consistency"]["verdict"], "not-linearizable");
  EXPECT_GT(sloppy["ops"]["ok"].get<double>(), 1.3 * strict["ops"]["ok"].get<double>());
  EXPECT_LT(sloppy["latency_ms"]["p99"].get<double>(), strict["latency_ms"]["p99"].get<double>());
  // After the heal, handoff and anti-entropy repair what the partition split.
  for (const auto* r : {&strict, &sloppy}) {
    EXPECT_EQ((*r)["quorum"]["divergent_keys"], 0);
    EXPECT_EQ((*r)["quorum"]["last_acknowledged_write_lost"], 0);
  }
  const auto no_handoff = run_text(dir, "no-handoff",
                                   replaced(replaced(text, "sloppy: false", "sloppy: true"),
                                            "handoff_interval: 1s", "handoff_interval: 100s"));
  EXPECT_GT(no_handoff["quorum"]["last_acknowledged_write_lost"].get<int>(), 0)
      << "writes acknowledged only by stand-ins never reach their owners";
}

TEST(Quorum, ClockSkewLosesAcknowledgedWritesUnderLastWriterWins) {
  TempDir dir("quorum-skew");
  const std::string text = scenario_text("quorum-clock-skew");
  const auto skewed = run_text(dir, "skew", text);
  EXPECT_GT(skewed["quorum"]["stale_reads"].get<int>(), 100);
  EXPECT_GT(skewed["quorum"]["last_acknowledged_write_lost"].get<int>(), 0);
  EXPECT_EQ(skewed["consistency"]["verdict"], "not-linearizable");
  const auto fine = run_text(dir, "no-skew",
                             replaced(text, "faults:\n  - {at: 5s, skew: {targets: [n1], behind: 200ms}, for: 10s}\n", ""));
  EXPECT_EQ(fine["quorum"]["stale_reads"], 0);
  EXPECT_EQ(fine["quorum"]["last_acknowledged_write_lost"], 0);
}

// The same skew under vector clocks: a write's coordinator reads the clocks first, so its
// version replaces what it saw whatever its timestamp — the skew loses nothing and no read is
// stale. Under a sloppy partition, the two sides' writes are concurrent: siblings at the end,
// where last writer wins keeps one side silently.
TEST(Quorum, VectorClockSiblingsMakeTheSkewHarmlessAndKeepAPartitionsConflicts) {
  TempDir dir("quorum-siblings");
  const std::string skew =
      replaced(scenario_text("quorum-clock-skew"), "  name: quorum\n", "  name: quorum\n  conflicts: siblings\n");
  ASSERT_NE(skew, scenario_text("quorum-clock-skew"));
  for (const std::string seed : {"1", "2"}) {
    const auto r = run_text(dir, "skew-siblings-" + seed, replaced(skew, "seed: 1\n", "seed: " + seed + "\n"));
    EXPECT_EQ(r["quorum"]["conflicts"], "siblings");
    EXPECT_EQ(r["quorum"]["stale_reads"], 0) << "seed " << seed;
    EXPECT_EQ(r["quorum"]["last_acknowledged_write_lost"], 0);
    EXPECT_EQ(r["consistency"]["verdict"], "linearizable");
    EXPECT_TRUE(r["invariants"]["violations"].empty());
  }
  const std::string part = replaced(scenario_text("quorum-sloppy-partition"), "  sloppy: false\n",
                                    "  sloppy: true\n  conflicts: siblings\n");
  ASSERT_NE(part, scenario_text("quorum-sloppy-partition"));
  const auto p = run_text(dir, "partition-siblings", part);
  EXPECT_GT(p["quorum"]["keys_with_siblings_at_end"].get<int>(), 10);
  EXPECT_GE(p["quorum"]["most_siblings"].get<int>(), 2);
  EXPECT_EQ(p["quorum"]["divergent_keys"], 0) << "anti-entropy spreads the siblings too";
  EXPECT_TRUE(p["invariants"]["violations"].empty());
}

TEST(Quorum, AJoinAndALeaveStreamKeysToTheirNewReplicas) {
  TempDir dir("quorum-rebalance");
  const auto rep = run_text(dir, "rebalance", scenario_text("quorum-rebalance"));
  const auto& m = rep["quorum"]["membership"];
  EXPECT_EQ(m["initial"], nlohmann::json({"n1", "n2", "n3", "n4"}));
  EXPECT_EQ(m["final"], nlohmann::json({"n1", "n3", "n4", "n5"}));
  EXPECT_EQ(m["changes"], 2);
  // n5's quarter of the final ring is all new, and some of n2's copies went elsewhere.
  EXPECT_GT(m["key_copies_moved_fraction"].get<double>(), 0.25);
  EXPECT_LT(m["key_copies_moved_fraction"].get<double>(), 0.35);
  EXPECT_GT(m["stream_messages"].get<int>(), 0);
  EXPECT_EQ(rep["quorum"]["divergent_keys"], 0);
  EXPECT_EQ(rep["quorum"]["last_acknowledged_write_lost"], 0);
  EXPECT_EQ(rep["faults"].size(), 2u);
}

TEST(Quorum, AJoinMovesATenthOfTheCopiesUnderConsistentAndRendezvousMostUnderModulo) {
  TempDir dir("quorum-placement");
  const std::string text = scenario_text("placement-compare");
  std::map<std::string, nlohmann::json> q;
  for (const char* p : {"modulo", "consistent", "rendezvous"})
    q[p] = run_text(dir, p, replaced(text, "placement: consistent", std::string("placement: ") + p))["quorum"];
  // A tenth node's share is a tenth of the copies.
  for (const char* p : {"consistent", "rendezvous"}) {
    EXPECT_NEAR(q[p]["membership"]["key_copies_moved_fraction"].get<double>(), 0.1, 0.02) << p;
    EXPECT_EQ(q[p]["divergent_keys"], 0) << p;
  }
  EXPECT_GT(q["modulo"]["membership"]["key_copies_moved_fraction"].get<double>(), 0.6);
  EXPECT_GT(q["modulo"]["membership"]["stream_bytes"].get<double>(),
            4 * q["consistent"]["membership"]["stream_bytes"].get<double>());
  EXPECT_LT(q["rendezvous"]["load_imbalance"].get<double>(), q["consistent"]["load_imbalance"].get<double>());
}

TEST(Quorum, MembershipChangesAreRefusedForAFixedMembershipProtocol) {
  TempDir dir("quorum-multipaxos-join");
  const fs::path file = dir.path() / "multipaxos.yaml";
  std::ofstream(file) << replaced(scenario_text("quorum-rebalance"),
                                  "protocol:\n  name: quorum\n  n: 3\n  r: 2\n  w: 2\n  vnodes: 100\n  anti_entropy: 2s\n",
                                  "protocol: {name: multipaxos}\n");
  const CommandResult r = run_command(std::string(SYNOD_BINARY) + " run " + file.string() + " --quiet");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("a join fault needs a protocol that changes its membership (raft, quorum); multipaxos's is fixed"),
            std::string::npos) << r.output;
}

}  // namespace
}  // namespace synod::test
