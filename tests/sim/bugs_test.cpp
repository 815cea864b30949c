// The bug knobs (protocol.bugs: protocols/raft/raft_node.hpp, protocols/paxos/config.hpp,
// protocols/lamport/*_node.hpp): each classic mistake switched on must be caught by synod's
// checks within a small seed budget, by `synod sweep --stop-at-first` — Raft, Paxos and
// Multi-Paxos on scenarios/raft-harsh.yaml (the same nemesis, the protocol swapped), LWW on
// lamport-lww-partition, mutex on lamport-mutex-basic; with no knob on, the same seeds are safe.
// figure8 needs a light load and faults that follow the leader (bench/figure8-hunt.yaml); its
// shrunk counterexample is scenarios/raft-figure8.yaml. forget-vote needs slow messages and
// crashes shorter than an election (bench/forget-vote-hunt.yaml); docs/bugs.md says why.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "run_util.hpp"

namespace synod::test {
namespace {

namespace fs = std::filesystem;

struct Knob {
  const char* name;
  const char* caught_by;  // a kind the sweep must report
  const char* protocol = "raft";
};

// The scenario a protocol's knobs are hunted with, with `bugs` (if any) switched on.
std::string hunt_text(const std::string& protocol, const std::string& bugs) {
  const std::string with = bugs.empty() ? "" : "\n  bugs: [" + bugs + "]";
  if (protocol == "lamport-lww")
    return replaced(scenario_text("lamport-lww-partition"), "  name: lamport-lww\n",
                    "  name: lamport-lww" + with + "\n");
  if (protocol == "lamport-mutex")
    return replaced(scenario_text("lamport-mutex-basic"), "  name: lamport-mutex\n",
                    "  name: lamport-mutex" + with + "\n");
  std::string text = replaced(scenario_text("raft-harsh"), "  name: raft\n",
                              "  name: " + protocol + with + "\n");
  if (protocol == "paxos")  // Basic Paxos has no leader: none of the leader keys
    text = replaced(text, "  election_timeout: [50ms, 100ms]\n  heartbeat: 20ms\n  pre_vote: false\n"
                          "  check_quorum: false\n", "");
  return text;
}

class BugKnob : public ::testing::TestWithParam<Knob> {};

nlohmann::json sweep_with(const TempDir& dir, const std::string& bugs, const std::string& seeds,
                          int expect_exit, const std::string& protocol = "raft") {
  const std::string text = hunt_text(protocol, bugs);
  EXPECT_NE(text, hunt_text(protocol, bugs.empty() ? "x" : "")) << "the rewrite did not apply";
  const fs::path file = dir.path() / "harsh.yaml";
  std::ofstream(file) << text;
  const CommandResult r = run_command(std::string(SYNOD_BINARY) + " sweep " + file.string() +
                                      " --stop-at-first -j 2 --seeds " + seeds + " --out " +
                                      (dir.path() / "out").string());
  EXPECT_EQ(r.exit_code, expect_exit) << r.output;
  return read_json(dir.path() / "out" / "sweep.json")["protocols"][0];
}

TEST_P(BugKnob, IsCaughtWithinTwentySeedsOfTheHarshScenario) {
  const Knob k = GetParam();
  TempDir dir(std::string("bug-") + k.name);
  const auto p = sweep_with(dir, k.name, "1-20", 1, k.protocol);
  ASSERT_GE(p["unsafe"].get<int>(), 1);
  EXPECT_TRUE(p["unsafe_by_kind"].contains(k.caught_by)) << p.dump(2);
}

INSTANTIATE_TEST_SUITE_P(Raft, BugKnob,
                         ::testing::Values(Knob{"vote-twice", "invariant:election-safety"},
                                           Knob{"skip-log-check", "invariant:leader-completeness"},
                                           Knob{"minority-quorum", "invariant:election-safety"},
                                           Knob{"local-reads", "not-linearizable"},
                                           Knob{"truncate-suffix", "invariant:leader-completeness"}),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

INSTANTIATE_TEST_SUITE_P(
    Others, BugKnob,
    ::testing::Values(Knob{"accept-below-promise", "invariant:promise-kept", "paxos"},
                      Knob{"ignore-accepted", "invariant:paxos-agreement", "paxos"},
                      Knob{"accept-below-promise", "invariant:promise-kept", "multipaxos"},
                      Knob{"ignore-accepted", "invariant:paxos-agreement", "multipaxos"},
                      Knob{"skip-recovery", "invariant:paxos-agreement", "multipaxos"},
                      Knob{"arrival-order", "invariant:node-invariant", "lamport-lww"},
                      Knob{"enter-without-acks", "invariant:mutual-exclusion", "lamport-mutex"}),
    [](const auto& info) {
      std::string n = std::string(info.param.protocol) + "_" + info.param.name;
      for (char& c : n)
        if (c == '-') c = '_';
      return n;
    });

class KnobsOff : public ::testing::TestWithParam<const char*> {};

TEST_P(KnobsOff, TheSameSeedsAreSafe) {
  TempDir dir(std::string("bug-none-") + GetParam());
  const auto p = sweep_with(dir, "", "1-20", 0, GetParam());
  EXPECT_EQ(p["runs"], 20);
  EXPECT_EQ(p["unsafe"], 0);
}

INSTANTIATE_TEST_SUITE_P(BugKnobs, KnobsOff,
                         ::testing::Values("raft", "paxos", "multipaxos", "lamport-lww",
                                           "lamport-mutex"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(BugKnobs, Figure8IsCaughtByTheLeaderFollowingHunt) {
  TempDir dir("bug-figure8-hunt");
  const CommandResult r = run_command(std::string(SYNOD_BINARY) + " sweep " + SYNOD_SOURCE_DIR +
                                      "/bench/figure8-hunt.yaml --stop-at-first -j 2 --seeds 1-20 "
                                      "--out " + (dir.path() / "out").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const auto p = read_json(dir.path() / "out" / "sweep.json")["protocols"][0];
  EXPECT_TRUE(p["unsafe_by_kind"].contains("invariant:state-machine-safety")) << p.dump(2);
}

// forget-vote needs a restarted server to hear the very term it voted in: slow messages, crashes
// shorter than an election (bench/forget-vote-hunt.yaml). Without the knob the same seeds are safe.
TEST(BugKnobs, ForgetVoteIsCaughtBySlowMessagesAndShortCrashes) {
  TempDir dir("bug-forget-vote");
  const std::string hunt = std::string(SYNOD_SOURCE_DIR) + "/bench/forget-vote-hunt.yaml";
  const CommandResult r = run_command(std::string(SYNOD_BINARY) + " sweep " + hunt +
                                      " --stop-at-first -j 2 --seeds 1-100 --out " +
                                      (dir.path() / "on").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const auto p = read_json(dir.path() / "on" / "sweep.json")["protocols"][0];
  EXPECT_TRUE(p["unsafe_by_kind"].contains("invariant:election-safety")) << p.dump(2);
  const fs::path off = dir.path() / "off.yaml";
  std::ofstream(off) << replaced(read_file(hunt), "  bugs: [forget-vote]\n", "");
  const CommandResult o = run_command(std::string(SYNOD_BINARY) + " sweep " + off.string() +
                                      " -j 2 --seeds 1-100 --out " + (dir.path() / "off").string());
  EXPECT_EQ(o.exit_code, 0) << o.output;
}

// The shipped counterexample: Figure 8 with the knob, safe without it.
TEST(BugKnobs, TheFigure8CounterexampleFailsOnlyWithTheKnob) {
  TempDir dir("bug-figure8");
  const std::string text = scenario_text("raft-figure8");
  const CommandResult r = run_command(std::string(SYNOD_BINARY) + " run " + SYNOD_SOURCE_DIR +
                                      "/scenarios/raft-figure8.yaml --quiet --out " +
                                      (dir.path() / "on").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  std::set<std::string> names;
  const auto report = read_json(dir.path() / "on" / "report.json");
  for (const auto& v : report["invariants"]["violations"]) names.insert(v["name"].get<std::string>());
  EXPECT_TRUE(names.count("state-machine-safety"));
  EXPECT_TRUE(names.count("leader-completeness"));
  const fs::path off = dir.path() / "off.yaml";
  std::ofstream(off) << replaced(text, "  bugs: [figure8]\n", "");
  const CommandResult o = run_command(std::string(SYNOD_BINARY) + " run " + off.string() +
                                      " --quiet --out " + (dir.path() / "off").string());
  EXPECT_EQ(o.exit_code, 0) << o.output;
}

TEST(BugKnobs, SkipRecoveryIsMultiPaxosOnly) {
  TempDir dir("bug-paxos-skip");
  const fs::path file = dir.path() / "x.yaml";
  std::ofstream(file) << hunt_text("paxos", "skip-recovery");
  const CommandResult r = run_command(std::string(SYNOD_BINARY) + " run " + file.string() +
                                      " --quiet --out " + (dir.path() / "o").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown bug 'skip-recovery' (expected one of: accept-below-promise, "
                          "ignore-accepted)"),
            std::string::npos)
      << r.output;
}

TEST(BugKnobs, AnUnknownKnobIsAnErrorNamingTheKnownOnes) {
  TempDir dir("bug-unknown");
  const fs::path file = dir.path() / "x.yaml";
  std::ofstream(file) << replaced(scenario_text("raft-basic"), "  name: raft\n",
                                  "  name: raft\n  bugs: [vote-thrice]\n");
  const CommandResult r = run_command(std::string(SYNOD_BINARY) + " run " + file.string() +
                                      " --quiet --out " + (dir.path() / "o").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown bug 'vote-thrice' (expected one of: figure8, vote-twice"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace synod::test
