// Lamport's mutual exclusion (1978, the resource-allocation algorithm, rules 1-5) over an
// in-memory network: randomized fault-free runs with heavy reordering, hand-ordered deliveries
// that break FIFO, duplication, loss and a crash. Every step checks each node's own invariants;
// the cluster-wide checks are the ones the analysis makes from events:
//   - mutual exclusion: never two nodes in the critical section at once;
//   - grants in request order: CsEnter events come in increasing (timestamp, node);
//   - cost: 3(N-1) messages per entry without faults.
// A failure prints the seed.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/lamport/mutex_messages.hpp"
#include "protocols/lamport/mutex_node.hpp"

namespace synod::lamport {
namespace {

constexpr Nanos kMs = kNanosPerMilli;

struct NetFaults {
  double drop = 0;
  double duplicate = 0;
  Nanos latency_min = 1 * kMs;
  Nanos latency_max = 30 * kMs;  // jitter far above the hold time: channels reorder constantly
};

// A cluster of MutexNodes and a network that delivers each message after a random delay, so
// messages on one channel overtake each other. Time advances event by event.
class MutexCluster {
 public:
  MutexCluster(int n, uint64_t seed, MutexConfig config, NetFaults faults = {})
      : n_(n), seed_(seed), config_(config), faults_(faults), rng_(Rng::stream(seed, "net")) {
    for (NodeId i = 0; i < n_; ++i) {
      nodes_.push_back(make_node(i, 0));
      alive_.push_back(true);
    }
    for (NodeId i = 0; i < n_; ++i) {
      Outbox out;
      nodes_[static_cast<size_t>(i)]->start(0, out);
      handle(i, out);
    }
  }

  void run_until(Nanos end) {
    while (!::testing::Test::HasFailure()) {
      Nanos t = kNever;
      for (NodeId i = 0; i < n_; ++i) {
        if (alive_[static_cast<size_t>(i)]) t = std::min(t, node(i).next_timer());
      }
      auto next_msg = std::min_element(flight_.begin(), flight_.end(),
                                       [](const auto& a, const auto& b) { return a.at < b.at; });
      const bool message_first = next_msg != flight_.end() && next_msg->at <= t;
      if (message_first) t = next_msg->at;
      if (t > end || t == kNever) break;
      now_ = t;
      if (message_first) {
        InFlight m = *next_msg;
        flight_.erase(next_msg);
        if (!alive_[static_cast<size_t>(m.to)]) continue;  // a dead node's messages vanish
        Outbox out;
        node(m.to).on_message(now_, m.from, *m.message, out);
        handle(m.to, out);
      } else {
        for (NodeId i = 0; i < n_; ++i) {
          if (!alive_[static_cast<size_t>(i)] || node(i).next_timer() > now_) continue;
          Outbox out;
          node(i).on_timer(now_, out);
          handle(i, out);
          break;
        }
      }
    }
  }

  void crash(NodeId i) {
    alive_[static_cast<size_t>(i)] = false;
    if (in_cs_ == i) in_cs_ = kNoNode;  // its critical section ends with it
  }

  void restart(NodeId i) {
    nodes_[static_cast<size_t>(i)] = make_node(i, ++incarnations_);
    alive_[static_cast<size_t>(i)] = true;
    Outbox out;
    node(i).start(now_, out);
    handle(i, out);
  }

  MutexNode& node(NodeId i) { return *nodes_[static_cast<size_t>(i)]; }
  Nanos now() const { return now_; }
  int64_t mutex_messages() const { return mutex_messages_; }
  int64_t requests() const { return requests_; }
  int64_t entries() const { return static_cast<int64_t>(grants_.size()); }
  const std::vector<std::pair<int64_t, NodeId>>& grants() const { return grants_; }
  const std::vector<Nanos>& grant_times() const { return grant_times_; }
  const std::vector<Nanos>& request_times() const { return request_times_; }
  std::string where() const { return fmt::format("seed={} t={}ms", seed_, now_ / kMs); }

