// Shared fixtures for the Paxos and Multi-Paxos tests: message builders, one node driven by hand
// (TestNode), and a small deterministic in-memory network (Sim) with per-message latency, drops,
// duplicates and crash/restart over the same Storage. Every step checks the nodes' own
// invariants, so each test also exercises check_invariants() on the paths it walks.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/paxos/messages.hpp"
#include "protocols/paxos/multipaxos_node.hpp"
#include "protocols/paxos/paxos_node.hpp"

namespace synod::paxos::testing {

constexpr Address kClient = 100;  // a client address (anything outside 0..cluster_size-1)
constexpr Nanos kMs = kNanosPerMilli;

inline Command cmd(int64_t client, uint64_t seq, OpType type = OpType::Write, int64_t value = 0,
                   int64_t expected = 0, std::string key = "x") {
  Command c;
  c.client = client;
  c.seq = seq;
  c.type = type;
  c.key = std::move(key);
  c.value = value;
  c.expected = expected;
  return c;
}
inline Value val(Command c) { return Value::of(std::move(c)); }
inline Value noop() { return Value{}; }

inline MessagePtr prepare(Ballot b, int64_t slot, bool all_from = false) {
  auto m = std::make_shared<Prepare>();
  m->ballot = b;
  m->slot = slot;
  m->all_from = all_from;
  return m;
}
inline MessagePtr promise(Ballot b, int64_t slot, std::vector<AcceptedSlot> accepted = {},
                          bool all_from = false) {
  auto m = std::make_shared<Promise>();
  m->ballot = b;
  m->slot = slot;
  m->all_from = all_from;
  m->ok = true;
  m->accepted = std::move(accepted);
  return m;
}
inline MessagePtr promise_refused(Ballot b, int64_t slot, Ballot promised, bool all_from = false) {
  auto m = std::make_shared<Promise>();
  m->ballot = b;
  m->slot = slot;
  m->all_from = all_from;
  m->ok = false;
  m->promised = promised;
  return m;
}
inline MessagePtr accept(Ballot b, int64_t slot, Value v) {
  auto m = std::make_shared<Accept>();
  m->ballot = b;
  m->slot = slot;
  m->value = std::move(v);
  return m;
}
inline MessagePtr accepted(Ballot b, int64_t slot, bool ok = true, Ballot promised = kNoBallot) {
  auto m = std::make_shared<Accepted>();
  m->ballot = b;
  m->slot = slot;
  m->ok = ok;
  m->promised = promised;
  return m;
}
inline MessagePtr decide(int64_t slot, Ballot b, Value v) {
  auto m = std::make_shared<Decide>();
  m->slot = slot;
  m->ballot = b;
  m->value = std::move(v);
  return m;
}
inline MessagePtr heartbeat(Ballot b, int64_t commit) {
  auto m = std::make_shared<Heartbeat>();
  m->ballot = b;
  m->commit = commit;
  return m;
}
inline MessagePtr catch_up(int64_t from) {
  auto m = std::make_shared<CatchUp>();
  m->from = from;
  return m;
}
inline MessagePtr client_request(Command c) {
  return std::make_shared<ClientRequest>(std::move(c));
}

// The messages of type M in an outbox, with their destinations.
template <class M>
std::vector<std::pair<Address, const M*>> sent(const Outbox& out) {
  std::vector<std::pair<Address, const M*>> found;
  for (const auto& s : out.messages) {
    if (auto* m = dynamic_cast<const M*>(s.message.get())) found.emplace_back(s.to, m);
  }
  return found;
}
template <class M>
const M* sent_to(const Outbox& out, Address to) {
  for (const auto& [dest, m] : sent<M>(out)) {
    if (dest == to) return m;
  }
  return nullptr;
}
inline std::vector<ProtocolEvent> events_of(const Outbox& out, EventType type) {
  std::vector<ProtocolEvent> found;
  for (const auto& e : out.events) {
    if (e.type == type) found.push_back(e);
  }
  return found;
}

// One node under test. Storage lives here, so restart() models a crash and a new incarnation.
template <class Node>
struct TestNode {
  TestNode(NodeId id_, int cluster_size_, Config config_ = {}, Storage initial = {})
      : id(id_), cluster_size(cluster_size_), config(config_), storage(std::move(initial)) {
    restart();
  }

