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

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/common/node.hpp"
#include "protocols/lamport/mutex_messages.hpp"
#include "protocols/lamport/mutex_node.hpp"
#include "tests/protocols/cluster_harness.hpp"

namespace synod::lamport {
namespace {

constexpr Nanos kMs = kNanosPerMilli;

struct NetFaults {
  double drop = 0;
  double duplicate = 0;
  Nanos latency_min = 1 * kMs;
  Nanos latency_max = 30 * kMs;  // jitter far above the hold time: channels reorder constantly
};

using Net = testkit::ClusterHarness<MutexNode>;

// A cluster of MutexNodes and a network that delivers each message after a random delay, so
// messages on one channel overtake each other. Time advances event by event.
class MutexCluster {
 public:
  MutexCluster(int n, uint64_t seed, MutexConfig config, NetFaults faults = {})
      : net_(n, seed, "net", [config](const testkit::Boot<testkit::NoStorage>& b) {
          return std::make_unique<MutexNode>(b.id, b.cluster_size, config, b.rng("mutex"));
        }) {
    net_.links.latency_min = faults.latency_min;
    net_.links.latency_max = faults.latency_max;
    net_.links.drop = faults.drop;
    net_.links.duplicate = faults.duplicate;
    net_.on_step = [this](NodeId i, const Outbox& out) {
      mutex_messages_ += static_cast<int64_t>(out.messages.size());
      for (const ProtocolEvent& e : out.events) on_event(i, e);
    };
    net_.start_all();
  }

  void run_until(Nanos end) { net_.run_until(end); }

  void crash(NodeId i) {
    net_.crash(i);
    if (in_cs_ == i) in_cs_ = kNoNode;  // its critical section ends with it
  }
  void restart(NodeId i) { net_.restart(i); }

  MutexNode& node(NodeId i) { return net_.node(i); }
  Nanos now() const { return net_.now(); }
  int64_t mutex_messages() const { return mutex_messages_; }
  int64_t requests() const { return requests_; }
  int64_t entries() const { return static_cast<int64_t>(grants_.size()); }
  const std::vector<std::pair<int64_t, NodeId>>& grants() const { return grants_; }
  const std::vector<Nanos>& grant_times() const { return grant_times_; }
  const std::vector<Nanos>& request_times() const { return request_times_; }
  std::string where() const { return fmt::format("seed={} t={}ms", net_.seed(), now() / kMs); }

 private:
  void on_event(NodeId from, const ProtocolEvent& e) {
    switch (e.type) {
      case EventType::CsRequest:
        ++requests_;
        request_times_.push_back(now());
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
        grant_times_.push_back(now());
        return;
      case EventType::CsExit:
        EXPECT_EQ(in_cs_, from) << where();
        in_cs_ = kNoNode;
        return;
      default: return;
    }
  }

  Net net_;
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

// A network the test drives message by message: the harness holds every message until the test
// delivers it.
class HandNet {
 public:
  explicit HandNet(int n)
      : net_(n, 9, "hand-net", [](const testkit::Boot<testkit::NoStorage>& b) {
          MutexConfig quiet;
          quiet.request_rate_per_s = 0;  // nodes request only when the test says so
          quiet.hold = 1 * kMs;
          return std::make_unique<MutexNode>(b.id, b.cluster_size, quiet, b.rng("hand"));
        }) {
    net_.links.hold = true;
    net_.on_step = [this](NodeId i, const Outbox& out) {
      for (const auto& e : out.events) {
        if (e.type == EventType::CsEnter) entered.push_back(i);
      }
    };
    net_.start_all();
  }

  MutexNode& node(NodeId i) { return net_.node(i); }

  void request(NodeId i) {
    net_.input(i, [&](MutexNode& n, Outbox& out) { n.request_now(net_.now(), out); });
  }

  // Advances time to the node's exit and lets it release.
  void release(NodeId i) {
    ASSERT_TRUE(node(i).in_cs());
    net_.fire_timer(i);
  }

  // Delivers the k-th pending message of `kind` from `from` to `to` (k = 0: the oldest) and
  // returns a copy of it, so a test can deliver it again.
  MessagePtr deliver(NodeId from, NodeId to, MsgKind kind, int k = 0) {
    MessagePtr m = net_.deliver_next([&](const Net::InFlight& f) {
      return f.from == from && f.to == to && f.message->kind() == kind && k-- == 0;
    });
    if (!m) {
      ADD_FAILURE() << "no " << message_kind_name(kind) << " pending from n" << from << " to n"
                    << to;
    }
    return m;
  }

  void redeliver(NodeId from, NodeId to, const MessagePtr& m) { net_.inject(from, to, *m); }

  // Delivers everything pending, oldest first, until nothing is left.
  void drain() {
    while (net_.deliver_next([](const Net::InFlight&) { return true; })) {
    }
  }

  std::vector<NodeId> entered;  // CsEnter, in order

 private:
  Net net_;
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
