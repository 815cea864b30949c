// One in-memory cluster for the protocol tests of every family (Raft, Paxos, Multi-Paxos, the
// Lamport nodes, and whatever comes next). The harness owns what a ProtocolNode must not: time,
// the network between the nodes, their Storage across crashes, and the one Rng of a run. It knows
// only the node contract (protocols/common/node.hpp), so a family plugs in with a factory, and
// what a family checks across nodes (one leader per term, one value per slot) it adds through
// the hooks.
//
// Contract:
//   - Nodes 0..n-1; any other address is a client, outside the cluster. The factory builds
//     incarnation k (1 = first boot) of node i over the Storage the harness keeps for i;
//     families without storage use NoStorage. Nothing runs before start_all(), so a test can
//     install its hooks and links first.
//   - Events run one at a time, in time order; at one instant a message arrival goes first
//     (in send order), then node timers (the lowest id first), then the agents (in the order
//     added; an agent is a test's client workload or fault injector). One seed and the same
//     test actions give the same run, on every compiler.
//   - After every node step: a trace line, on_step, the node's check_invariants() (a violation
//     fails the run), and only then do the step's messages leave: what a step persisted is
//     durable before anything it sent is seen (node.hpp).
//   - A message between nodes on different sides of a partition is lost, whether it is sent
//     or arrives across the cut: a partition also cuts what is in flight. Clients reach every
//     node. Then `links` may drop it or send it twice; each copy arrives after its own latency.
//     A message to a crashed node is lost, and so is one in flight to an earlier incarnation.
//   - With links.hold, messages wait until the test delivers them (deliver_next), so a test can
//     order deliveries by hand, e.g. to break FIFO.
//   - A failure (an invariant, or fail() from a hook) reports the seed, the simulated time and
//     the last trace lines, and stops run_until(): the run after a violation proves nothing.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/common/types.hpp"

namespace synod::testkit {

struct NoStorage {};

// What a factory needs to build one incarnation of one node.
template <class Storage>
struct Boot {
  NodeId id;
  int cluster_size;
  uint64_t incarnation;  // 1 = first boot
  Storage* storage;      // the harness's, kept across crashes
  uint64_t seed;         // the run's

  // A stream of its own for each node and incarnation: a restart does not replay the draws of
  // the crashed incarnation, and one node's draws never shift another's.
  Rng rng(std::string_view stream) const {
    return Rng::stream(seed, stream, static_cast<uint64_t>(id) * 1000 + incarnation);
  }
};

// The network between any two addresses. Loss and duplication are per message; with
// latency_min < latency_max, messages on one link overtake each other.
struct Links {
  Nanos latency_min = 5 * kNanosPerMilli;
  Nanos latency_max = 5 * kNanosPerMilli;
  double drop = 0;
  double duplicate = 0;
  bool hold = false;  // messages wait for deliver_next(), not for time
};

template <class Node, class Storage = NoStorage>
class ClusterHarness {
 public:
  using Factory = std::function<std::unique_ptr<Node>(const Boot<Storage>&)>;
  struct Reply {
    Nanos at;
    Address to;
    ClientReply reply;
  };
  struct InFlight {
    Nanos at;  // kNever while held
    uint64_t order;
    Address from;
    Address to;
    uint64_t to_incarnation;  // 0 for clients
    MessagePtr message;
  };
  // Something outside the cluster that acts at times of its own choosing.
  struct Agent {
    std::function<Nanos()> next_due;  // kNever: nothing to do
    std::function<void()> run;        // does one due thing
  };

  // `net_stream` names the run's Rng (links, and whatever the test draws from rng()).
  ClusterHarness(int n, uint64_t seed, std::string_view net_stream, Factory make)
      : n_(n),
        seed_(seed),
        make_(std::move(make)),
        rng_(Rng::stream(seed, net_stream)),
        storages_(idx(n)),
        nodes_(idx(n)),
        incarnation_(idx(n), 0),
        side_(idx(n), 0) {}
  ClusterHarness(const ClusterHarness&) = delete;  // hooks hold pointers into their owner
  ClusterHarness& operator=(const ClusterHarness&) = delete;

  void start_all() {
    for (NodeId i = 0; i < n_; ++i) restart(i);
  }

  Links links;
  // Called after each node step, before its messages leave. Must not crash or restart nodes:
  // the harness checks that node's invariants next.
  std::function<void(NodeId, const Outbox&)> on_step;
  // Called when a ClientReply reaches a client (after it is added to replies()).
  std::function<void(const Reply&)> on_reply;
  // Called after each event that run_until() runs (steps() counts them).
  std::function<void()> after_event;
  void add_agent(Agent a) { agents_.push_back(std::move(a)); }

  // --- time --------------------------------------------------------------------------------

