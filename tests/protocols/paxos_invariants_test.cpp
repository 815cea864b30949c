// check_invariants() (LogCabin-style state and delta checks): silent on a healthy node, and loud,
// naming the node and the values, when Storage is corrupted behind the node's back.
#include <gtest/gtest.h>

#include "tests/protocols/paxos_test_util.hpp"

namespace synod::paxos {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

const Ballot b2_1 = make_ballot(2, 1);
const Ballot b3_2 = make_ballot(3, 2);

// §2.2 P1a: accepting raises the promise, so accepted <= promised in every slot.
TEST(PaxosInvariants, CatchesAnAcceptedBallotAboveThePromise) {
  TestNode<PaxosNode> n(0, 3);
  n.deliver(1, accept(b2_1, 1, noop()));
  n.storage.slots[1].accepted = b3_2;
  auto lines = n->check_invariants();
  EXPECT_TRUE(mentions(lines, "slot 1: accepted ballot 3.2 above its promise 2.1"))
      << joined(lines);
}

// A promise is never withdrawn (§2.3: it is on stable storage).
TEST(PaxosInvariants, CatchesAPromiseThatDecreases) {
  TestNode<PaxosNode> n(0, 3);
  n.deliver(2, prepare(b3_2, 4));
  n.storage.slots[4].promised = b2_1;
  auto lines = n->check_invariants();
  EXPECT_TRUE(mentions(lines, "n0 s=0 b=-: slot 4: promise decreased 3.2 -> 2.1")) << joined(lines);
}

// "A promise is never broken": a value written under a ballot below the slot's promise.
TEST(PaxosInvariants, CatchesAnAcceptanceBelowThePromise) {
  TestNode<PaxosNode> n(0, 3);
  n.deliver(2, prepare(b3_2, 1));
  n.storage.slots[1].accepted = b2_1;
  n.storage.slots[1].value = val(cmd(1, 1));
  auto lines = n->check_invariants();
  EXPECT_TRUE(
      mentions(lines, "slot 1: accepted 'c1#1 write x 0' in ballot 2.1 below its promise 3.2"))
      << joined(lines);
}

// A chosen value never changes and never disappears.
TEST(PaxosInvariants, CatchesAChosenValueThatChangesOrVanishes) {
  TestNode<PaxosNode> n(0, 3);
  n.deliver(1, decide(1, b2_1, val(cmd(1, 1))));
  n.storage.chosen[1].value = val(cmd(1, 2));
  auto lines = n->check_invariants();
  EXPECT_TRUE(mentions(lines, "slot 1: chosen value changed 'c1#1 write x 0' -> 'c1#2 write x 0'"))
      << joined(lines);
  n.storage.chosen.erase(1);
  lines = n->check_invariants();
  EXPECT_TRUE(mentions(lines, "slot 1: chosen value 'c1#2 write x 0' vanished")) << joined(lines);
  EXPECT_TRUE(mentions(lines, "chosen prefix ends at 1 but only 0 of its slots are chosen"))
      << joined(lines);
}

// §3 footnote: the proposer's round on disk never goes back (or a ballot could be reused).
TEST(PaxosInvariants, CatchesAProposerRoundThatGoesBack) {
  TestNode<PaxosNode> n(0, 3);
  n.deliver(kClient, client_request(cmd(1, 1)));
  n.storage.last_round = 0;
  auto lines = n->check_invariants();
  EXPECT_TRUE(mentions(lines, "proposer round decreased 1 -> 0")) << joined(lines);
  EXPECT_TRUE(mentions(lines, "round 1 above the persisted round 0")) << joined(lines);
}

// A corrupted Storage handed to a new incarnation is caught on its first check.
TEST(PaxosInvariants, CatchesCorruptStorageAtStart) {
  Storage s;
  s.slots[3].promised = b2_1;
  s.slots[3].accepted = b3_2;
  s.chosen[1] = Decision{b2_1, noop()};
  s.chosen[2] = Decision{b2_1, noop()};
  PaxosNode node(0, 3, Config{}, &s, Rng(1));
  Outbox out;
  node.start(0, out);
  auto lines = node.check_invariants();
  EXPECT_TRUE(mentions(lines, "slot 3: accepted ballot 3.2 above its promise 2.1"))
      << joined(lines);
  EXPECT_EQ(node.applied(), 2);
}

TEST(PaxosInvariants, SilentOnAHealthyNode) {
  TestNode<PaxosNode> n(0, 3);
  n.deliver(kClient, client_request(cmd(1, 1)));
  n.deliver(1, promise(n->round_ballot(), 1));
  n.deliver(1, accepted(n->round_ballot(), 1));
  EXPECT_TRUE(n->check_invariants().empty());
  EXPECT_EQ(n->applied(), 1);
}

// Multi-Paxos: one promise covers every slot; an accepted ballot above it is corruption.
TEST(MultiPaxosInvariants, CatchesAnAcceptedBallotAboveTheGlobalPromise) {
  TestNode<MultiPaxosNode> n(1, 3);
  n.deliver(2, accept(make_ballot(1, 2), 3, noop()));
  n.storage.promised = b2_1;
  n.storage.slots[3].accepted = b3_2;
  auto lines = n->check_invariants();
  EXPECT_TRUE(mentions(lines, "slot 3: accepted ballot 3.2 above its promise 2.1"))
      << joined(lines);
}

TEST(MultiPaxosInvariants, CatchesAGlobalPromiseThatDecreases) {
  TestNode<MultiPaxosNode> n(1, 3);
  n.deliver(2, prepare(b3_2, 1, true));
  n.storage.promised = b2_1;
  auto lines = n->check_invariants();
  EXPECT_TRUE(mentions(lines, "n1 follower b=-: promise decreased 3.2 -> 2.1")) << joined(lines);
}

// A leader holds its own acceptor's promise: a higher promise written behind its back (without
// the step-down that a real Prepare causes) is reported.
TEST(MultiPaxosInvariants, CatchesALeaderWhoseAcceptorPromisedAnother) {
  TestNode<MultiPaxosNode> n(0, 3);
  n.fire_timer();
  n.deliver(1, promise(n->ballot(), 1, {}, true));
  ASSERT_TRUE(n->is_leader());
  n.storage.promised = make_ballot(9, 2);
  auto lines = n->check_invariants();
  EXPECT_TRUE(mentions(lines, "leader with ballot 1.0 but its acceptor promised 9.2"))
      << joined(lines);
}

TEST(MultiPaxosInvariants, CatchesAChosenValueThatChanges) {
  TestNode<MultiPaxosNode> n(1, 3);
  n.deliver(0, decide(1, b2_1, val(cmd(1, 1))));
  n.storage.chosen[1].value = noop();
  auto lines = n->check_invariants();
  EXPECT_TRUE(mentions(lines, "slot 1: chosen value changed 'c1#1 write x 0' -> 'noop'"))
      << joined(lines);
}

// Past kSmallState entries the checker looks at the slots the acceptor and learner changed
// (Storage::touched) on every call, and walks everything only now and then: a change through
// them is caught at once, one by another path (a corrupted disk) at the next walk.
TEST(MultiPaxosInvariants, ALargeStateCatchesJournaledChangesAtOnceAndOthersAtTheNextWalk) {
  TestNode<MultiPaxosNode> n(1, 3);
  for (int i = 1; i <= 200; ++i) n.deliver(0, decide(i, b2_1, val(cmd(1, i))));
  EXPECT_TRUE(n->check_invariants().empty());
  n.storage.chosen[7].value = noop();
  n.storage.touched.push_back(7);  // as the learner would have recorded it
  auto lines = n->check_invariants();
  EXPECT_TRUE(mentions(lines, "slot 7: chosen value changed 'c1#7 write x 0' -> 'noop'")) << joined(lines);
  n.storage.chosen[9].value = noop();  // behind the journal's back
  int calls = 0;
  bool caught = false;
  while (!caught && calls < 100) {
    ++calls;
    caught = mentions(n->check_invariants(), "slot 9: chosen value changed");
  }
  EXPECT_TRUE(caught);
  EXPECT_GT(calls, 1);   // not walked on every call at this size...
  EXPECT_LE(calls, 50);  // ...but within entries / 4 calls
}

}  // namespace
}  // namespace synod::paxos
