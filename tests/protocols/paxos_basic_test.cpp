// Basic Paxos, one node at a time ("Paxos Made Simple", Lamport 2001): the acceptor's promise and
// accept rules (§2.2, P1a/P1b), persistence before replying (§2.3), the proposer's value
// adoption (P2c), learning (§2.4), gap filling, client answers and dedup.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "tests/protocols/paxos_test_util.hpp"

namespace synod::paxos {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite
using Node = TestNode<PaxosNode>;

const Ballot b1_1 = make_ballot(1, 1);
const Ballot b2_1 = make_ballot(2, 1);
const Ballot b2_2 = make_ballot(2, 2);
const Ballot b3_2 = make_ballot(3, 2);

// §2.2, P1a and its strengthening: after responding to prepare(n) an acceptor promises never to
// accept, and never to promise, anything numbered below n.
TEST(PaxosAcceptor, RefusesPrepareBelowItsPromise) {
  Node n(0, 3);
  const auto* p = sent_to<Promise>(n.deliver(2, prepare(b2_2, 1)), 2);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->ok);
  EXPECT_EQ(p->ballot, b2_2);
  ASSERT_EQ(events_of(n.out, EventType::Promise).size(), 1u);
  EXPECT_EQ(events_of(n.out, EventType::Promise)[0].term, b2_2);
  EXPECT_EQ(events_of(n.out, EventType::Promise)[0].index, 1);

  p = sent_to<Promise>(n.deliver(1, prepare(b2_1, 1)), 1);  // round 2 of node 1 < round 2 of 2
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->ok);
  EXPECT_EQ(p->promised, b2_2);  // the refusal names the higher promise
  EXPECT_TRUE(events_of(n.out, EventType::Promise).empty());
  EXPECT_EQ(n.storage.slots[1].promised, b2_2);

  // Promises are per slot in Basic Paxos: slot 2 is a separate instance.
  p = sent_to<Promise>(n.deliver(1, prepare(b1_1, 2)), 1);
  EXPECT_TRUE(p->ok);
}

// §2.2, P1a: "An acceptor can accept a proposal numbered n iff it has not responded to a prepare
// request having a number greater than n."
TEST(PaxosAcceptor, RefusesAcceptBelowItsPromise) {
  Node n(0, 3);
  n.deliver(2, prepare(b3_2, 1));
  const auto* a = sent_to<Accepted>(n.deliver(1, accept(b2_1, 1, val(cmd(1, 1)))), 1);
  ASSERT_NE(a, nullptr);
  EXPECT_FALSE(a->ok);
  EXPECT_EQ(a->promised, b3_2);
  EXPECT_TRUE(events_of(n.out, EventType::Accept).empty());
  EXPECT_EQ(n.storage.slots[1].accepted, kNoBallot);

  a = sent_to<Accepted>(n.deliver(2, accept(b3_2, 1, val(cmd(2, 1)))), 2);
  EXPECT_TRUE(a->ok);
  ASSERT_EQ(events_of(n.out, EventType::Accept).size(), 1u);
  EXPECT_EQ(events_of(n.out, EventType::Accept)[0].command, "c2#1 write x 0");
  EXPECT_EQ(events_of(n.out, EventType::Accept)[0].term, b3_2);
}

// The bug knob accept-below-promise (config.hpp) breaks exactly that rule: the same accept is
// taken, and the node's own invariant reports the broken promise.
TEST(PaxosAcceptor, TheAcceptBelowPromiseKnobAcceptsWhatARealAcceptorRefuses) {
  Config c = without_pre_vote();
  c.bugs.accept_below_promise = true;
  Node n(0, 3, c);
  n.deliver(2, prepare(b3_2, 1));
  const Accepted* a = nullptr;
  EXPECT_NONFATAL_FAILURE(a = sent_to<Accepted>(n.deliver(1, accept(b2_1, 1, val(cmd(1, 1)))), 1),
                          "accepted 'c1#1 write x 0' in ballot 2.1 below its promise 3.2");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->ok);
  EXPECT_EQ(n.storage.slots[1].accepted, b2_1);
}

// An acceptor may accept in a slot it never promised (phase 2 needs no phase 1 at this acceptor),
// and accepting raises its promise: a later lower prepare is refused.
TEST(PaxosAcceptor, AcceptingRaisesThePromise) {
  Node n(0, 3);
  EXPECT_TRUE(sent_to<Accepted>(n.deliver(2, accept(b2_2, 1, noop())), 2)->ok);
  EXPECT_EQ(n.storage.slots[1].promised, b2_2);
  EXPECT_FALSE(sent_to<Promise>(n.deliver(1, prepare(b2_1, 1)), 1)->ok);
}