 private:
  struct InFlight {
    Nanos at;
    NodeId from;
    NodeId to;
    MessagePtr message;
  };

  std::unique_ptr<MutexNode> make_node(NodeId i, uint64_t incarnation) const {
    return std::make_unique<MutexNode>(
        i, n_, config_, Rng::stream(seed_, "mutex", static_cast<uint64_t>(i) * 1000 + incarnation));
  }

  void handle(NodeId from, const Outbox& out) {
    for (const std::string& line : node(from).check_invariants()) {
      ADD_FAILURE() << where() << " " << line;
    }
    for (const ProtocolEvent& e : out.events) on_event(from, e);
    for (const Outbox::Send& s : out.messages) {
      ++mutex_messages_;
      if (rng_.chance(faults_.drop)) continue;
      const int copies = rng_.chance(faults_.duplicate) ? 2 : 1;
      for (int c = 0; c < copies; ++c) {
        const Nanos delay = rng_.between(faults_.latency_min, faults_.latency_max);
        flight_.push_back({now_ + delay, from, s.to, s.message});
      }
    }
  }

  void on_event(NodeId from, const ProtocolEvent& e) {
    switch (e.type) {
      case EventType::CsRequest:
        ++requests_;
        request_times_.push_back(now_);
        return;
      case EventType::CsEnter:
        EXPECT_EQ(in_cs_, kNoNode)
            << where() << ": n" << from << " enters while n" << in_cs_ << " is inside";
        in_cs_ = from;
        if (!grants_.empty()) {
          EXPECT_LT(grants_.back(), std::make_pair(e.term, from))
              << where() << ": grant out of timestamp order";
        }
        grants_.emplace_back(e.term, from);
        grant_times_.push_back(now_);
        return;
      case EventType::CsExit:
        EXPECT_EQ(in_cs_, from) << where();
        in_cs_ = kNoNode;
        return;
      default: return;
    }
  }

