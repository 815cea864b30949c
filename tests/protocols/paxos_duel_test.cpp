// "Paxos Made Simple" §2.4: two proposers can keep issuing ever higher ballots, each pre-empting
// the other's phase 2 before it completes, so that neither value is ever chosen. Basic Paxos
// guarantees safety, not progress; a random backoff between rounds (what electing a distinguished
// proposer achieves more thoroughly) lets one of them finish.
//
// The scenario is deterministic: three nodes, every message takes exactly 5 ms, and two clients
// hand nodes 0 and 1 a command at the same instant.
#include <gtest/gtest.h>

#include "tests/protocols/paxos_test_util.hpp"

namespace synod::paxos {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

struct DuelResult {
  int64_t chosen_anywhere = 0;  // slots known chosen by any node
  int64_t prepares = 0;
  size_t replies = 0;
};

DuelResult duel(bool backoff, Nanos duration) {
  Config c;
  c.backoff = backoff;
  Sim<PaxosNode> sim(3, c);
  sim.client_send(kClient, 0, cmd(1, 1, OpType::Write, 10));
  sim.client_send(kClient + 1, 1, cmd(2, 1, OpType::Write, 20));
  sim.run_until(duration);
  DuelResult r;
  for (NodeId i = 0; i < 3; ++i) {
    r.chosen_anywhere =
        std::max(r.chosen_anywhere, static_cast<int64_t>(sim.storage(i).chosen.size()));
  }
  r.prepares = sim.sent(MsgKind::PaxosPrepare);
  r.replies = sim.replies().size();
  return r;
}

TEST(PaxosDuel, WithoutBackoffDuellingProposersChooseNothing) {
  const DuelResult r = duel(/*backoff=*/false, 10 * kNanosPerSecond);
  EXPECT_EQ(r.chosen_anywhere, 0);
  EXPECT_EQ(r.replies, 0u);
  EXPECT_GT(r.prepares, 1000);  // not idle: busy pre-empting each other the whole time
}

TEST(PaxosDuel, WithBackoffBothCommandsAreChosen) {
  const DuelResult r = duel(/*backoff=*/true, 10 * kNanosPerSecond);
  EXPECT_EQ(r.chosen_anywhere, 2);
  EXPECT_EQ(r.replies, 2u);
}

}  // namespace
}  // namespace synod::paxos
