// Invariants group by group (analysis/groups.hpp): two groups may each elect a leader in term 1
// and apply different commands at index 1 — that is no violation — while two leaders of one
// group in one term are, named with their group; a crash of a node reaches every group on it;
// and a checker that counts a majority counts it among the group's members.
#include "analysis/groups.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace synod::analysis {
namespace {

const std::vector<std::string> kNames = {"n1", "n2", "n3", "n4", "n5"};
// group 0 on n1 n2 n3, group 1 on n4 n5 n1
const std::vector<std::vector<int>> kMembers = {{0, 1, 2}, {3, 4, 0}};

RunEvent ev(double t, int node, int group, const std::string& type, int64_t term = 1,
            int64_t index = 0, const std::string& cmd = "", uint32_t inc = 0) {
  RunEvent e;
  e.time_s = t;
  e.node = node;
  e.group = group;
  e.incarnation = inc;
  e.type = type;
  e.term = term;
  e.index = index;
  e.entry_term = term;
  e.command = cmd;
  if (type == "role") e.role = "leader";
  return e;
}

TEST(PerGroupInvariants, IndependentGroupsMayShareTermsAndIndexes) {
  const std::vector<RunEvent> events = {
      ev(0.1, 0, 0, "role"), ev(0.1, 3, 1, "role"),
      ev(0.2, 0, 0, "apply", 1, 1, "c1#1 write k0 1"), ev(0.2, 3, 1, "apply", 1, 1, "c2#1 write k1 2"),
      ev(0.3, 1, 0, "apply", 1, 1, "c1#1 write k0 1"), ev(0.3, 0, 1, "apply", 1, 1, "c2#1 write k1 2"),
  };
  // As one cluster, these are two leaders in term 1 and two commands at index 1.
  EXPECT_FALSE(check_log_invariants(events, kNames).violations.empty());
  const InvariantReport r = check_per_group(events, kNames, kMembers, check_log_invariants);
  EXPECT_TRUE(r.violations.empty()) << r.violations.front().name << ": " << r.violations.front().detail;
  EXPECT_EQ(r.checked, check_log_invariants({}, kNames).checked);
}

TEST(PerGroupInvariants, TwoLeadersOfOneGroupInOneTermAreNamedWithTheirGroup) {
  const std::vector<RunEvent> events = {ev(0.1, 3, 1, "role"), ev(0.2, 4, 1, "role"),
                                        ev(0.2, 1, 0, "role")};
  const InvariantReport r = check_per_group(events, kNames, kMembers, check_log_invariants);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].name, "election-safety");
  EXPECT_EQ(r.violations[0].detail.rfind("group 1: ", 0), 0u) << r.violations[0].detail;
  EXPECT_NE(r.violations[0].detail.find("n5"), std::string::npos) << "names the node, not its index";
}

TEST(PerGroupInvariants, ACrashReachesEveryGroupOnTheNode) {
  // n1 (in both groups) commits 5 in each, crashes, restarts, commits 3: fine after a restart —
  // unless the crash were lost, when commit-monotonic would fire in the group that missed it.
  RunEvent crash;
  crash.time_s = 0.5;
  crash.node = 0;
  crash.type = "crash";
  std::vector<RunEvent> events = {ev(0.1, 0, 0, "commit", 1, 5), ev(0.1, 0, 1, "commit", 1, 5), crash,
                                  ev(0.9, 0, 0, "commit", 1, 3, "", 1),
                                  ev(0.9, 0, 1, "commit", 1, 3, "", 1)};
  EXPECT_TRUE(check_per_group(events, kNames, kMembers, check_log_invariants).violations.empty());
  events[3].incarnation = 0;  // the same incarnation: a real decrease, in group 0 only
  const InvariantReport r = check_per_group(events, kNames, kMembers, check_log_invariants);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].name, "commit-monotonic");
  EXPECT_EQ(r.violations[0].detail.rfind("group 0: ", 0), 0u);
}

TEST(PerGroupInvariants, AMajorityIsCountedAmongTheGroupsMembers) {
  // Group 1 has 3 members (n4 n5 n1): 2 acceptors are a majority. A chosen in ballot 7 by n4 and
  // n5, then B in ballot 8 by n1 and n4: two values chosen in one slot. Counted over all 5 nodes,
  // 2 acceptors are no majority, nothing is chosen, and the checker would see nothing.
  auto accept = [](double t, int node, int64_t ballot, const std::string& v) {
    return ev(t, node, 1, "accept", ballot, 1, v);
  };
  const std::vector<RunEvent> events = {
      accept(0.1, 3, 7, "c2#1 write k1 2"), accept(0.2, 4, 7, "c2#1 write k1 2"),
      accept(0.3, 0, 8, "c9#1 write k1 9"), accept(0.4, 3, 8, "c9#1 write k1 9")};
  auto names_of = [](const InvariantReport& r) {
    std::vector<std::string> v;
    for (const auto& x : r.violations) v.push_back(x.name);
    return v;
  };
  const auto grouped = names_of(check_per_group(events, kNames, kMembers, check_paxos_invariants));
  EXPECT_NE(std::find(grouped.begin(), grouped.end(), "paxos-agreement"), grouped.end());
  const auto whole = names_of(check_paxos_invariants(events, kNames));
  EXPECT_EQ(std::find(whole.begin(), whole.end(), "paxos-agreement"), whole.end());
}

}  // namespace
}  // namespace synod::analysis
