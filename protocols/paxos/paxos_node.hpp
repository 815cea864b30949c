// Basic Paxos ("Paxos Made Simple", Lamport 2001, §2) run independently in every slot of a log,
// as a deterministic state machine: every node is proposer, acceptor and learner at once, and
// there is no leader.
//
// A node that receives a client command queues it and proposes it in its next free slot (the
// lowest slot it does not know to be chosen), one round at a time:
//   phase 1: Prepare(slot, ballot) to all; a majority of Promises, each with the acceptor's
//            highest accepted proposal in that slot;
//   phase 2: Accept(slot, ballot, value) where value is the highest-ballot value the promises
//            reported (P2c), or else our own; a majority of Accepteds means it is chosen.
// Learning (§2.4): acceptors answer only the proposer; the proposer, on a majority of Accepteds
// in its ballot, learns the value and broadcasts a Decide. (n messages per slot instead of the
// n^2 of everyone telling everyone; a lost Decide is recovered as described below.)
// If the slot went to another value (adopted from a promise, or chosen by someone else), our
// command stays queued and is proposed again in the next free slot. A node that knows a slot is
// chosen above one it does not (a gap) proposes a no-op in the gap, which adopts any accepted
// value there, so the in-order apply can proceed. An acceptor asked to prepare a slot it knows
// chosen answers with a Decide instead, so a lagging proposer learns at once.
//
// Pre-emption (a refusal naming a higher ballot) or a round timeout abandons the round; the next
// one starts after a random backoff (Config::backoff), or at once without it, which lets two
// duelling proposers pre-empt each other indefinitely (§2.4's livelock).
//
// A command's client is answered by the node that received it, when the slot holding the command
// is applied there. The KvStore's session table makes a command proposed twice (a client retried
// at another node) take effect once. Persistent state: see storage.hpp.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "protocols/common/kv_store.hpp"
#include "protocols/common/message.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/paxos/acceptor.hpp"
#include "protocols/paxos/config.hpp"
#include "protocols/paxos/learner.hpp"
#include "protocols/paxos/messages.hpp"
#include "protocols/paxos/storage.hpp"
#include "protocols/paxos/storage_checker.hpp"

namespace synod::paxos {

class PaxosNode final : public ProtocolNode {
 public:
  PaxosNode(NodeId id, int cluster_size, Config config, Storage* storage, Rng rng);

  void start(Nanos now, Outbox& out) override;
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override;
  std::vector<std::string> check_invariants() override;
  // "n1 accepting s=4 b=2.1 queued=2 applied=3"
  std::string describe() const override;

  enum class Phase { Idle, Preparing, Accepting };
  Phase phase() const { return round_.phase; }
  int64_t round_slot() const { return round_.slot; }     // the slot of the current round
  Ballot round_ballot() const { return round_.ballot; }  // its ballot (kNoBallot if none yet)
  size_t queued() const { return queue_.size(); }        // client commands awaiting their slot
  int64_t applied() const { return learner_.applied(); }
  int64_t first_unchosen() const { return learner_.first_unchosen(); }
  const Learner& learner() const { return learner_; }
  const KvStore& state_machine() const { return learner_.kv(); }
  const Storage& storage() const { return *storage_; }

 private:
  struct Queued {
    Command command;
    Address client;  // where the answer goes
  };
  // The proposer's one round in flight (§2.2).
  struct Round {
    Phase phase = Phase::Idle;
    int64_t slot = 0;
    Ballot ballot = kNoBallot;
    std::vector<bool> answered;  // by node: a Promise (phase 1) or Accepted (phase 2) counted
    int granted = 0;
    Ballot highest_accepted = kNoBallot;  // phase 1: highest accepted ballot among promises
    Value value;                          // phase 1: what we will propose; phase 2: what we did
  };

  // paxos_node.cpp: dispatch, acceptor and learner glue, clients.
  bool is_peer(Address a) const { return a >= 0 && a < cluster_size_ && a != id_; }
  int majority() const { return cluster_size_ / 2 + 1; }
  void note_ballot(Ballot b);
  void on_prepare(Address from, const Prepare& m, Outbox& out);
  void on_accept(Address from, const Accept& m, Outbox& out);
  void on_decide(const Decide& m, Outbox& out);
  void on_client_request(Address from, const ClientRequest& m, Outbox& out);
  void learn(int64_t slot, Ballot ballot, const Value& value, Outbox& out);
  void apply_chosen(Outbox& out);

  // proposer.cpp (§2.2, §2.4)
  void maybe_propose(Outbox& out);
  void start_round(Outbox& out);
  void on_promise(Address from, const Promise& m, Outbox& out);
  void on_accepted(Address from, const Accepted& m, Outbox& out);
  void begin_accept(Outbox& out);
  void abandon_round(Outbox& out);

  std::string tag() const;

  const NodeId id_;
  const int cluster_size_;
  const Config config_;
  Storage* const storage_;
  Rng rng_;
  Acceptor acceptor_;
  Learner learner_;

  Nanos now_ = 0;
  Round round_;
  std::deque<Queued> queue_;    // commands received here, in arrival order, until applied
  int64_t max_round_seen_ = 0;  // highest round in any ballot we heard of (ours included)
  Nanos retry_at_ = kNever;     // round timeout while in a round, backoff end while idle

  StorageChecker storage_checker_;
  struct Snapshot {
    bool valid = false;
    int64_t round_slot = 0;
    Ballot round_ballot = kNoBallot;
  };
  Snapshot checked_;
};

}  // namespace synod::paxos