// P1b: the promise carries the highest-numbered proposal the acceptor accepted in the slot.
TEST(PaxosAcceptor, PromiseReportsTheAcceptedProposal) {
  Node n(0, 3);
  n.deliver(1, accept(b2_1, 1, val(cmd(1, 1, OpType::Write, 7))));
  const auto* p = sent_to<Promise>(n.deliver(2, prepare(b3_2, 1)), 2);
  ASSERT_TRUE(p->ok);
  ASSERT_EQ(p->accepted.size(), 1u);
  EXPECT_EQ(p->accepted[0].ballot, b2_1);
  EXPECT_EQ(p->accepted[0].value, val(cmd(1, 1, OpType::Write, 7)));
}

// §2.3: "an acceptor must remember this information even if it fails and then restarts". When a
// Promise or Accepted is in the outbox, Storage already holds what it promises; a new incarnation
// over the same Storage keeps refusing lower ballots.
TEST(PaxosAcceptor, PersistsBeforeReplyingAndRemembersAcrossRestart) {
  Node n(0, 3);
  uint64_t writes = n.storage.writes;
  ASSERT_NE(sent_to<Promise>(n.deliver(2, prepare(b2_2, 1)), 2), nullptr);
  EXPECT_EQ(n.storage.slots[1].promised, b2_2);
  EXPECT_EQ(n.storage.writes, writes + 1);

  writes = n.storage.writes;
  ASSERT_NE(sent_to<Accepted>(n.deliver(2, accept(b2_2, 1, val(cmd(1, 1)))), 2), nullptr);
  EXPECT_EQ(n.storage.slots[1].accepted, b2_2);
  EXPECT_EQ(n.storage.slots[1].value, val(cmd(1, 1)));
  EXPECT_EQ(n.storage.writes, writes + 1);

  // A duplicate needs no second write.
  n.deliver(2, accept(b2_2, 1, val(cmd(1, 1))));
  EXPECT_EQ(n.storage.writes, writes + 1);

  n.restart();
  EXPECT_FALSE(sent_to<Promise>(n.deliver(1, prepare(b2_1, 1)), 1)->ok);
  EXPECT_FALSE(sent_to<Accepted>(n.deliver(1, accept(b2_1, 1, noop())), 1)->ok);
  const auto* p = sent_to<Promise>(n.deliver(1, prepare(make_ballot(4, 1), 1)), 1);
  ASSERT_TRUE(p->ok);
  ASSERT_EQ(p->accepted.size(), 1u);
  EXPECT_EQ(p->accepted[0].value, val(cmd(1, 1)));
}

// §2.2: a proposer picks a ballot above every one it has seen, prepares the lowest slot it does
// not know chosen, and its own acceptor promises first.
TEST(PaxosProposer, ClientCommandStartsPhaseOneInTheFirstFreeSlot) {
  Node n(0, 3);
  n.deliver(1, decide(1, b1_1, val(cmd(9, 1))));
  n.deliver(2, prepare(b3_2, 7));  // a ballot seen elsewhere: ours must be higher
  const Outbox& out = n.deliver(kClient, client_request(cmd(1, 1)));
  auto prepares = sent<Prepare>(out);
  ASSERT_EQ(prepares.size(), 2u);
  EXPECT_EQ(prepares[0].second->slot, 2);
  EXPECT_EQ(prepares[0].second->ballot, make_ballot(4, 0));
  EXPECT_EQ(n->phase(), PaxosNode::Phase::Preparing);
  EXPECT_EQ(n.storage.last_round, 4);  // on disk before the Prepare leaves (§3 footnote)
  EXPECT_EQ(n.storage.slots[2].promised, make_ballot(4, 0));
}

// P2c: with a majority of promises, propose the value of the highest-numbered accepted proposal
// among them; our own command then waits for the next slot.
TEST(PaxosProposer, AdoptsTheHighestBallotValueFromPromises) {
  Storage s;
  s.last_round = 5;
  Node n(0, 5, Config{}, s);
  n.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 100)));
  const Ballot mine = make_ballot(6, 0);
  ASSERT_EQ(n->round_ballot(), mine);
  n.deliver(1, promise(mine, 1, {{1, make_ballot(3, 1), val(cmd(7, 1, OpType::Write, 3)), false}}));
  EXPECT_TRUE(sent<Accept>(n.out).empty());
  const Outbox& out = n.deliver(
      2, promise(mine, 1, {{1, make_ballot(4, 2), val(cmd(8, 1, OpType::Write, 4)), false}}));
  auto accepts = sent<Accept>(out);
  ASSERT_EQ(accepts.size(), 4u);
  EXPECT_EQ(accepts[0].second->value, val(cmd(8, 1, OpType::Write, 4)));  // ballot 4.2 beats 3.1
  EXPECT_EQ(n.storage.slots[1].accepted, mine);

  // Two Accepteds (with ours, a majority of 5): chosen, broadcast, applied. Our client waits.
  n.deliver(1, accepted(mine, 1));
  const Outbox& chosen = n.deliver(3, accepted(mine, 1));
  EXPECT_EQ(sent<Decide>(chosen).size(), 4u);
  EXPECT_EQ(n->applied(), 1);
  EXPECT_TRUE(sent<ClientReply>(chosen).empty());
  // ... and the command is proposed again, in slot 2.
  auto prepares = sent<Prepare>(chosen);
  ASSERT_EQ(prepares.size(), 4u);
  EXPECT_EQ(prepares[0].second->slot, 2);
  EXPECT_EQ(n->queued(), 1u);
}

