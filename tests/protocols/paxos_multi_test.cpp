// Multi-Paxos, one node at a time ("Paxos Made Simple" §3): election by phase 1 over all slots,
// the phase-1 skip for an established leader, recovery of accepted-but-unchosen slots, no-op gap
// filling, heartbeats and catch-up, redirects, stepping down, and client dedup.
#include <gtest/gtest.h>

#include "tests/protocols/paxos_test_util.hpp"

namespace synod::paxos {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite
using Node = TestNode<MultiPaxosNode>;

// Times out, then collects promises (with nothing accepted) from the lowest-numbered peers.
void elect(Node& n) {
  n.fire_timer();
  ASSERT_EQ(n->role(), n.cluster_size == 1 ? Role::Leader : Role::Candidate);
  for (NodeId peer = 0; peer < n.cluster_size && !n->is_leader(); ++peer) {
    if (peer != n.id) n.deliver(peer, promise(n->ballot(), n->first_unchosen(), {}, true));
  }
  ASSERT_TRUE(n->is_leader());
}

// §3: a follower that hears from no leader starts phase 1 with a ballot above all it has seen;
// one Prepare covers every slot from its first unchosen one.
TEST(MultiPaxosElection, TimeoutStartsPhaseOneForAllSlotsWithAHigherBallot) {
  Node n(0, 3);
  n.deliver(2, heartbeat(make_ballot(4, 2), 0));
  EXPECT_EQ(n->leader_hint(), 2);
  const Outbox& out = n.fire_timer();
  ASSERT_EQ(n->role(), Role::Candidate);
  EXPECT_EQ(n->ballot(), make_ballot(5, 0));
  auto prepares = sent<Prepare>(out);
  ASSERT_EQ(prepares.size(), 2u);
  EXPECT_TRUE(prepares[0].second->all_from);
  EXPECT_EQ(prepares[0].second->slot, 1);
  EXPECT_EQ(n.storage.promised, make_ballot(5, 0));  // our own promise, on disk
  EXPECT_EQ(n.storage.last_round, 5);
  ASSERT_EQ(events_of(out, EventType::ElectionStart).size(), 1u);
  EXPECT_EQ(events_of(out, EventType::ElectionStart)[0].term, make_ballot(5, 0));
  auto promises = events_of(out, EventType::Promise);
  ASSERT_EQ(promises.size(), 1u);
  EXPECT_EQ(promises[0].index, 0);  // all slots

  n.deliver(1, promise(make_ballot(5, 0), 1, {}, true));
  EXPECT_TRUE(n->is_leader());
  EXPECT_EQ(n->leader_hint(), 0);
  EXPECT_EQ(sent<Heartbeat>(n.out).size(), 2u);  // it announces itself at once
  auto roles = events_of(n.out, EventType::Role);
  ASSERT_EQ(roles.size(), 1u);
  EXPECT_EQ(roles[0].role, "leader");
  EXPECT_EQ(roles[0].term, make_ballot(5, 0));
}

// The acceptor's rules hold with one promise for all slots: a lower Prepare or Accept is refused,
// and the promise is on disk before the reply (and survives a restart).
TEST(MultiPaxosAcceptor, RefusesBelowThePromiseForEverySlotAcrossRestart) {
  Node n(1, 3);
  const auto* p = sent_to<Promise>(n.deliver(2, prepare(make_ballot(3, 2), 5, true)), 2);
  ASSERT_TRUE(p->ok);
  EXPECT_EQ(n.storage.promised, make_ballot(3, 2));
  n.restart();
  p = sent_to<Promise>(n.deliver(0, prepare(make_ballot(2, 0), 1, true)), 0);
  ASSERT_FALSE(p->ok);
  EXPECT_EQ(p->promised, make_ballot(3, 2));
  const auto* a = sent_to<Accepted>(n.deliver(0, accept(make_ballot(2, 0), 9, noop())), 0);
  ASSERT_FALSE(a->ok);
  EXPECT_TRUE(n.storage.slots.empty());
}

// §3: "the leader ... can omit phase 1 for all later instances". With phase 1 done, each client
// command costs only an Accept to every peer: no Prepare.
TEST(MultiPaxosLeader, EstablishedLeaderSkipsPhaseOne) {
  Node n(0, 3);
  elect(n);
  const Ballot b = n->ballot();
  n.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 5)));
  n.deliver(1, accepted(b, 1));
  ASSERT_EQ(n->applied(), 1);
  ASSERT_EQ(sent<ClientReply>(n.out).size(), 1u);

  const Outbox& out = n.deliver(kClient, client_request(cmd(1, 2, OpType::Write, 6)));
  EXPECT_TRUE(sent<Prepare>(out).empty());
  auto accepts = sent<Accept>(out);
  ASSERT_EQ(accepts.size(), 2u);
  EXPECT_EQ(accepts[0].second->slot, 2);
  EXPECT_EQ(accepts[0].second->ballot, b);
  EXPECT_EQ(accepts[0].second->value, val(cmd(1, 2, OpType::Write, 6)));
  const Outbox& done = n.deliver(2, accepted(b, 2));
  EXPECT_EQ(sent<Decide>(done).size(), 2u);
  ASSERT_EQ(sent<ClientReply>(done).size(), 1u);
  EXPECT_EQ(n->state_machine().get("x"), std::optional<int64_t>(6));
}