  void restart() {
    ++incarnation;
    node = std::make_unique<Node>(id, cluster_size, config, &storage,
                                  Rng::stream(7, "paxos-test", id * 1000 + incarnation));
    out.clear();
    node->start(now, out);
    check();
  }
  const Outbox& deliver(Address from, const MessagePtr& m) {
    out.clear();
    node->on_message(now, from, *m, out);
    check();
    return out;
  }
  const Outbox& fire_timer() {
    now = std::max(now, node->next_timer());
    out.clear();
    node->on_timer(now, out);
    check();
    return out;
  }
  void check() {
    for (const std::string& line : node->check_invariants()) ADD_FAILURE() << line;
  }
  Node* operator->() { return node.get(); }

  NodeId id;
  int cluster_size;
  Config config;
  Storage storage;
  std::unique_ptr<Node> node;
  Outbox out;
  Nanos now = 0;
  uint64_t incarnation = 0;
};

// A deterministic in-memory network of n nodes. Messages arrive after latency(from, to, m)
// (default 5 ms), in send order among equal arrival times; drop(from, to, m) loses a message.
// Time advances to the next message or timer. Crashed nodes lose their in-flight messages.
template <class Node>
class Sim {
 public:
  explicit Sim(int n, Config config = {}, uint64_t seed = 1)
      : n_(n),
        config_(config),
        seed_(seed),
        storages_(static_cast<size_t>(n)),
        nodes_(static_cast<size_t>(n)),
        incarnation_(static_cast<size_t>(n), 0),
        events_(static_cast<size_t>(n)) {
    for (NodeId i = 0; i < n_; ++i) restart(i);
  }

  std::function<Nanos(Address, Address, const Message&)> latency =
      [](Address, Address, const Message&) { return 5 * kMs; };
  std::function<bool(Address, Address, const Message&)> drop = [](Address, Address,
                                                                  const Message&) { return false; };
  std::function<bool(Address, Address, const Message&)> duplicate =
      [](Address, Address, const Message&) { return false; };
  // Called after every node step with its outbox (before the messages leave).
  std::function<void(NodeId, const Outbox&)> on_step = [](NodeId, const Outbox&) {};
  // Events outside the cluster (clients' retries, faults): when the next is due, and running it.
  std::function<Nanos()> external_timer = [] { return kNever; };
  std::function<void()> on_external = [] {};

  void client_send(Address client, NodeId to, const Command& c) {
    send(client, to, client_request(c));
  }

  // Runs the next event (a message arrival or a node timer) if it is due by `until`.
  bool step(Nanos until) {
    Nanos t = wire_.empty() ? kNever : wire_.top().at;
    for (const auto& node : nodes_) {
      if (node) t = std::min(t, node->next_timer());
    }
    const Nanos external = external_timer();
    t = std::min(t, external);
    if (t > until || t == kNever) return false;
    now_ = t;
    if (!wire_.empty() && wire_.top().at == t) {
      InFlight f = wire_.top();
      wire_.pop();
      if (f.to >= n_) {
        if (f.message->kind() == MsgKind::ClientReply) {
          replies.push_back({now_, f.to, static_cast<const ClientReply&>(*f.message)});
          on_reply(replies.back());
        }
        return true;
      }
      auto& node = nodes_[static_cast<size_t>(f.to)];
      if (!node || incarnation_[static_cast<size_t>(f.to)] != f.incarnation) return true;
      Outbox out;
      node->on_message(now_, f.from, *f.message, out);
      after(f.to, out);
      return true;
    }
    for (NodeId i = 0; i < n_; ++i) {
      auto& node = nodes_[static_cast<size_t>(i)];
      if (node && node->next_timer() <= now_) {
        Outbox out;
        node->on_timer(now_, out);
        after(i, out);
        return true;
      }
    }
    if (external <= now_) on_external();
    return true;
  }
  void run_until(Nanos until) {
    while (!failed && !::testing::Test::HasFatalFailure() && step(until)) {
    }
    now_ = std::max(now_, until);
  }