// §2.4: the proposer learns from a majority of Accepteds in its ballot, tells the learners, and
// the client is answered once the slot is applied at the node it asked.
TEST(PaxosProposer, ChoosesOwnValueAndAnswersTheClientWhenApplied) {
  Node n(0, 3);
  n.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 5)));
  const Ballot b = n->round_ballot();
  n.deliver(1, promise(b, 1));
  ASSERT_EQ(sent<Accept>(n.out).size(), 2u);
  EXPECT_EQ(sent<Accept>(n.out)[0].second->value, val(cmd(1, 1, OpType::Write, 5)));
  n.deliver(1, accepted(b, 1, false, make_ballot(9, 2)));  // a stale answer: refusal of this slot
  EXPECT_EQ(n->phase(), PaxosNode::Phase::Idle);           // pre-empted
  EXPECT_GT(n->next_timer(), n.now);                       // backing off
  n.fire_timer();
  const Ballot b2 = n->round_ballot();
  EXPECT_EQ(ballot_round(b2), 10);  // above the ballot that pre-empted us
  n.deliver(2, promise(b2, 1));
  const Outbox& out = n.deliver(2, accepted(b2, 1));
  auto replies = sent<ClientReply>(out);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].first, kClient);
  EXPECT_EQ(replies[0].second->result.status, ReplyStatus::Ok);
  ASSERT_EQ(events_of(out, EventType::Learn).size(), 1u);
  auto applies = events_of(out, EventType::Apply);
  ASSERT_EQ(applies.size(), 1u);
  EXPECT_EQ(applies[0].index, 1);
  EXPECT_EQ(applies[0].entry_term, b2);
  EXPECT_EQ(applies[0].command, "c1#1 write x 5");
  EXPECT_EQ(n->phase(), PaxosNode::Phase::Idle);
  EXPECT_EQ(n->next_timer(), kNever);
}

// Late and duplicated promises count once, and only for the round they answer.
TEST(PaxosProposer, CountsEachPromiseOnceAndOnlyForItsRound) {
  Node n(0, 5);
  n.deliver(kClient, client_request(cmd(1, 1)));
  const Ballot b = n->round_ballot();
  n.deliver(1, promise(b, 1));
  n.deliver(1, promise(b, 1));      // duplicate
  n.deliver(2, promise(b - 1, 1));  // another ballot
  n.deliver(3, promise(b, 2));      // another slot
  EXPECT_EQ(n->phase(), PaxosNode::Phase::Preparing);
  n.deliver(4, promise(b, 1));
  EXPECT_EQ(n->phase(), PaxosNode::Phase::Accepting);
}

// A node that knows slot 2 chosen but not slot 1 cannot apply; it proposes a no-op in slot 1,
// which (P2c) turns into whatever value was accepted there if a promise reports one.
TEST(PaxosProposer, FillsAGapWithANoopThatAdoptsAnyAcceptedValue) {
  Node n(0, 3);
  const Outbox& out = n.deliver(1, decide(2, b2_1, val(cmd(5, 1))));
  EXPECT_EQ(n->applied(), 0);
  auto prepares = sent<Prepare>(out);
  ASSERT_EQ(prepares.size(), 2u);
  EXPECT_EQ(prepares[0].second->slot, 1);
  const Ballot b = n->round_ballot();
  n.deliver(1, promise(b, 1));
  auto accepts = sent<Accept>(n.out);
  ASSERT_EQ(accepts.size(), 2u);
  EXPECT_EQ(accepts[0].second->value, noop());
  n.deliver(2, accepted(b, 1));
  EXPECT_EQ(n->applied(), 2);  // the no-op in 1, then the waiting slot 2

  Node m(0, 3);
  m.deliver(1, decide(2, b2_1, val(cmd(5, 1))));
  const Ballot bm = m->round_ballot();
  m.deliver(2, promise(bm, 1, {{1, b1_1, val(cmd(6, 1)), false}}));
  accepts = sent<Accept>(m.out);
  ASSERT_EQ(accepts.size(), 2u);
  EXPECT_EQ(accepts[0].second->value, val(cmd(6, 1)));  // adopted, not a no-op
}

