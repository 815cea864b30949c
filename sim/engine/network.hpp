// The simulated network: the transport recommended in SIMGRID.md. Messages do not travel through
// SimGrid communications; this object decides each message's fate and delivery time and keeps,
// per destination, a queue ordered by (delivery time, send sequence number). The driver's actors
// pop what is due; SimGrid supplies the clock and the wake-ups.
//
// Why not SimGrid mailboxes: a mailbox is FIFO per receiver, so jitter can never reorder messages
// and latencies come out wrong when several are in flight; detached sends collapse at scale; a
// dead receiver aborts the process. Here latencies are exact, jitter reorders, and crashes are
// plain bookkeeping (the destination's incarnation number).
//
// Fault model (all decided at send time, from the network's own random stream):
//   - the destination is down, or the (src, dst) pair is cut (partition or one-way cut): dropped;
//   - otherwise lost with probability 1-(1-loss)(1-loss[src])(1-loss[dst]);
//   - otherwise delivered after latency(src,dst) + extra[src] + extra[dst] + uniform[0, jitter]
//     (or an exponential draw of mean jitter), + uniform[0, max(reorder[src], reorder[dst])]
//     while a reorder window is on (so later messages overtake earlier ones),
//     and with probability 1-(1-duplicate)(1-dup[src])(1-dup[dst]) delivered a second time with
//     its own jitter.
// A window's draws happen only while it is on: a run without one draws exactly as before.
// A message is tagged with the destination's incarnation; if the destination crashed in between,
// the message vanishes at delivery (the new incarnation never sees it).
// Clients sit outside partitions and cuts: a partition splits the cluster, not its clients.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/common/types.hpp"

namespace synod::sim {

// Logical time a message carries: stamped by the driver at send, read at delivery. The transport
// carries it for every protocol, whatever the protocol does itself (Lamport 1978, IR1-IR2).
struct Stamp {
  int64_t id = -1;       // the message's id in the trace; duplicates share it
  int64_t lamport = 0;   // the sender's Lamport clock at the send
  std::shared_ptr<const std::vector<int64_t>> vector;  // the sender's vector clock, if kept
};

struct Envelope {
  Nanos deliver_at = 0;
  uint64_t seq = 0;  // global send order: ties in deliver_at resolve by it, deterministically
  Address src = 0;
  uint32_t incarnation = 0;
  MessagePtr message;
  Stamp stamp;
};

// Per message type: counts and bytes. Indexed by MsgKind.
struct MessageCounters {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t dropped_loss = 0;       // random loss
  uint64_t dropped_partition = 0;  // partition or one-way cut
  uint64_t dropped_down = 0;       // destination down at send, or crashed before delivery
  uint64_t duplicated = 0;
  uint64_t bytes_sent = 0;
  uint64_t dropped() const { return dropped_loss + dropped_partition + dropped_down; }
  void add(const MessageCounters& o);
};

class Network {
 public:
  struct Config {
    int n_nodes = 0;
    int n_clients = 0;
    std::vector<Nanos> node_latency;  // n_nodes × n_nodes, row-major
    Nanos client_latency = kNanosPerMilli;
    Nanos jitter = 0;
    bool jitter_exponential = false;  // exponential with mean `jitter` instead of uniform
    double loss = 0;
    double duplicate = 0;
  };

  // `on_earlier` is called when a message becomes due for `dst` earlier than the wake-up time
  // last reported via set_wake_time(): the driver wakes that endpoint's actor.
  Network(Config config, Rng rng, std::function<void(Address dst)> on_earlier);

  // Queues `m` from `src` to `dst` at time `now` (or drops it); see the fault model above.
  void send(Nanos now, Address src, Address dst, MessagePtr m, Stamp stamp = {});

  // Pops the earliest message due for `dst` at or before `now` into *out; false if none.
  // Messages for an older incarnation of `dst` are discarded (and counted) on the way.
  bool pop_due(Address dst, Nanos now, Envelope* out);
  // When the next message for `dst` is due (kNever if none).
  Nanos next_due(Address dst) const;
  // The endpoint's actor reports when it will next wake up on its own.
  void set_wake_time(Address dst, Nanos t) { wake_at_[dst] = t; }

  // --- fault controls (the nemesis) ---
  void set_up(Address a, bool up);  // down: queue discarded, incarnation bumped
  bool is_up(Address a) const { return up_[a]; }
  uint32_t incarnation(Address a) const { return incarnation_[a]; }
  // Partition into groups by a group id per node: nodes with different ids cannot talk.
  void set_partition(const std::vector<int>& group_of_node);
  void cut(NodeId from, NodeId to);  // one-way
  void clear_partitions();           // no partition, no cuts
  void heal();                       // no partition, no cuts, no latency/loss/duplicate/reorder window
  bool can_talk(NodeId from, NodeId to) const { return !blocked_[from * n_nodes_ + to]; }
  void add_latency(NodeId n, Nanos extra) { extra_latency_[n] += extra; }
  void set_loss(NodeId n, double p) { extra_loss_[n] = p; }
  void clear_extra_loss();
  void set_duplicate(NodeId n, double p) { extra_duplicate_[n] = p; }
  void set_reorder(NodeId n, Nanos spread) { reorder_[n] = spread; }
  bool mangling() const;  // a duplicate or reorder window is on somewhere

  Nanos base_latency(Address a, Address b) const;
  int n_nodes() const { return n_nodes_; }
  int n_endpoints() const { return static_cast<int>(queues_.size()); }

  const std::vector<MessageCounters>& counters() const { return counters_; }  // by MsgKind
  MessageCounters totals() const;

 private:
  struct Later {
    bool operator()(const Envelope& a, const Envelope& b) const {
      return a.deliver_at != b.deliver_at ? a.deliver_at > b.deliver_at : a.seq > b.seq;
    }
  };
  using Queue = std::priority_queue<Envelope, std::vector<Envelope>, Later>;

  bool is_node(Address a) const { return a < n_nodes_; }
  void enqueue(Nanos deliver_at, Address src, Address dst, const MessagePtr& m, const Stamp& stamp);
  Nanos jitter();
  Nanos reorder_delay(Address src, Address dst);

  Config config_;
  int n_nodes_;
  Rng rng_;
  std::function<void(Address)> on_earlier_;
  std::vector<Queue> queues_;  // by destination address
  std::vector<Nanos> wake_at_;
  std::vector<bool> up_;
  std::vector<uint32_t> incarnation_;
  std::vector<bool> blocked_;  // n_nodes × n_nodes: true = from cannot reach to
  std::vector<Nanos> extra_latency_;  // per node
  std::vector<double> extra_loss_;    // per node
  std::vector<double> extra_duplicate_;  // per node
  std::vector<Nanos> reorder_;           // per node: extra uniform delay spread
  uint64_t next_seq_ = 0;
  std::vector<MessageCounters> counters_;
};

}  // namespace synod::sim