// §3: a new leader must finish what earlier leaders may have chosen. A promise reporting an
// accepted but unchosen value makes the leader re-propose that value (the highest-ballot one per
// slot), not its own; below the highest reported slot, unreported slots get no-ops.
TEST(MultiPaxosLeader, NewLeaderRecoversAcceptedSlotsAndFillsGapsWithNoops) {
  Storage s;  // our own acceptor accepted B in slot 1 under an old ballot of ours
  s.promised = make_ballot(1, 0);
  s.last_round = 1;
  s.slots[1] = AcceptorSlot{kNoBallot, make_ballot(1, 0), val(cmd(2, 1, OpType::Write, 22))};
  Node n(0, 3, without_pre_vote(), s);
  n.fire_timer();
  const Ballot b = n->ballot();
  EXPECT_EQ(b, make_ballot(2, 0));
  const Value a = val(cmd(1, 1, OpType::Write, 11));
  const Value c = val(cmd(3, 1, OpType::Write, 33));
  const Outbox& out = n.deliver(
      1, promise(b, 1, {{1, make_ballot(1, 1), a, false}, {3, make_ballot(1, 1), c, false}}, true));
  ASSERT_TRUE(n->is_leader());
  std::map<int64_t, Value> proposed;
  for (const auto& [to, m] : sent<Accept>(out)) {
    EXPECT_EQ(m->ballot, b);
    proposed[m->slot] = m->value;
  }
  ASSERT_EQ(proposed.size(), 3u);
  EXPECT_EQ(proposed[1], a);       // ballot 1.1 beats our own 1.0
  EXPECT_EQ(proposed[2], noop());  // nobody reported slot 2: a gap, filled with a no-op
  EXPECT_EQ(proposed[3], c);
  EXPECT_EQ(n->next_slot(), 4);

  n.deliver(kClient, client_request(cmd(4, 1)));  // a new command goes after them
  EXPECT_EQ(sent<Accept>(n.out)[0].second->slot, 4);
  for (int64_t slot = 1; slot <= 4; ++slot) n.deliver(2, accepted(b, slot));
  EXPECT_EQ(n->applied(), 4);
  EXPECT_EQ(n->state_machine().get("x"), std::optional<int64_t>(0));
}

// A value an acceptor knows chosen is reported as such, and the new leader learns it outright.
TEST(MultiPaxosLeader, LearnsChosenSlotsReportedInPromises) {
  Node n(0, 3);
  n.fire_timer();
  const Value a = val(cmd(1, 1, OpType::Write, 11));
  const Outbox& out =
      n.deliver(1, promise(n->ballot(), 1, {{1, make_ballot(1, 1), a, true}}, true));
  EXPECT_TRUE(n->is_leader());
  EXPECT_EQ(n->applied(), 1);
  EXPECT_TRUE(sent<Accept>(out).empty());
  EXPECT_EQ(n->next_slot(), 2);
}

