// Lamport's mutual exclusion algorithm ("Time, Clocks, and the Ordering of Events in a
// Distributed System", CACM 1978, the resource-allocation problem) as a deterministic state
// machine. There is one resource; every node is a process that wants it now and then.
//
// The algorithm (the paper's rules 1-5):
//   1. to request the resource, a node stamps a Request with its Lamport time Tm, broadcasts it
//      and puts (Tm, itself) on its own request queue;
//   2. a node that receives a Request puts it on its queue and answers with a timestamped Ack;
//   3. to release, a node removes its request from its queue and broadcasts a Release;
//   4. a node that receives a Release removes that node's request from its queue;
//   5. a node enters the critical section when (i) its request heads its queue, ordered by
//      (timestamp, node id), and (ii) it has received from every other node a message
//      timestamped later than Tm.
// Each entry costs 3(N-1) messages: N-1 Requests, N-1 Acks, N-1 Releases. We always Ack (the
// paper's note that an Ack may be skipped when a later message was already sent is not used),
// so the count is exact.
//
// Who requests and when: there are no clients. A node decides by itself to request the resource
// (MutexConfig): it waits an exponentially distributed think time (mean 1/request_rate_per_s)
// after starting and after each release, so that at most one of its requests is outstanding; it
// holds the resource for `hold`, then releases. Requests start no earlier than `start` and none
// starts at or after `stop` (one already made runs to its release). A ClientRequest is answered
// NotLeader with no hint: this protocol serves no commands.
//
// Why it is safe, and what the network changes. Suppose node i enters for request (Ti, i) while
// node j holds the resource for request (Tj, j). By 5(ii) i has received a message m from j with
// ts(m) > Ti. A node's sends carry strictly increasing timestamps (IR1), so if Tj < ts(m) then
// j's Request was sent to i before m; if the channel j->i delivers in send order, i received the
// Request before m; j releases only after leaving the resource, so the Request is still on i's
// queue. If (Tj, j) < (Ti, i) that contradicts 5(i). Otherwise (Ti, i) < (Tj, j) and the same
// argument at j's entry (with i's Request, sent before the message from i that let j in, and not
// yet released since i is inside) contradicts 5(i) at j. The same argument shows requests are
// granted in (timestamp, id) order: once i is in, every later request of j has Tj > ts(m) > Ti.
//
// The only property of the channel used is: "what i has received from j is a prefix, in order,
// of what j sent to i". Our network breaks it by reordering (an Ack overtaking an earlier
// Request would let i enter while j's smaller request is unknown to it: a real violation) and by
// duplication (a replayed old Request would come back after its Release). FifoInbox restores the
// prefix property: per-channel sequence numbers, a reorder buffer, duplicate suppression. It
// cannot restore what was lost: after a loss the channel delivers nothing more, so the prefix
// property still holds and safety is kept, but the receiver never again hears a later timestamp
// from that peer (or never hears its Release) and blocks, and soon everyone does. A crash is the
// same: a crashed node keeps no storage (none is needed, and none would help without a protocol
// to rejoin), its peers stop hearing from it and block; its new incarnation draws a new channel
// epoch, which the peers treat as a dead channel, and it cannot hear from them either (their
// channels start mid-stream). Mutual exclusion holds; progress stops. That is the algorithm's
// well-known weakness (it needs every process to take part), shown here on purpose.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "protocols/common/bug_knobs.hpp"
#include "protocols/common/message.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/common/types.hpp"
#include "protocols/lamport/clock.hpp"
#include "protocols/lamport/fifo_inbox.hpp"
#include "protocols/lamport/mutex_messages.hpp"

namespace synod::lamport {

struct MutexBugs {
  bool enter_without_acks = false;  // mutex_node.cpp: enter once our request heads our queue,
                                    // without a later-stamped message from every other node
                                    // (rule 5's second half): two nodes in the section at once
};
using MutexBugKnob = BugKnobOf<MutexBugs>;
const std::vector<MutexBugKnob>& mutex_bug_knobs();

struct MutexConfig {
  double request_rate_per_s = 5;  // mean think time 1/rate between a release and the next request
  Nanos hold = 10 * kNanosPerMilli;  // time spent in the critical section
  Nanos start = 0;                   // no request before this time
  Nanos stop = kNever;               // no new request at or after this time
  MutexBugs bugs;
};

// A request on the queue, ordered by (timestamp, node): the paper's total order "=>".
struct QueuedRequest {
  int64_t timestamp = 0;
  NodeId node = kNoNode;
  bool operator<(const QueuedRequest& o) const {
    return timestamp != o.timestamp ? timestamp < o.timestamp : node < o.node;
  }
  bool operator==(const QueuedRequest& o) const {
    return timestamp == o.timestamp && node == o.node;
  }
};

class MutexNode final : public ProtocolNode {
 public:
  enum class State { Idle, Waiting, InCs };

