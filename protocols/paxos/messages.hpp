// The messages of Basic Paxos and Multi-Paxos ("Paxos Made Simple" §2.2-§2.3 and §3), one-way
// like everything on the simulated network: a reply is matched to its request by the slot and
// ballot it echoes, because the network may drop, duplicate, delay and reorder anything.
//
// Basic Paxos uses Prepare/Promise for one slot; Multi-Paxos sends one Prepare that covers every
// slot from an index (`all_from`), and its Promise carries every accepted (slot, ballot, value) at
// or above that index, as "Paxos Made Simple" §3 describes for a new leader.
//
// Refusals are not in the paper (an acceptor may just ignore the request) but are the usual
// optimization it mentions in §2.3: the refusing acceptor names the higher ballot it promised, so
// the proposer abandons its round at once and knows which round to go above.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/paxos/ballot.hpp"

namespace synod::paxos {

// Phase 1a: "prepare request with number n".
class Prepare final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::PaxosPrepare; }
  const char* type_name() const override { return "Prepare"; }
  size_t size_bytes() const override { return 32; }
  std::string describe() const override;

  Ballot ballot = kNoBallot;
  int64_t slot = 0;       // Basic Paxos: the slot; Multi-Paxos: the first slot covered
  bool all_from = false;  // Multi-Paxos: the prepare covers every slot >= `slot`
  // Multi-Paxos pre-vote: only asks whether the acceptor would promise `ballot`; nothing changes.
  bool probe = false;
};

// What an acceptor reports of one slot in a Promise.
struct AcceptedSlot {
  int64_t slot = 0;
  Ballot ballot = kNoBallot;  // accepted ballot (or the ballot it was chosen in, if chosen)
  Value value;
  bool chosen = false;  // Multi-Paxos: the acceptor knows this value is chosen
};

// Phase 1b: a promise not to accept below `ballot`, with what was accepted before; or a refusal.
class Promise final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::PaxosPromise; }
  const char* type_name() const override { return "Promise"; }
  size_t size_bytes() const override;
  std::string describe() const override;

  Ballot ballot = kNoBallot;  // the ballot of the Prepare (or Heartbeat) answered
  int64_t slot = 0;           // echoed from the Prepare
  bool all_from = false;      // echoed from the Prepare
  bool probe = false;         // answers a pre-vote probe: ok = it would promise
  bool ok = false;
  Ballot promised = kNoBallot;  // refusal: the higher ballot the acceptor has promised
  // ok: Basic Paxos, the slot's accepted proposal if any (at most one entry); Multi-Paxos, every
  // slot >= `slot` the acceptor has accepted in or knows chosen.
  std::vector<AcceptedSlot> accepted;
};

// Phase 2a: "accept request for a proposal numbered n with a value v".
class Accept final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::PaxosAccept; }
  const char* type_name() const override { return "Accept"; }
  size_t size_bytes() const override {
    return 40 + (value.noop ? 0 : 48 + value.command.key.size());
  }
  std::string describe() const override;

  Ballot ballot = kNoBallot;
  int64_t slot = 0;
  Value value;
};

// Phase 2b: the acceptor accepted the proposal (sent to the proposer, which counts them and
// tells the learners with Decide); or a refusal naming the higher promise.
class Accepted final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::PaxosAccepted; }
  const char* type_name() const override { return "Accepted"; }
  size_t size_bytes() const override { return 40; }
  std::string describe() const override;

  Ballot ballot = kNoBallot;  // the ballot of the Accept answered
  int64_t slot = 0;
  bool ok = false;
  Ballot promised = kNoBallot;  // refusal: the higher ballot the acceptor has promised
};

// A learner's news (§2.4): `value` was chosen in `slot`, in ballot `ballot`.
class Decide final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::PaxosDecide; }
  const char* type_name() const override { return "Decide"; }
  size_t size_bytes() const override {
    return 40 + (value.noop ? 0 : 48 + value.command.key.size());
  }
  std::string describe() const override;

  int64_t slot = 0;
  Ballot ballot = kNoBallot;
  Value value;
};

// Multi-Paxos: the leader of `ballot` is alive; every slot up to `commit` is chosen at the leader.
class Heartbeat final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::PaxosHeartbeat; }
  const char* type_name() const override { return "Heartbeat"; }
  size_t size_bytes() const override { return 32; }
  std::string describe() const override;

  Ballot ballot = kNoBallot;
  int64_t commit = 0;
};

// Multi-Paxos check-quorum: the answer to a Heartbeat of `ballot` by a follower that takes its
// sender as leader, so a leader can tell that a majority still does.
class HeartbeatAck final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::PaxosHeartbeatAck; }
  const char* type_name() const override { return "HeartbeatAck"; }
  size_t size_bytes() const override { return 16; }
  std::string describe() const override;

  Ballot ballot = kNoBallot;
};

// Multi-Paxos: a lagging replica asks for the chosen values of slots from `from` on; the answer
// is a Decide per slot the receiver knows chosen (at most a batch at a time).
class CatchUp final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::PaxosCatchUp; }
  const char* type_name() const override { return "CatchUp"; }
  size_t size_bytes() const override { return 24; }
  std::string describe() const override;

  int64_t from = 0;
};

}  // namespace synod::paxos