  // Runs the next event if it is due by `until`; false if there is none.
  bool step(Nanos until) {
    const size_t arrival = next_arrival();
    Nanos t = arrival < wire_.size() ? wire_[arrival].at : kNever;
    for (const auto& node : nodes_) {
      if (node) t = std::min(t, node->next_timer());
    }
    for (const Agent& a : agents_) t = std::min(t, a.next_due());
    if (t > until || t == kNever) return false;
    now_ = t;
    ++steps_;
    if (arrival < wire_.size() && wire_[arrival].at == t) {
      deliver(take(arrival));
    } else if (!fire_due_timer()) {
      for (Agent& a : agents_) {
        if (a.next_due() <= now_) {
          a.run();
          break;
        }
      }
    }
    if (after_event) after_event();
    return true;
  }

  void run_until(Nanos end) {
    while (!failed_ && !::testing::Test::HasFatalFailure() && step(end)) {
    }
    if (end != kNever) now_ = std::max(now_, end);
  }
  void run_for(Nanos duration) { run_until(now_ + duration); }

  // --- inputs ------------------------------------------------------------------------------

  // Puts a message on the links, as a node's send would (a client's request, say).
  void send(Address from, Address to, const MessagePtr& m) {
    ++sent_[static_cast<size_t>(m->kind())];
    if (is_cut(from, to) || rng_.chance(links.drop)) return;
    uint64_t incarnation = 0;
    if (to < n_) {
      if (!alive(to)) return;
      incarnation = incarnation_[idx(to)];
    }
    const int copies = rng_.chance(links.duplicate) ? 2 : 1;
    for (int k = 0; k < copies; ++k) {
      wire_.push_back({arrival_time(), order_++, from, to, incarnation, m});
    }
  }
  void client_send(Address client, NodeId to, const Command& c) {
    send(client, to, std::make_shared<ClientRequest>(c));
  }

  // Hands node `to` a message now, past the links (a client next to it, or a test replaying a
  // duplicate). Returns what the step output; its messages have left.
  Outbox inject(Address from, NodeId to, const Message& m) {
    return run_step(to, [&](Node& node, Outbox& out) { node.on_message(now_, from, m, out); },
                    [&] { return fmt::format("from {}: {}", from, m.describe()); });
  }

  // Runs a family-specific input on node i as one step (`f(node, out)`), e.g. a request.
  template <class F>
  Outbox input(NodeId i, F f) {
    return run_step(i, std::move(f), [] { return std::string("input"); });
  }

  // Moves time to node i's deadline (never back) and fires its timer.
  Outbox fire_timer(NodeId i) {
    now_ = std::max(now_, node(i).next_timer());
    return run_step(i, [&](Node& node, Outbox& out) { node.on_timer(now_, out); },
                    [] { return std::string("timer"); });
  }

  // Delivers the first message in flight, in send order, for which `pick` holds, whatever its
  // arrival time, and returns it (null if none matched).
  MessagePtr deliver_next(const std::function<bool(const InFlight&)>& pick) {
    for (size_t k = 0; k < wire_.size(); ++k) {
      if (!pick(wire_[k])) continue;
      InFlight f = take(k);
      deliver(f);
      return f.message;
    }
    return nullptr;
  }

  // Delivers everything in flight, in an order drawn from rng() regardless of arrival times,
  // until nothing is left (timers do not fire).
  void deliver_all_shuffled() {
    while (!wire_.empty() && !failed_) deliver(take(rng_.below(wire_.size())));
  }

  // --- faults ------------------------------------------------------------------------------

  // False if i was already down. Its storage stays; what is in flight to it is lost.
  bool crash(NodeId i) {
    if (!alive(i)) return false;
    note(fmt::format("crash n{}", i));
    nodes_[idx(i)].reset();
    ++incarnation_[idx(i)];
    return true;
  }

  // A new incarnation of i (crashing the old one if it was up), over the same storage.
  void restart(NodeId i) {
    const size_t k = idx(i);
    const uint64_t incarnation = ++incarnation_[k];
    nodes_[k] = make_(Boot<Storage>{i, n_, incarnation, &storages_[k], seed_});
    run_step(i, [&](Node& node, Outbox& out) { node.start(now_, out); },
             [&] { return fmt::format("{} n{}", incarnation == 1 ? "start" : "restart", i); });
  }

  // Cuts the listed nodes off from the others (clients still reach everyone).
  void partition(const std::vector<NodeId>& cut_off) {
    heal();
    for (NodeId i : cut_off) side_[idx(i)] = 1;
  }
  void heal() { std::fill(side_.begin(), side_.end(), 0); }
  bool is_whole() const {
    return std::all_of(side_.begin(), side_.end(), [](int s) { return s == 0; });
  }
  bool is_cut(Address a, Address b) const {
    if (a >= n_ || b >= n_) return false;
    return side_[idx(a)] != side_[idx(b)];
  }

  // --- state -------------------------------------------------------------------------------