// A replica that missed Decides learns the leader's commit point from a heartbeat, asks with
// CatchUp, and gets a Decide per chosen slot.
TEST(MultiPaxosCatchUp, LaggingReplicaAsksAndIsSentTheChosenSlots) {
  Node leader(0, 3);
  elect(leader);
  const Ballot b = leader->ballot();
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    leader.deliver(kClient, client_request(cmd(1, seq, OpType::Write, static_cast<int64_t>(seq))));
    leader.deliver(1, accepted(b, static_cast<int64_t>(seq)));
  }
  ASSERT_EQ(leader->applied(), 3);

  Node lagging(2, 3);
  const auto* ask = sent_to<CatchUp>(lagging.deliver(0, heartbeat(b, 3)), 0);
  ASSERT_NE(ask, nullptr);
  EXPECT_EQ(ask->from, 1);
  auto decides = sent<Decide>(leader.deliver(2, catch_up(ask->from)));
  ASSERT_EQ(decides.size(), 3u);
  for (const auto& [to, d] : decides) {
    EXPECT_EQ(to, 2);
    lagging.deliver(0, std::make_shared<Decide>(*d));
  }
  EXPECT_EQ(lagging->applied(), 3);
  EXPECT_EQ(lagging->state_machine().get("x"), std::optional<int64_t>(3));
  // Caught up: the next heartbeat asks for nothing.
  EXPECT_EQ(sent_to<CatchUp>(lagging.deliver(0, heartbeat(b, 3)), 0), nullptr);
}

// Non-leaders answer NotLeader with a hint to the leader they know (none while it is unknown).
TEST(MultiPaxosClient, NonLeaderRedirectsWithAHint) {
  Node n(1, 3);
  auto* r = sent_to<ClientReply>(n.deliver(kClient, client_request(cmd(1, 1))), kClient);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->result.status, ReplyStatus::NotLeader);
  EXPECT_EQ(r->leader_hint, kNoNode);
  n.deliver(2, heartbeat(make_ballot(1, 2), 0));
  r = sent_to<ClientReply>(n.deliver(kClient, client_request(cmd(1, 1))), kClient);
  EXPECT_EQ(r->result.status, ReplyStatus::NotLeader);
  EXPECT_EQ(r->leader_hint, 2);
  EXPECT_TRUE(n.storage.slots.empty());
}

// A leader that meets a higher ballot steps down and tells its pending clients NotLeader, so they
// retry elsewhere (with the same seq: dedup makes that safe).
TEST(MultiPaxosClient, LeaderThatMeetsAHigherBallotStepsDownAndRedirectsPending) {
  Node n(0, 3);
  elect(n);
  n.deliver(kClient, client_request(cmd(1, 1)));
  const Outbox& out = n.deliver(1, accepted(n->ballot(), 1, false, make_ballot(7, 2)));
  EXPECT_EQ(n->role(), Role::Follower);
  auto replies = sent<ClientReply>(out);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].second->result.status, ReplyStatus::NotLeader);
  EXPECT_EQ(replies[0].second->leader_hint, 2);
  EXPECT_EQ(n->in_flight(), 0u);
  auto roles = events_of(out, EventType::Role);
  ASSERT_EQ(roles.size(), 1u);
  EXPECT_EQ(roles[0].role, "follower");
}

// A deposed leader's heartbeat is refused with the higher ballot, which makes it step down.
TEST(MultiPaxosElection, StaleLeaderHeartbeatIsRefusedAndItStepsDown) {
  Node follower(1, 3);
  follower.deliver(2, prepare(make_ballot(5, 2), 1, true));
  const auto* refusal = sent_to<Promise>(follower.deliver(0, heartbeat(make_ballot(3, 0), 0)), 0);
  ASSERT_NE(refusal, nullptr);
  EXPECT_FALSE(refusal->ok);

  Node old(0, 3);
  elect(old);
  old.deliver(1, std::make_shared<Promise>(*refusal));
  EXPECT_FALSE(old->is_leader());
}

