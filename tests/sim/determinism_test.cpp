// One seed fully determines a run: the same scenario and seed twice give byte-identical
// report.json, history.jsonl and events.jsonl; another seed gives another run.
#include <gtest/gtest.h>

#include "run_util.hpp"

namespace synod::test {
namespace {

void expect_same_files(const std::string& scenario, uint64_t seed) {
  TempDir a("det-a-" + scenario), b("det-b-" + scenario);
  ASSERT_EQ(run_command(synod_run(scenario, seed, a.path())).exit_code, 0);
  ASSERT_EQ(run_command(synod_run(scenario, seed, b.path())).exit_code, 0);
  for (const char* name : {"report.json", "history.jsonl", "events.jsonl"}) {
    std::string x = read_file(a.path() / name), y = read_file(b.path() / name);
    EXPECT_FALSE(x.empty()) << name;
    EXPECT_TRUE(x == y) << scenario << " seed " << seed << ": " << name << " differs between runs";
  }
}

TEST(Determinism, SameSeedGivesByteIdenticalOutputs) { expect_same_files("raft-basic", 9); }

// Faults, loss, duplication and jitter all draw random numbers: the riskiest case for determinism.
TEST(Determinism, SameSeedGivesByteIdenticalOutputsUnderFaults) {
  expect_same_files("raft-lossy-network", 4);
  expect_same_files("raft-leader-crash", 4);
}

TEST(Determinism, DifferentSeedsGiveDifferentHistories) {
  TempDir a("det-s1"), b("det-s2");
  ASSERT_EQ(run_command(synod_run("raft-lossy-network", 1, a.path())).exit_code, 0);
  ASSERT_EQ(run_command(synod_run("raft-lossy-network", 2, b.path())).exit_code, 0);
  EXPECT_NE(read_file(a.path() / "history.jsonl"), read_file(b.path() / "history.jsonl"));
}

}  // namespace
}  // namespace synod::test