  const int n_;
  const uint64_t seed_;
  const MutexConfig config_;
  const NetFaults faults_;
  Rng rng_;
  std::vector<std::unique_ptr<MutexNode>> nodes_;
  std::vector<bool> alive_;
  uint64_t incarnations_ = 0;
  std::vector<InFlight> flight_;
  Nanos now_ = 0;
  NodeId in_cs_ = kNoNode;
  int64_t mutex_messages_ = 0;
  int64_t requests_ = 0;
  std::vector<std::pair<int64_t, NodeId>> grants_;
  std::vector<Nanos> grant_times_;
  std::vector<Nanos> request_times_;
};

MutexConfig busy_config(Nanos stop) {
  MutexConfig c;
  c.request_rate_per_s = 20;  // think 50ms on average: often several requests compete
  c.hold = 5 * kMs;
  c.stop = stop;
  return c;
}

// Safety, request order, liveness and the exact cost of 3(N-1) messages per entry, when the
// network only reorders (1978: rules 1-5 and the FIFO assumption, restored by FifoInbox).
void fault_free_run(int n, uint64_t seed) {
  MutexCluster c(n, seed, busy_config(1 * kNanosPerSecond));
  c.run_until(kNever);  // requests stop at 1s; run until everything has drained
  SCOPED_TRACE(c.where());
  EXPECT_GT(c.requests(), 10);
  EXPECT_EQ(c.entries(), c.requests()) << "every request is granted";
  EXPECT_EQ(c.mutex_messages(), 3 * (n - 1) * c.entries());
  for (NodeId i = 0; i < n; ++i) EXPECT_EQ(c.node(i).state(), MutexNode::State::Idle);
}

TEST(LamportMutex, ThreeNodesFaultFreeManySeeds) {
  for (uint64_t seed = 1; seed <= 60 && !::testing::Test::HasFailure(); ++seed) {
    fault_free_run(3, seed);
  }
}

TEST(LamportMutex, FiveNodesFaultFree) {
  for (uint64_t seed = 1; seed <= 10 && !::testing::Test::HasFailure(); ++seed) {
    fault_free_run(5, seed);
  }
}

// Duplicated messages are discarded by sequence number: still safe, live, and 3(N-1) sends.
TEST(LamportMutex, DuplicatesAreDiscarded) {
  for (uint64_t seed = 1; seed <= 20 && !::testing::Test::HasFailure(); ++seed) {
    NetFaults f;
    f.duplicate = 0.2;
    MutexCluster c(3, seed, busy_config(1 * kNanosPerSecond), f);
    c.run_until(kNever);
    SCOPED_TRACE(c.where());
    EXPECT_EQ(c.entries(), c.requests());
    EXPECT_EQ(c.mutex_messages(), 3 * 2 * c.entries());
  }
}

// Loss: the channel behind a gap delivers nothing more. Never two in the critical section, grants
// still in order; the cluster blocks (no retransmission: the 1978 algorithm assumes none is
// needed).
TEST(LamportMutex, LossBlocksButNeverViolates) {
  int blocked_runs = 0;
  for (uint64_t seed = 1; seed <= 30 && !::testing::Test::HasFailure(); ++seed) {
    NetFaults f;
    f.drop = 0.05;
    f.duplicate = 0.05;
    MutexCluster c(3, seed, busy_config(2 * kNanosPerSecond), f);
    c.run_until(kNever);
    blocked_runs += c.entries() < c.requests();
  }
  EXPECT_GT(blocked_runs, 20) << "with 5% loss over hundreds of messages, runs should block";
}

// A crash: the dead node never acks again, so no request made after the crash is granted. The
// dead node's restart (a new incarnation, fresh state, new channel epoch) does not unblock it.
TEST(LamportMutex, CrashedNodeBlocksTheOthers) {
  for (uint64_t seed = 1; seed <= 20 && !::testing::Test::HasFailure(); ++seed) {
    MutexCluster c(3, seed, busy_config(kNever));
    const Nanos crash_at = 300 * kMs;
    c.run_until(crash_at);
    SCOPED_TRACE(c.where());
    const int64_t granted_before = c.entries();
    EXPECT_GT(granted_before, 0);
    c.crash(2);
    c.run_until(crash_at + 500 * kMs);
    c.restart(2);
    c.run_until(crash_at + 1500 * kMs);
    // Nothing is granted to the restarted node, and the survivors end up waiting for good: each
    // makes a request that needs n2's ack sooner or later (a request already acked by n2 before
    // the crash may still be granted).
    for (size_t k = 0; k < c.grants().size(); ++k) {
      if (c.grant_times()[k] > crash_at) {
        EXPECT_NE(c.grants()[k].second, 2);
      }
    }
    EXPECT_LE(c.entries() - granted_before, 2);
    EXPECT_EQ(c.node(0).state(), MutexNode::State::Waiting);
    EXPECT_EQ(c.node(1).state(), MutexNode::State::Waiting);
    EXPECT_EQ(c.node(2).entries(), 0) << "the new incarnation never enters";
  }
}

// --- Hand-ordered deliveries ----------------------------------------------------------------

// A network the test drives message by message.
class HandNet {
 public:
  explicit HandNet(int n) {
    MutexConfig quiet;
    quiet.request_rate_per_s = 0;  // nodes request only when the test says so
    quiet.hold = 1 * kMs;
    for (NodeId i = 0; i < n; ++i) {
      nodes_.push_back(std::make_unique<MutexNode>(i, n, quiet, Rng::stream(9, "hand", i)));
      Outbox out;
      nodes_.back()->start(0, out);
      take(i, out);
    }
  }

  MutexNode& node(NodeId i) { return *nodes_[static_cast<size_t>(i)]; }

  void request(NodeId i) {
    Outbox out;
    node(i).request_now(now_, out);
    take(i, out);
  }

