// The cluster-wide consensus invariants, checked from events alone (analysis/events.hpp). Each
// test feeds a deliberately broken event stream and expects the named violation; a healthy stream
// must pass clean. Raft paper Figure 3.
#include "analysis/events.hpp"

#include <gtest/gtest.h>

namespace synod::analysis {
namespace {

const std::vector<std::string> kNames = {"n1", "n2", "n3"};

RunEvent role(double t, int node, const std::string& r, int64_t term, std::vector<LogRun> log = {},
              uint32_t inc = 0) {
  RunEvent e;
  e.time_s = t;
  e.node = node;
  e.incarnation = inc;
  e.type = "role";
  e.role = r;
  e.term = term;
  e.log = std::move(log);
  return e;
}

RunEvent apply(double t, int node, int64_t index, int64_t entry_term, const std::string& cmd,
               uint32_t inc = 0) {
  RunEvent e;
  e.time_s = t;
  e.node = node;
  e.incarnation = inc;
  e.type = "apply";
  e.index = index;
  e.entry_term = entry_term;
  e.command = cmd;
  return e;
}

RunEvent commit(double t, int node, int64_t index, uint32_t inc = 0) {
  RunEvent e;
  e.time_s = t;
  e.node = node;
  e.incarnation = inc;
  e.type = "commit";
  e.index = index;
  return e;
}

std::vector<std::string> violated(const std::vector<RunEvent>& events) {
  std::vector<std::string> names;
  for (const auto& v : check_log_invariants(events, kNames).violations) names.push_back(v.name);
  return names;
}

TEST(LogInvariants, HealthyRunHasNoViolations) {
  std::vector<RunEvent> ev = {
      role(0.1, 0, "candidate", 1), role(0.11, 0, "leader", 1, {}),
      commit(0.12, 0, 1),           apply(0.12, 0, 1, 1, "noop"),
      apply(0.13, 1, 1, 1, "noop"), apply(0.2, 0, 2, 1, "c5#1 write k0 1"),
      commit(0.2, 0, 2),            role(1.0, 1, "leader", 2, {{1, 1, 2}, {2, 3, 3}}),
      apply(1.1, 1, 2, 1, "c5#1 write k0 1"),
  };
  auto r = check_log_invariants(ev, kNames);
  EXPECT_TRUE(r.violations.empty());
  EXPECT_EQ(r.checked.size(), 6u);
}

// §5.2 Election Safety.
TEST(LogInvariants, TwoLeadersInOneTermIsCaught) {
  auto v = violated({role(0.1, 0, "leader", 3), role(0.2, 1, "leader", 3)});
  ASSERT_EQ(v, std::vector<std::string>{"election-safety"});
}

TEST(LogInvariants, SameLeaderAnnouncedTwiceInATermIsFine) {
  EXPECT_TRUE(violated({role(0.1, 0, "leader", 3), role(0.2, 0, "leader", 3)}).empty());
}

// §5.4.3 State Machine Safety.
TEST(LogInvariants, DifferentCommandsAppliedAtOneIndexAreCaught) {
  auto v = violated({apply(0.1, 0, 7, 2, "c1#1 write k0 1"), apply(0.2, 2, 7, 2, "c2#1 write k0 9")});
  ASSERT_EQ(v, std::vector<std::string>{"state-machine-safety"});
}

// §5.4 Leader Completeness: a leader elected without an entry that was already applied.
TEST(LogInvariants, LeaderMissingACommittedEntryIsCaught) {
  auto v = violated({apply(0.1, 0, 1, 1, "c1#1 write k0 1"), apply(0.2, 0, 2, 1, "c1#2 write k0 2"),
                     role(1.0, 2, "leader", 2, {{1, 1, 1}})});  // its log stops at index 1
  ASSERT_EQ(v, std::vector<std::string>{"leader-completeness"});
}

TEST(LogInvariants, LeaderWithWrongTermAtACommittedIndexIsCaught) {
  auto v = violated({apply(0.1, 0, 1, 1, "c1#1 write k0 1"),
                     role(1.0, 2, "leader", 3, {{2, 1, 4}})});  // term 2 where term 1 was applied
  ASSERT_EQ(v, std::vector<std::string>{"leader-completeness"});
}

// §5.3 Log Matching between two leaders' logs.
TEST(LogInvariants, LeaderLogsAgreeingAtAnIndexButNotBeforeAreCaught) {
  auto v = violated({role(0.1, 0, "leader", 3, {{1, 1, 2}, {3, 3, 5}}),
                     role(0.5, 1, "leader", 4, {{2, 1, 2}, {3, 3, 5}})});
  ASSERT_EQ(v, std::vector<std::string>{"log-matching"});
}

TEST(LogInvariants, TermGoingBackwardsIsCaughtEvenAcrossRestarts) {
  auto v = violated({role(0.1, 1, "follower", 5), role(2.0, 1, "follower", 4, {}, 1)});
  ASSERT_EQ(v, std::vector<std::string>{"term-monotonic"});
}

TEST(LogInvariants, CommitIndexGoingBackwardsWithinAnIncarnationIsCaught) {
  auto v = violated({commit(0.1, 0, 10), commit(0.2, 0, 9)});
  ASSERT_EQ(v, std::vector<std::string>{"commit-monotonic"});
}

// Commit index is volatile (Figure 2): after a restart it starts again from 0.
TEST(LogInvariants, CommitIndexRestartingAfterACrashIsFine) {
  EXPECT_TRUE(violated({commit(0.1, 0, 10), commit(2.0, 0, 1, 1)}).empty());
}

TEST(LogInvariants, ViolationsCarryTimeAndReadableDetail) {
  auto r = check_log_invariants({role(0.1, 0, "leader", 3), role(0.25, 1, "leader", 3)}, kNames);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_DOUBLE_EQ(r.violations[0].time_s, 0.25);
  EXPECT_EQ(r.violations[0].detail, "two leaders in term 3: n1 and n2");
}

}  // namespace
}  // namespace synod::analysis
