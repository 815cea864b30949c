// The contract between a protocol and whatever drives it (the SimGrid driver in sim/, or a unit
// test). A protocol node is a deterministic state machine in the etcd-raft style:
//
//   - it takes one input at a time: start(), on_message(), on_timer(), on_compute_done();
//   - it hands back its outputs in an Outbox: messages to send and events for the recorder;
//   - it writes persistent state into a storage object that the driver owns and keeps across
//     crashes. Writes happen inside the step, before the step returns, so by construction they are
//     durable before any message of that step leaves (the driver sends only after the step);
//   - time is what the driver says (`now`), and the node asks to be woken via next_timer();
//   - randomness comes from an Rng the driver seeds per node and incarnation.
//
// No SimGrid, no clock, no global RNG, no I/O anywhere under protocols/.
#pragma once

#include <string>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/common/types.hpp"

namespace synod {

// A maximal run of consecutive log entries with the same term: [first, last] all have `term`.
// A Raft log's terms never decrease, so a whole log is described by a handful of runs.
struct TermRun {
  int64_t term = 0;
  int64_t first = 0;
  int64_t last = 0;
  bool operator==(const TermRun& o) const {
    return term == o.term && first == o.first && last == o.last;
  }
};

enum class EventType : uint8_t {
  Role,           // the node changed role (role, term); to leader: log_runs = its whole log
  ElectionStart,  // the node started an election (term)
  Commit,         // the node's commit index advanced (index = new commit index, term = current)
  Apply,          // the node applied a log entry (index, entry_term, command)
  // Paxos family. A ballot travels in `term` as an integer that orders ballots the way the
  // protocol does (e.g. round * 2^16 + node id); `index` is the slot (log position, from 1).
  Promise,        // acceptor promised ballot `term` (index = the slot, or 0 for all slots)
  Accept,         // acceptor accepted `command` in slot `index` at ballot `term`
  Learn,          // the node learned that `command` was chosen in slot `index`
  // Lamport mutual exclusion. `term` carries the request's Lamport timestamp; `index` a per-node
  // request number (1, 2, ...), so (node, index) names one request.
  CsRequest,      // the node asked for the critical section
  CsEnter,        // the node entered it
  CsExit,         // the node left it (and sent its release)
};
const char* event_type_name(EventType t);

// Something the recorder should know. Which fields are meaningful depends on `type`.
struct ProtocolEvent {
  EventType type = EventType::Role;
  int64_t term = 0;
  std::string role;            // Role: "follower" | "candidate" | "leader"
  int64_t index = 0;           // Commit: the new commit index; Apply: the entry's index
  int64_t entry_term = 0;      // Apply: the entry's term
  std::string command;         // Apply, Accept, Learn: Command::describe(), or "noop"
  std::vector<TermRun> log_runs;  // Role=leader: the new leader's log, as runs of equal term
  // A sharded node's replica group (protocols/shards, set by the host, never by the replica);
  // -1 for an unsharded node.
  int32_t group = -1;
};

struct Outbox {
  struct Send {
    Address to;
    MessagePtr message;
  };
  // Work for the node's own CPU: `flops` floating-point operations, run by the driver on the
  // node's host (its speed and cores: SimGrid's CPU model in the simulator), first come first
  // served on as many executors as the host has cores. on_compute_done(token) reports the end.
  // A crash loses the work in progress and the work not yet started.
  struct Compute {
    double flops;
    uint64_t token;
  };
  std::vector<Send> messages;
  std::vector<ProtocolEvent> events;
  std::vector<Compute> computes;

  void send(Address to, MessagePtr m) { messages.push_back({to, std::move(m)}); }
  void event(ProtocolEvent e) { events.push_back(std::move(e)); }
  void compute(double flops, uint64_t token) { computes.push_back({flops, token}); }
  void clear() {
    messages.clear();
    events.clear();
    computes.clear();
  }
};

class ProtocolNode {
 public:
  virtual ~ProtocolNode() = default;

  // The node starts (first boot or restart after a crash). Persistent state is whatever its
  // storage object holds; everything else starts fresh.
  virtual void start(Nanos now, Outbox& out) = 0;
  // A message from a peer or a client (`from` is its address).
  virtual void on_message(Nanos now, Address from, const Message& m, Outbox& out) = 0;
  // The deadline returned by next_timer() has been reached (now >= next_timer()).
  virtual void on_timer(Nanos now, Outbox& out) = 0;
  // The earliest time the node wants on_timer() called, or kNever.
  virtual Nanos next_timer() const = 0;
  // Work the node asked for with Outbox::compute() has finished (in the order the host's
  // executors finish it). Nodes that never compute need not override it.
  virtual void on_compute_done(Nanos now, uint64_t token, Outbox& out) {}
  // The cluster's membership (sorted node ids) at start and after every join or leave, for
  // protocols that change membership (the others never see one: the loader refuses join and
  // leave for them). Called after start() and before any other input of an incarnation.
  virtual void on_membership(Nanos now, const std::vector<NodeId>& members, Outbox& out) {}
  // Asked to hand leadership to node `to` (a transfer fault), for protocols that can (raft,
  // dissertation §3.10); ignored by a node that does not lead. The loader refuses transfer
  // faults for the others.
  virtual void on_transfer_leadership(Nanos now, NodeId to, Outbox& out) {}
  // Whether a handover to `to` now would be quick and safe: this node leads, nothing else is
  // under way (a transfer, a membership change), and `to` is a voter holding the whole log that
  // answered recently. A sharded host's leader balancer asks before it hands over (false: never).
  virtual bool can_hand_over_to(Nanos now, NodeId to) const { return false; }

  // The node's own invariants (state checks, and delta checks against the state it had when
  // last called). Returns one line per violation, empty when all hold. Drivers call it after
  // every input and record what it returns.
  virtual std::vector<std::string> check_invariants() = 0;

  // Short status for traces and summaries: "leader t=4 commit=118".
  virtual std::string describe() const = 0;

  // A deterministic text of the node's replicated state, for protocols whose replicas must
  // converge (the driver compares the live nodes' digests at the end of a run); empty = not
  // compared.
  virtual std::string state_digest() const { return {}; }
};

}  // namespace synod