  // Advances time to the node's exit and lets it release.
  void release(NodeId i) {
    ASSERT_TRUE(node(i).in_cs());
    now_ = node(i).next_timer();
    Outbox out;
    node(i).on_timer(now_, out);
    take(i, out);
  }

  // Delivers the k-th pending message of `kind` from `from` to `to` (k = 0: the oldest) and
  // returns a copy of it, so a test can deliver it again.
  MessagePtr deliver(NodeId from, NodeId to, MsgKind kind, int k = 0) {
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->from != from || it->to != to || it->message->kind() != kind || k-- > 0) continue;
      MessagePtr m = it->message;
      pending_.erase(it);
      redeliver(from, to, m);
      return m;
    }
    ADD_FAILURE() << "no " << message_kind_name(kind) << " pending from n" << from << " to n" << to;
    return nullptr;
  }

  void redeliver(NodeId from, NodeId to, const MessagePtr& m) {
    Outbox out;
    node(to).on_message(now_, from, *m, out);
    take(to, out);
  }

  // Delivers everything pending, oldest first, until nothing is left.
  void drain() {
    while (!pending_.empty()) {
      Pending p = pending_.front();
      pending_.erase(pending_.begin());
      redeliver(p.from, p.to, p.message);
    }
  }

  std::vector<NodeId> entered;  // CsEnter, in order

 private:
  struct Pending {
    NodeId from;
    NodeId to;
    MessagePtr message;
  };

  void take(NodeId from, const Outbox& out) {
    for (const std::string& line : node(from).check_invariants()) ADD_FAILURE() << line;
    for (const auto& s : out.messages) pending_.push_back({from, s.to, s.message});
    for (const auto& e : out.events) {
      if (e.type == EventType::CsEnter) entered.push_back(from);
    }
  }

  std::vector<std::unique_ptr<MutexNode>> nodes_;
  std::vector<Pending> pending_;
  Nanos now_ = 0;
};

std::vector<QueuedRequest> q(std::initializer_list<QueuedRequest> l) { return l; }

// A Release overtaken by the sender's next Request: without FIFO the receiver would queue the new
// request while the old one is still there, and rule 4 would then remove the wrong one. The
// inbox holds the Request until the Release has been applied.
TEST(LamportMutex, RequestOvertakingReleaseIsHeld) {
  HandNet net(2);
  net.request(1);                              // ts=1, seq 1 on n1 -> n0
  net.deliver(1, 0, MsgKind::LamportRequest);  // n0 queues (1, n1), acks
  net.deliver(0, 1, MsgKind::LamportAck);
  ASSERT_TRUE(net.node(1).in_cs());
  net.release(1);  // Release, seq 2
  net.request(1);  // next Request, seq 3
  const int64_t second_ts = net.node(1).queue().front().timestamp;
  net.deliver(1, 0, MsgKind::LamportRequest);  // seq 3 arrives first: held
  EXPECT_EQ(net.node(0).queue(), q({{1, 1}}));
  EXPECT_EQ(net.node(0).inbox().held(1), 1u);
  const MessagePtr release = net.deliver(1, 0, MsgKind::LamportRelease);  // seq 2, then 3
  EXPECT_EQ(net.node(0).queue(), q({{second_ts, 1}}));
  EXPECT_EQ(net.node(0).inbox().held(1), 0u);
  // A duplicate of the old Release changes nothing.
  net.redeliver(1, 0, release);
  EXPECT_EQ(net.node(0).queue(), q({{second_ts, 1}}));
}