// Heartbeats keep followers from starting phase 1; silence makes them start it.
TEST(MultiPaxosElection, HeartbeatsDeferTheElectionTimeout) {
  Node n(1, 3);
  const Nanos first = n->next_timer();
  n.now = first - 1;
  n.deliver(0, heartbeat(make_ballot(1, 0), 0));
  EXPECT_GT(n->next_timer(), first);
  EXPECT_EQ(n->role(), Role::Follower);
}

// The session table answers a retried, already applied command without a new slot.
TEST(MultiPaxosClient, LeaderAnswersADuplicateFromTheSessionTable) {
  Node n(0, 1);
  elect(n);
  ASSERT_EQ(
      sent<ClientReply>(n.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 5)))).size(),
      1u);
  const int64_t next = n->next_slot();
  const Outbox& again = n.deliver(kClient, client_request(cmd(1, 1, OpType::Write, 5)));
  ASSERT_EQ(sent<ClientReply>(again).size(), 1u);
  EXPECT_EQ(sent<ClientReply>(again)[0].second->result.status, ReplyStatus::Ok);
  EXPECT_EQ(n->next_slot(), next);
  // A retry of a command still in phase 2 only updates where the answer goes.
  Node m(0, 3);
  elect(m);
  m.deliver(kClient, client_request(cmd(1, 1)));
  const Outbox& retry = m.deliver(kClient + 1, client_request(cmd(1, 1)));
  EXPECT_TRUE(sent<Accept>(retry).empty());
  const Outbox& done = m.deliver(1, accepted(m->ballot(), 1));
  ASSERT_EQ(sent<ClientReply>(done).size(), 1u);
  EXPECT_EQ(sent<ClientReply>(done)[0].first, kClient + 1);
}

// The leader resends an Accept that went unanswered for a heartbeat period.
TEST(MultiPaxosLeader, ResendsUnansweredAccepts) {
  Node n(0, 3);
  elect(n);
  n.deliver(kClient, client_request(cmd(1, 1)));
  n.deliver(1, accepted(n->ballot(), 1, true));
  n.deliver(kClient, client_request(cmd(1, 2)));  // slot 2: nobody answers
  n.fire_timer();
  auto resent = sent<Accept>(n.out);
  ASSERT_EQ(resent.size(), 2u);
  EXPECT_EQ(resent[0].second->slot, 2);
}

// In a whole cluster: one leader, clients redirected to it, a leader crash, a new leader that
// recovers, and a restarted replica that catches up.
TEST(MultiPaxosSim, LeaderCrashNewLeaderAndCatchUp) {
  Sim<MultiPaxosNode> sim(3);
  sim.run_until(1 * kNanosPerSecond);
  NodeId leader = kNoNode;
  for (NodeId i = 0; i < 3; ++i) {
    if (sim.node(i).is_leader()) leader = i;
  }
  ASSERT_NE(leader, kNoNode);
  const NodeId other = (leader + 1) % 3;
  sim.client_send(kClient, other, cmd(1, 1, OpType::Write, 5));
  sim.run_until(sim.now() + 100 * kMs);
  ASSERT_EQ(sim.replies().size(), 1u);
  EXPECT_EQ(sim.replies()[0].reply.result.status, ReplyStatus::NotLeader);
  EXPECT_EQ(sim.replies()[0].reply.leader_hint, leader);
  sim.client_send(kClient, leader, cmd(1, 1, OpType::Write, 5));
  sim.run_until(sim.now() + 100 * kMs);
  ASSERT_EQ(sim.replies().size(), 2u);
  EXPECT_EQ(sim.replies()[1].reply.result.status, ReplyStatus::Ok);

  const NodeId lagging = (leader + 2) % 3;
  sim.crash(lagging);
  sim.crash(leader);
  sim.restart(leader);  // comes back as a follower; with `other` it is a majority
  sim.run_until(sim.now() + 1 * kNanosPerSecond);
  NodeId second = kNoNode;
  for (NodeId i : {leader, other}) {
    if (sim.node(i).is_leader()) second = i;
  }
  ASSERT_NE(second, kNoNode);
  sim.client_send(kClient, second, cmd(1, 2, OpType::Cas, 6, 5));
  sim.run_until(sim.now() + 200 * kMs);
  ASSERT_EQ(sim.replies().size(), 3u);
  EXPECT_EQ(sim.replies()[2].reply.result.status, ReplyStatus::Ok);

  sim.storage(lagging).chosen.clear();  // it lost its disk's log copy: must re-learn everything
  sim.restart(lagging);
  sim.run_until(sim.now() + 1 * kNanosPerSecond);
  EXPECT_EQ(sim.node(lagging).applied(), sim.node(second).applied());
  EXPECT_EQ(sim.node(lagging).state_machine().get("x"), std::optional<int64_t>(6));
}