  void crash(NodeId i) {
    nodes_[static_cast<size_t>(i)].reset();
    ++incarnation_[static_cast<size_t>(i)];
  }
  void restart(NodeId i) {
    const auto k = static_cast<size_t>(i);
    ++incarnation_[k];
    nodes_[k] = std::make_unique<Node>(i, n_, config_, &storages_[k],
                                       Rng::stream(seed_, "paxos-sim", k * 1000 + incarnation_[k]));
    Outbox out;
    nodes_[k]->start(now_, out);
    after(i, out);
  }

  Node& node(NodeId i) { return *nodes_[static_cast<size_t>(i)]; }
  bool alive(NodeId i) const { return nodes_[static_cast<size_t>(i)] != nullptr; }
  Storage& storage(NodeId i) { return storages_[static_cast<size_t>(i)]; }
  const std::vector<ProtocolEvent>& events(NodeId i) const {
    return events_[static_cast<size_t>(i)];
  }
  Nanos now() const { return now_; }
  int64_t sent(MsgKind k) const {
    return static_cast<int64_t>(
        std::count_if(log_.begin(), log_.end(), [k](const Sent& s) { return s.kind == k; }));
  }
  int64_t sent_by(MsgKind k, Nanos since) const {
    return static_cast<int64_t>(std::count_if(
        log_.begin(), log_.end(), [&](const Sent& s) { return s.kind == k && s.at >= since; }));
  }

  struct Reply {
    Nanos at;
    Address to;
    ClientReply reply;
  };
  std::vector<Reply> replies;
  std::function<void(const Reply&)> on_reply = [](const Reply&) {};
  bool failed = false;  // an invariant or a test's check failed: run_until stops

 private:
  struct InFlight {
    Nanos at;
    uint64_t order;
    Address from;
    Address to;
    uint64_t incarnation;
    MessagePtr message;
    bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : order > o.order; }
  };
  struct Sent {
    Nanos at;
    MsgKind kind;
  };

  void after(NodeId i, const Outbox& out) {
    on_step(i, out);
    auto& ev = events_[static_cast<size_t>(i)];
    ev.insert(ev.end(), out.events.begin(), out.events.end());
    for (const std::string& line : nodes_[static_cast<size_t>(i)]->check_invariants()) {
      ADD_FAILURE() << "at " << to_millis(now_) << "ms: " << line;
      failed = true;
    }
    for (const Outbox::Send& s : out.messages) send(i, s.to, s.message);
  }
  void send(Address from, Address to, const MessagePtr& m) {
    log_.push_back({now_, m->kind()});
    if (drop(from, to, *m)) return;
    uint64_t inc = 0;
    if (to < n_) {
      if (!nodes_[static_cast<size_t>(to)]) return;
      inc = incarnation_[static_cast<size_t>(to)];
    }
    const int copies = duplicate(from, to, *m) ? 2 : 1;
    for (int k = 0; k < copies; ++k) {
      wire_.push({now_ + latency(from, to, *m), order_++, from, to, inc, m});
    }
  }

  const int n_;
  const Config config_;
  const uint64_t seed_;
  Nanos now_ = 0;
  uint64_t order_ = 0;
  std::vector<Storage> storages_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<uint64_t> incarnation_;
  std::vector<std::vector<ProtocolEvent>> events_;
  std::vector<Sent> log_;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> wire_;
};

}  // namespace synod::paxos::testing