  // What the inbox keeps of a message until its turn comes: everything the rules read.
  struct Delivery {
    MsgKind kind = MsgKind::LamportAck;
    int64_t timestamp = 0;
    int64_t request_timestamp = 0;  // Release
  };

  MutexNode(NodeId id, int cluster_size, MutexConfig config, Rng rng);

  void start(Nanos now, Outbox& out) override;
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override;
  std::vector<std::string> check_invariants() override;
  std::string describe() const override;  // "n1 waiting req=3 ts=17 clock=20 queue=2"

  State state() const { return state_; }
  bool in_cs() const { return state_ == State::InCs; }
  int64_t clock() const { return clock_.time(); }
  int64_t request_number() const { return request_number_; }  // requests made so far
  int64_t entries() const { return entries_; }                // critical sections entered
  const std::vector<QueuedRequest>& queue() const { return queue_; }
  // The highest timestamp received (delivered) from `peer`, 0 if none.
  int64_t last_timestamp_from(NodeId peer) const { return last_ts_from_[idx(peer)]; }
  const FifoInbox<Delivery>& inbox() const { return inbox_; }

  // Makes the node request now (tests; the driver never calls it). No-op unless Idle.
  void request_now(Nanos now, Outbox& out);

 private:
  static size_t idx(NodeId n) { return static_cast<size_t>(n); }
  bool is_peer(Address a) const { return a >= 0 && a < cluster_size_ && a != id_; }

  // mutex_node.cpp: the paper's rules.
  void make_request(Outbox& out);                         // rule 1
  void on_request(NodeId from, int64_t ts, Outbox& out);  // rule 2
  void on_release(NodeId from, int64_t request_ts);       // rule 4
  void try_enter(Outbox& out);                            // rule 5
  void release(Outbox& out);                              // rule 3
  bool may_enter() const;
  void deliver(NodeId from, MsgKind kind, int64_t ts, int64_t request_ts, Outbox& out);
  void send_to(NodeId peer, std::shared_ptr<MutexMessage> m, Outbox& out);
  void schedule_next_request();
  void emit(EventType type, Outbox& out) const;
  void queue_insert(QueuedRequest r);
  bool queue_remove_node(NodeId n, QueuedRequest* removed);

  // mutex_invariants.cpp
  void check_state(std::vector<std::string>& v) const;
  void check_deltas(std::vector<std::string>& v) const;
  void flag(std::vector<std::string>& v, const std::string& what) const;

  const NodeId id_;
  const int cluster_size_;
  const MutexConfig config_;
  Rng rng_;

  Nanos now_ = 0;
  LamportClock clock_;
  uint64_t epoch_ = 0;                 // our channel epoch, drawn at start
  std::vector<uint64_t> next_seq_;     // per destination: seq of the next message
  std::vector<int64_t> last_ts_from_;  // per peer: highest delivered timestamp (rule 5(ii))
  std::vector<QueuedRequest> queue_;   // sorted by (timestamp, node), one entry per node at most

  State state_ = State::Idle;
  int64_t own_timestamp_ = 0;  // Tm of our outstanding request (Waiting, InCs)
  int64_t request_number_ = 0;
  int64_t entries_ = 0;
  Nanos next_request_at_ = kNever;  // Idle: when we will request
  Nanos exit_at_ = kNever;          // InCs: when we will release

  std::vector<std::string> violations_;  // found inside a step, reported by check_invariants()
  struct Snapshot {
    bool valid = false;
    int64_t clock = 0;
    int64_t request_number = 0;
    int64_t entries = 0;
    std::vector<uint64_t> delivered;
  };
  Snapshot checked_;

  FifoInbox<Delivery> inbox_;
};

const char* mutex_state_name(MutexNode::State s);  // "idle" | "waiting" | "in-cs"

}  // namespace synod::lamport