  int size() const { return n_; }
  uint64_t seed() const { return seed_; }
  Rng& rng() { return rng_; }
  Nanos now() const { return now_; }
  uint64_t steps() const { return steps_; }
  Node& node(NodeId i) { return *nodes_[idx(i)]; }
  const Node& node(NodeId i) const { return *nodes_[idx(i)]; }
  bool alive(NodeId i) const { return nodes_[idx(i)] != nullptr; }
  Storage& storage(NodeId i) { return storages_[idx(i)]; }
  const Storage& storage(NodeId i) const { return storages_[idx(i)]; }
  // Messages of kind k handed to the links (before loss), and copies put in flight in all.
  int64_t sent(MsgKind k) const { return sent_[static_cast<size_t>(k)]; }
  uint64_t copies_sent() const { return order_; }
  const std::vector<Reply>& replies() const { return replies_; }

  // Every live node's state_digest() is the same (for families whose replicas must converge).
  bool converged() const {
    const ProtocolNode* first = nullptr;
    for (const auto& node : nodes_) {
      if (!node) continue;
      if (!first) first = node.get();
      if (node->state_digest() != first->state_digest()) return false;
    }
    return true;
  }

  // --- failures and trace ------------------------------------------------------------------

  void fail(const std::string& what) {
    failed_ = true;
    ADD_FAILURE() << "seed " << seed_ << " at " << to_millis(now_) << "ms: " << what
                  << (trace_.empty() ? "" : "\nlast steps:\n") << trace();
  }
  bool failed() const { return failed_; }

  // A line in the trace (a fault, a phase), stamped with the simulated time.
  void note(const std::string& line) {
    if (!tracing()) return;
    std::string stamped = fmt::format("{:9.3f}ms {}", to_millis(now_), line);
    if (trace_to_stderr) fmt::print(stderr, "{}\n", stamped);
    trace_.push_back(std::move(stamped));
    while (trace_.size() > trace_depth) trace_.pop_front();
  }
  std::string trace() const {
    std::string s;
    for (const auto& line : trace_) s += line + "\n";
    return s;
  }
  size_t trace_depth = 40;       // lines a failure shows; 0 keeps no trace
  bool trace_to_stderr = false;  // every line as it happens

 private:
  static size_t idx(int i) { return static_cast<size_t>(i); }
  bool tracing() const { return trace_depth > 0 || trace_to_stderr; }

  Nanos arrival_time() {
    if (links.hold) return kNever;
    if (links.latency_min == links.latency_max) return now_ + links.latency_min;
    return now_ + rng_.between(links.latency_min, links.latency_max);
  }

  // The message that arrives first (the earliest sent among equals), or wire_.size().
  size_t next_arrival() const {
    size_t best = wire_.size();
    for (size_t k = 0; k < wire_.size(); ++k) {
      if (best == wire_.size() || wire_[k].at < wire_[best].at) best = k;
    }
    return best;
  }

  InFlight take(size_t k) {
    InFlight f = std::move(wire_[k]);
    wire_.erase(wire_.begin() + static_cast<std::ptrdiff_t>(k));
    return f;
  }

  void deliver(const InFlight& f) {
    if (is_cut(f.from, f.to)) return;
    if (f.to >= n_) {
      if (f.message->kind() != MsgKind::ClientReply) return;
      replies_.push_back({now_, f.to, static_cast<const ClientReply&>(*f.message)});
      if (on_reply) on_reply(replies_.back());
      return;
    }
    if (!alive(f.to) || incarnation_[idx(f.to)] != f.to_incarnation) return;
    run_step(
        f.to, [&](Node& node, Outbox& out) { node.on_message(now_, f.from, *f.message, out); },
        [&] { return fmt::format("from {}: {}", f.from, f.message->describe()); });
  }

  bool fire_due_timer() {
    for (NodeId i = 0; i < n_; ++i) {
      if (alive(i) && node(i).next_timer() <= now_) {
        run_step(i, [&](Node& node, Outbox& out) { node.on_timer(now_, out); },
                 [] { return std::string("timer"); });
        return true;
      }
    }
    return false;
  }

  // One step of node i: the input, then the checks, then the sends (see the contract).
  template <class F, class Describe>
  Outbox run_step(NodeId i, F f, Describe describe_input) {
    Outbox out;
    Node& n = node(i);
    f(n, out);
    if (tracing()) {
      note(fmt::format("{} | {} -> {}", describe_input(), n.describe(), out.messages.size()));
    }
    if (on_step) on_step(i, out);
    for (const std::string& line : n.check_invariants()) fail("invariant: " + line);
    for (const Outbox::Send& s : out.messages) send(i, s.to, s.message);
    return out;
  }

  const int n_;
  const uint64_t seed_;
  const Factory make_;
  Rng rng_;
  Nanos now_ = 0;
  uint64_t order_ = 0;
  uint64_t steps_ = 0;
  bool failed_ = false;
  std::vector<Storage> storages_;            // survive crashes
  std::vector<std::unique_ptr<Node>> nodes_;  // null while crashed
  std::vector<uint64_t> incarnation_;
  std::vector<int> side_;       // partition side per node; all 0 when whole
  std::vector<InFlight> wire_;  // in send order
  std::vector<Agent> agents_;
  std::vector<Reply> replies_;
  std::array<int64_t, static_cast<size_t>(MsgKind::kCount)> sent_{};
  std::deque<std::string> trace_;
};

}  // namespace synod::testkit