// An acceptor that knows the slot chosen answers a prepare with the decision, so the lagging
// proposer learns it and moves its command on to the next slot.
TEST(PaxosProposer, PrepareOfAChosenSlotIsAnsweredWithTheDecision) {
  Node a(1, 3);
  a.deliver(2, decide(1, b2_2, val(cmd(5, 1))));
  const auto* d = sent_to<Decide>(a.deliver(0, prepare(make_ballot(1, 0), 1)), 0);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->value, val(cmd(5, 1)));

  Node p(0, 3);
  p.deliver(kClient, client_request(cmd(1, 1)));
  const Outbox& out = p.deliver(1, decide(1, b2_2, val(cmd(5, 1))));
  EXPECT_EQ(p->applied(), 1);
  auto prepares = sent<Prepare>(out);
  ASSERT_EQ(prepares.size(), 2u);
  EXPECT_EQ(prepares[0].second->slot, 2);
}

// A round that gets no majority (lost messages) times out and is retried with a higher ballot.
TEST(PaxosProposer, RetriesWithAHigherBallotAfterATimeout) {
  Config c;
  c.backoff = false;
  Node n(0, 3, c);
  n.deliver(kClient, client_request(cmd(1, 1)));
  const Ballot first = n->round_ballot();
  const Outbox& out = n.fire_timer();
  auto prepares = sent<Prepare>(out);
  ASSERT_EQ(prepares.size(), 2u);
  EXPECT_GT(prepares[0].second->ballot, first);
  EXPECT_EQ(prepares[0].second->slot, 1);
}

// §3 footnote: a restarted proposer never reuses a ballot, because its highest round is on disk.
TEST(PaxosProposer, RestartedProposerNeverReusesABallot) {
  Node n(0, 3);
  n.deliver(kClient, client_request(cmd(1, 1)));
  const Ballot before = n->round_ballot();
  n.restart();
  n.deliver(kClient, client_request(cmd(1, 1)));
  EXPECT_GT(n->round_ballot(), before);
}

// Dissertation-style sessions in the KvStore: a (client, seq) applied once is answered from the
// session table, with no new round.
TEST(PaxosClient, AnswersADuplicateFromTheSessionTable) {
  Node n(0, 1);  // a single node is its own majority
  const Outbox& first = n.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 5)));
  ASSERT_EQ(sent<ClientReply>(first).size(), 1u);
  EXPECT_EQ(n->applied(), 1);
  const Outbox& again = n.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 5)));
  ASSERT_EQ(sent<ClientReply>(again).size(), 1u);
  EXPECT_EQ(sent<ClientReply>(again)[0].second->result.status, ReplyStatus::Ok);
  EXPECT_TRUE(sent<Prepare>(again).empty());
  EXPECT_EQ(n->applied(), 1);
  EXPECT_EQ(n.storage.chosen.size(), 1u);
}

// The same command chosen in two slots (its client retried at another node) takes effect once,
// and reads go through the log and see every earlier write.
TEST(PaxosClient, ACommandChosenTwiceTakesEffectOnce) {
  Node n(0, 3);
  n.deliver(1, decide(1, b2_1, val(cmd(1, 1, OpType::Write, 5))));
  n.deliver(1, decide(2, b2_1, val(cmd(2, 1, OpType::Cas, 6, 5))));
  n.deliver(1, decide(3, b2_1, val(cmd(1, 1, OpType::Write, 5))));  // the retry, again
  n.deliver(1, decide(4, b2_1, val(cmd(3, 1, OpType::Read))));
  EXPECT_EQ(n->applied(), 4);
  EXPECT_EQ(n->state_machine().get("x"), std::optional<int64_t>(6));
}

// Same with the whole cluster: a client that retries at a second node gets its answer there.
TEST(PaxosClient, ARetryAtAnotherNodeIsAnsweredThere) {
  Sim<PaxosNode> sim(3);
  sim.client_send(kClient, 0, cmd(1, 1, OpType::Write, 5));
  sim.client_send(kClient, 1, cmd(1, 1, OpType::Write, 5));
  sim.run_until(2 * kNanosPerSecond);
  ASSERT_EQ(sim.replies().size(), 2u);
  for (NodeId i = 0; i < 3; ++i) {
    EXPECT_EQ(sim.node(i).state_machine().get("x"), std::optional<int64_t>(5));
  }
}

}  // namespace
}  // namespace synod::paxos