// An Ack that overtakes the same sender's earlier Request with a smaller timestamp. Counted at
// once, it would satisfy rule 5(ii) at n0 while n1's earlier request is unknown there: n0 would
// enter, and later n1 too (its request is first in the total order). Held until the Request
// arrives, it lets n1 go first, as the total order says.
TEST(LamportMutex, AckOvertakingEarlierRequestDoesNotGrantEntry) {
  HandNet net(3);
  // n2 takes a turn first, which moves n0's clock ahead of n1's.
  net.request(2);                              // n2: ts=1
  net.deliver(2, 0, MsgKind::LamportRequest);  // n0: clock 2, Ack ts=3
  net.deliver(2, 1, MsgKind::LamportRequest);  // n1: clock 2, Ack ts=3
  net.deliver(0, 2, MsgKind::LamportAck);
  net.deliver(1, 2, MsgKind::LamportAck);
  ASSERT_TRUE(net.node(2).in_cs());
  net.release(2);                              // Release ts=6
  net.deliver(2, 0, MsgKind::LamportRelease);  // n0: clock 7; n1 has not seen it yet
  net.request(0);                              // n0: ts=8
  net.request(1);                              // n1: ts=4, seq 1 on n1 -> n0
  EXPECT_EQ(net.node(0).queue(), q({{8, 0}}));
  EXPECT_EQ(net.node(1).queue(), q({{1, 2}, {4, 1}}));  // n2's Release is still on its way
  net.deliver(0, 1, MsgKind::LamportRequest);           // n1: Ack ts=10 > 8, seq 2 on n1 -> n0
  net.deliver(0, 2, MsgKind::LamportRequest);           // n2: Ack ts=10
  net.deliver(2, 0, MsgKind::LamportAck);               // n0 has a later message from n2
  net.deliver(1, 0, MsgKind::LamportAck);               // overtakes n1's Request: held
  EXPECT_FALSE(net.node(0).in_cs());
  EXPECT_EQ(net.node(0).inbox().held(1), 1u);
  EXPECT_EQ(net.node(0).last_timestamp_from(1), 0);
  net.deliver(1, 0, MsgKind::LamportRequest);  // now both, in order
  EXPECT_EQ(net.node(0).queue(), q({{4, 1}, {8, 0}}));
  EXPECT_FALSE(net.node(0).in_cs());
  net.drain();
  EXPECT_TRUE(net.node(1).in_cs());
  EXPECT_FALSE(net.node(0).in_cs());
  net.release(1);
  net.drain();
  EXPECT_TRUE(net.node(0).in_cs());
  EXPECT_EQ(net.entered, (std::vector<NodeId>{2, 1, 0}));
}

TEST(LamportMutex, SingleNodeEntersAtOnce) {
  HandNet net(1);
  net.request(0);
  EXPECT_TRUE(net.node(0).in_cs());
  net.release(0);
  EXPECT_EQ(net.node(0).state(), MutexNode::State::Idle);
  EXPECT_TRUE(net.node(0).queue().empty());
}

// No clients: a command is answered NotLeader with no hint, so the client tries elsewhere.
TEST(LamportMutex, ClientRequestIsRefused) {
  MutexNode node(0, 3, MutexConfig{}, Rng(1));
  Outbox out;
  node.start(0, out);
  out.clear();
  Command c;
  c.client = 4;
  c.seq = 7;
  node.on_message(0, 100, ClientRequest(c), out);
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(out.messages[0].to, 100);
  const auto& reply = static_cast<const ClientReply&>(*out.messages[0].message);
  EXPECT_EQ(reply.result.status, ReplyStatus::NotLeader);
  EXPECT_EQ(reply.leader_hint, kNoNode);
  EXPECT_EQ(reply.seq, 7u);
}

// Requests follow the configured window: none before start, none at or after stop.
TEST(LamportMutex, RequestsStayInsideTheWindow) {
  MutexConfig cfg = busy_config(800 * kMs);
  cfg.start = 300 * kMs;
  MutexCluster c(3, 5, cfg);
  c.run_until(kNever);
  ASSERT_GT(c.requests(), 0);
  for (Nanos t : c.request_times()) {
    EXPECT_GE(t, 300 * kMs);
    EXPECT_LT(t, 800 * kMs);
  }
}

}  // namespace
}  // namespace synod::lamport