// --- pre-vote (Config::pre_vote) ---------------------------------------------------------------

MessagePtr probe(Ballot b, int64_t slot) {
  auto m = std::make_shared<Prepare>();
  m->ballot = b;
  m->slot = slot;
  m->all_from = true;
  m->probe = true;
  return m;
}

MessagePtr probe_answer(Ballot b, bool yes) {
  auto m = std::make_shared<Promise>();
  m->ballot = b;
  m->slot = 1;
  m->all_from = true;
  m->probe = true;
  m->ok = yes;
  return m;
}

// A timeout asks first, changing nothing a peer or the disk could see; a majority's yes starts
// phase 1 with the ballot it asked about.
TEST(MultiPaxosPreVote, ATimeoutProbesFirstAndAMajoritysYesStartsPhaseOne) {
  Node n(0, 5, Config{});
  n.deliver(2, prepare(make_ballot(4, 2), 1, true));
  n.deliver(2, heartbeat(make_ballot(4, 2), 0));
  const uint64_t writes = n.storage.writes;
  const Outbox& out = n.fire_timer();
  EXPECT_EQ(n->role(), Role::Follower);
  EXPECT_EQ(n.storage.writes, writes) << "a probe persisted something";
  EXPECT_EQ(n.storage.promised, make_ballot(4, 2));
  EXPECT_EQ(events_of(out, EventType::ElectionStart).size(), 0u);
  auto probes = sent<Prepare>(out);
  ASSERT_EQ(probes.size(), 4u);
  EXPECT_TRUE(probes[0].second->probe);
  const Ballot asked = probes[0].second->ballot;
  EXPECT_EQ(asked, make_ballot(5, 0));
  n.deliver(1, probe_answer(asked, false));
  n.deliver(3, probe_answer(make_ballot(3, 0), true));  // answers another ballot: not counted
  n.deliver(3, probe_answer(asked, true));
  EXPECT_EQ(n->role(), Role::Follower) << "two yeses of five (ours included) started phase 1";
  const Outbox& started = n.deliver(4, probe_answer(asked, true));
  EXPECT_EQ(n->role(), Role::Candidate);
  EXPECT_EQ(n->ballot(), asked);
  EXPECT_EQ(events_of(started, EventType::ElectionStart).size(), 1u);
  auto prepares = sent<Prepare>(started);
  ASSERT_EQ(prepares.size(), 4u);
  EXPECT_FALSE(prepares[0].second->probe);
}

// An acceptor says yes only to a ballot above its promise, and only once its leader has been
// silent for election_timeout_min; it changes nothing either way.
TEST(MultiPaxosPreVote, AcceptorsInsideTheLeadersLeaseSayNoAndNothingChanges) {
  Node n(1, 3, Config{});
  n.deliver(0, prepare(make_ballot(2, 0), 1, true));  // the leader's phase 1
  n.deliver(0, heartbeat(make_ballot(2, 0), 0));
  const Storage before = n.storage;
  auto answer = sent_to<Promise>(n.deliver(2, probe(make_ballot(3, 2), 1)), 2);
  ASSERT_NE(answer, nullptr);
  EXPECT_TRUE(answer->probe);
  EXPECT_FALSE(answer->ok) << "a yes inside the leader's lease";
  n.now += 150 * kMs;
  answer = sent_to<Promise>(n.deliver(2, probe(make_ballot(3, 2), 1)), 2);
  EXPECT_TRUE(answer->ok);
  answer = sent_to<Promise>(n.deliver(2, probe(make_ballot(2, 0), 1)), 2);
  EXPECT_FALSE(answer->ok) << "a yes to a ballot not above the promise";
  EXPECT_EQ(n.storage.promised, before.promised);
  EXPECT_EQ(n.storage.writes, before.writes);
  EXPECT_EQ(n->leader_hint(), 0);
}

// The point of it: a node cut off in a minority never starts phase 1, so when the partition heals
// it has no higher ballot to depose the working leader with. Without pre-vote it climbs a ballot
// per timeout and deposes the leader on its return.
TEST(MultiPaxosPreVote, ANodeCutOffAloneNeverStartsPhaseOneNorDeposesTheLeaderOnItsReturn) {
  for (bool pre_vote : {true, false}) {
    SCOPED_TRACE(pre_vote ? "pre-vote" : "no pre-vote");
    Config c;
    c.pre_vote = pre_vote;
    Sim<MultiPaxosNode> sim(5, c);
    int elections_started = 0;
    NodeId cut = kNoNode;
    sim.on_step = [&](NodeId i, const Outbox& out) {
      if (i == cut) elections_started += static_cast<int>(events_of(out, EventType::ElectionStart).size());
    };
    sim.run_until(kNanosPerSecond);
    NodeId leader = kNoNode;
    for (NodeId i = 0; i < 5; ++i)
      if (sim.node(i).is_leader()) leader = i;
    ASSERT_NE(leader, kNoNode);
    cut = (leader + 1) % 5;
    sim.partition({cut});
    sim.run_until(sim.now() + 3 * kNanosPerSecond);
    sim.heal();
    sim.run_until(sim.now() + kNanosPerSecond);
    ASSERT_FALSE(sim.failed()) << sim.trace();
    if (pre_vote) {
      EXPECT_EQ(elections_started, 0);
      EXPECT_TRUE(sim.node(leader).is_leader()) << "the leader was deposed";
    } else {
      EXPECT_GT(elections_started, 5);
      EXPECT_FALSE(sim.node(leader).is_leader()) << "expected the returning node to depose it";
    }
  }
}

// Check-quorum: a leader cut off from its majority steps down once no majority has answered for
// election_timeout_min (checked on heartbeat ticks), so its clients are told NotLeader instead of
// waiting; without it, it leads on alone.
TEST(MultiPaxosCheckQuorum, ALeaderCutOffFromItsMajorityStepsDown) {
  for (bool check_quorum : {true, false}) {
    SCOPED_TRACE(check_quorum ? "check-quorum" : "no check-quorum");
    Config c;
    c.check_quorum = check_quorum;
    Sim<MultiPaxosNode> sim(5, c);
    sim.run_until(kNanosPerSecond);
    NodeId leader = kNoNode;
    for (NodeId i = 0; i < 5; ++i)
      if (sim.node(i).is_leader()) leader = i;
    ASSERT_NE(leader, kNoNode);
    sim.partition({leader});
    const Nanos cut = sim.now();
    sim.client_send(kClient, leader, cmd(1, 1, OpType::Write, 5));
    while (sim.node(leader).is_leader() && sim.now() < cut + kNanosPerSecond)
      sim.run_until(sim.now() + kMs);
    const Nanos stepped_down = sim.now();
    sim.run_until(sim.now() + 20 * kMs);  // the NotLeader on its way
    ASSERT_FALSE(sim.failed()) << sim.trace();
    if (check_quorum) {
      EXPECT_FALSE(sim.node(leader).is_leader());
      EXPECT_LE(stepped_down - cut, (150 + 50 + 1) * kMs);
      EXPECT_EQ(sim.node(leader).quorum_step_downs(), 1u);
      ASSERT_EQ(sim.replies().size(), 1u);
      EXPECT_EQ(sim.replies()[0].reply.result.status, ReplyStatus::NotLeader);
    } else {
      EXPECT_TRUE(sim.node(leader).is_leader()) << "stepped down without check-quorum";
      EXPECT_TRUE(sim.replies().empty());
    }
  }
}

}  // namespace
}  // namespace synod::paxos
