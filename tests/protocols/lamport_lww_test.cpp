// The last-writer-wins store ordered by Lamport timestamps (protocols/lamport/lww_node.hpp) over
// an in-memory network: convergence of concurrent writes in any delivery order, anti-entropy
// after lost updates, client dedup, and the anomalies that make it not linearizable (a stale read
// across a partition, a local cas, a later write lost to a replica whose clock runs ahead).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "protocols/common/message.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/lamport/lww_messages.hpp"
#include "protocols/lamport/lww_node.hpp"
#include "tests/protocols/cluster_harness.hpp"
#include "tests/protocols/test_fixtures.hpp"

namespace synod::lamport {
namespace {

constexpr Nanos kMs = kNanosPerMilli;
using testkit::kClient;

// Commands here name their key before the value, as the tests read best.
Command cmd(int64_t client, uint64_t seq, OpType type, std::string key, int64_t value = 0,
            int64_t expected = 0) {
  return testkit::cmd(client, seq, type, value, expected, std::move(key));
}

using Net = testkit::ClusterHarness<LwwNode>;

// Replicas on the harness's network with random delays (so reordering), optional loss and
// duplication, and partitions. Client commands are handed to a replica directly; its reply is
// returned.
class LwwCluster {
 public:
  LwwCluster(int n, uint64_t seed, LwwConfig config = {})
      : net(n, seed, "net", [config](const testkit::Boot<testkit::NoStorage>& b) {
          return std::make_unique<LwwNode>(b.id, b.cluster_size, config, b.rng("lww"));
        }) {
    net.links.latency_min = 1 * kMs;
    net.links.latency_max = 20 * kMs;
    net.start_all();
  }

  LwwNode& node(NodeId i) { return net.node(i); }

  ClientResult command(NodeId at, const Command& c) {
    const Outbox out = net.inject(kClient, at, ClientRequest(c));
    std::optional<ClientResult> result;
    for (const auto& s : out.messages) {
      if (s.to == kClient) result = static_cast<const ClientReply&>(*s.message).result;
    }
    EXPECT_TRUE(result.has_value()) << "no reply from n" << at;
    return result.value_or(ClientResult{ReplyStatus::Fail, std::nullopt});
  }

  // Delivers every message in flight, in random order (timers do not fire).
  void deliver_all() { net.deliver_all_shuffled(); }
  // Runs messages (by delivery time) and anti-entropy timers until `end`.
  void run_until(Nanos end) { net.run_until(end); }
  bool converged() const { return net.converged(); }
  int64_t updates_sent() const { return net.sent(MsgKind::LwwUpdate); }

  Net net;  // links and partitions are the tests' to set
};

LwwConfig no_anti_entropy() {
  LwwConfig c;
  c.anti_entropy_interval = 0;
  return c;
}

TEST(LamportLww, WriteIsStampedAppliedAndBroadcast) {
  LwwNode n(1, 3, no_anti_entropy(), Rng(1));
  Outbox out;
  n.start(0, out);
  n.on_message(0, kClient, ClientRequest(cmd(7, 1, OpType::Write, "x", 42)), out);
  ASSERT_EQ(out.messages.size(), 3u);  // the reply and an update to each peer
  int updates = 0;
  for (const auto& s : out.messages) {
    if (s.message->kind() != MsgKind::LwwUpdate) continue;
    ++updates;
    const auto& u = static_cast<const LwwUpdate&>(*s.message);
    ASSERT_EQ(u.entries.size(), 1u);
    EXPECT_EQ(u.entries[0].version.stamp, (Stamp{1, 1}));
    EXPECT_EQ(u.entries[0].version.value, 42);
    EXPECT_EQ(u.timestamp, 1);
  }
  EXPECT_EQ(updates, 2);
  EXPECT_EQ(n.get("x"), 42);
  EXPECT_EQ(n.state_digest(), "x=42@1.n1");
  EXPECT_TRUE(n.check_invariants().empty());
}

// Concurrent writes to one key at every replica, delivered in any order (with duplicates): all
// replicas end with the write of the largest (timestamp, node id).
TEST(LamportLww, ConcurrentWritesConvergeToLargestStamp) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    LwwCluster c(3, seed, no_anti_entropy());
    c.net.links.duplicate = 0.3;
    // Give the replicas different clocks first: n0 writes another key a few times.
    const int warmup = static_cast<int>(seed % 4);
    for (int k = 0; k < warmup; ++k) c.command(0, cmd(9, 1 + k, OpType::Write, "other", k));
    c.deliver_all();
    // Now each replica accepts a write to x before hearing of the others.
    Stamp best;
    int64_t best_value = 0;
    for (NodeId i = 0; i < 3; ++i) {
      const int64_t value = 100 + i;
      EXPECT_EQ(c.command(i, cmd(i + 1, 1, OpType::Write, "x", value)).status, ReplyStatus::Ok);
      const Stamp s = c.node(i).state().at("x").stamp;
      if (best < s) {
        best = s;
        best_value = value;
      }
    }
    c.deliver_all();
    ASSERT_TRUE(c.converged()) << "seed " << seed;
    for (NodeId i = 0; i < 3; ++i) {
      EXPECT_EQ(c.node(i).get("x"), best_value);
      EXPECT_EQ(c.node(i).state().at("x").stamp, best);
    }
  }
}

// Updates lost on the way to n2 (and n2's own write lost on its way out) are repaired by
// anti-entropy, in both directions.
TEST(LamportLww, AntiEntropyRepairsMissedUpdates) {
  LwwCluster c(3, 4);
  c.net.partition({2});
  c.command(0, cmd(1, 1, OpType::Write, "a", 1));
  c.command(1, cmd(2, 1, OpType::Write, "b", 2));
  c.command(2, cmd(3, 1, OpType::Write, "c", 3));
  c.run_until(50 * kMs);
  EXPECT_FALSE(c.node(2).get("a").has_value());
  EXPECT_FALSE(c.node(0).get("c").has_value());
  c.net.heal();  // no new writes: only anti-entropy can repair
  c.run_until(2 * kNanosPerSecond);
  EXPECT_TRUE(c.converged());
  for (NodeId i = 0; i < 3; ++i) EXPECT_EQ(c.node(i).state_digest(), "a=1@1.n0 b=2@1.n1 c=3@1.n2");
}

// Random loss, duplication and reordering under a write load, then a quiet period: replicas
// converge, and their every step passes check_invariants().
TEST(LamportLww, ConvergesAfterLossyLoad) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    LwwCluster c(5, seed);
    c.net.links.drop = 0.2;
    c.net.links.duplicate = 0.1;
    Rng load = Rng::stream(seed, "load");
    uint64_t seq = 0;
    for (Nanos t = 0; t < 500 * kMs; t += 2 * kMs) {
      c.run_until(t);
      const NodeId at = static_cast<NodeId>(load.below(5));
      const std::string key = fmt::format("k{}", load.below(8));
      ++seq;
      const OpType type = load.chance(0.5) ? OpType::Write : OpType::Read;
      c.command(at, cmd(1, seq, type, key, static_cast<int64_t>(seq)));
    }
    c.net.links.drop = 0;
    c.run_until(3 * kNanosPerSecond);
    EXPECT_TRUE(c.converged()) << "seed " << seed;
    EXPECT_FALSE(c.node(0).state().empty());
  }
}

// Across a partition a replica answers reads from its own copy: after n0 acknowledged x=5, a read
// at n1 still returns null. Not linearizable; once healed, n1 catches up.
TEST(LamportLww, StaleReadAcrossPartition) {
  LwwCluster c(3, 2);
  c.command(0, cmd(1, 1, OpType::Write, "x", 1));
  c.run_until(100 * kMs);
  ASSERT_TRUE(c.converged());
  c.net.partition({0});  // {n0} | {n1, n2}
  EXPECT_EQ(c.command(0, cmd(1, 2, OpType::Write, "x", 5)).status, ReplyStatus::Ok);
  c.run_until(300 * kMs);
  const ClientResult stale = c.command(1, cmd(2, 1, OpType::Read, "x"));
  EXPECT_EQ(stale.status, ReplyStatus::Ok);
  EXPECT_EQ(stale.value, 1) << "the acknowledged write of 5 is not visible at n1";
  c.net.heal();
  c.run_until(2 * kNanosPerSecond);
  EXPECT_EQ(c.command(1, cmd(2, 2, OpType::Read, "x")).value, 5);
}

// Lamport order is not real time: a write acknowledged later, at a replica whose clock lags,
// is stamped below an earlier write and loses the merge.
TEST(LamportLww, LaterWriteAtLaggingReplicaLoses) {
  LwwCluster c(2, 3, no_anti_entropy());
  // n0's clock runs ahead: five writes whose updates have not reached n1 yet.
  for (uint64_t k = 1; k <= 5; ++k) c.command(0, cmd(1, k, OpType::Write, "y", 10));
  EXPECT_EQ(c.command(0, cmd(1, 6, OpType::Write, "x", 1)).status, ReplyStatus::Ok);  // (6, n0)
  EXPECT_EQ(c.command(1, cmd(2, 1, OpType::Write, "x", 2)).status, ReplyStatus::Ok);  // (1, n1)
  c.deliver_all();
  ASSERT_TRUE(c.converged());
  EXPECT_EQ(c.node(1).get("x"), 1) << "the write acknowledged last is gone everywhere";
  EXPECT_EQ(c.node(1).state().at("x").stamp, (Stamp{6, 0}));
}

// A retried write is answered from the session table: no second stamp, no second broadcast,
// at the replica that applied it and at one that merged it.
TEST(LamportLww, RetriedWriteIsNotAppliedTwice) {
  LwwCluster c(3, 5, no_anti_entropy());
  c.command(0, cmd(4, 1, OpType::Write, "x", 7));
  c.deliver_all();
  const Stamp first = c.node(0).state().at("x").stamp;
  const int64_t sent = c.updates_sent();
  EXPECT_EQ(c.command(0, cmd(4, 1, OpType::Write, "x", 7)).status, ReplyStatus::Ok);  // same node
  EXPECT_EQ(c.command(1, cmd(4, 1, OpType::Write, "x", 7)).status, ReplyStatus::Ok);  // another
  c.deliver_all();
  EXPECT_EQ(c.updates_sent(), sent);
  for (NodeId i = 0; i < 3; ++i) EXPECT_EQ(c.node(i).state().at("x").stamp, first);
  // A new command of the client is executed normally.
  c.command(1, cmd(4, 2, OpType::Write, "x", 8));
  EXPECT_GT(c.updates_sent(), sent);
}

// cas compares against the local copy only: two replicas both accept a cas from the same
// expected value, and the merge keeps one of the two new values.
TEST(LamportLww, CasIsNotAtomicAcrossReplicas) {
  LwwCluster c(2, 6, no_anti_entropy());
  c.command(0, cmd(1, 1, OpType::Write, "x", 1));
  c.deliver_all();
  EXPECT_EQ(c.command(0, cmd(2, 1, OpType::Cas, "x", 10, 1)).status, ReplyStatus::Ok);
  EXPECT_EQ(c.command(1, cmd(3, 1, OpType::Cas, "x", 20, 1)).status, ReplyStatus::Ok);
  c.deliver_all();
  ASSERT_TRUE(c.converged());
  const int64_t survivor = c.node(0).get("x").value_or(0);
  EXPECT_TRUE(survivor == 10 || survivor == 20);
  // A cas on a value not held fails and changes nothing.
  EXPECT_EQ(c.command(0, cmd(2, 2, OpType::Cas, "x", 99, 1)).status, ReplyStatus::Fail);
  EXPECT_EQ(c.command(0, cmd(2, 3, OpType::Cas, "nokey", 99, 0)).status, ReplyStatus::Fail);
  EXPECT_EQ(c.node(0).get("x"), survivor);
}

}  // namespace
}  // namespace synod::lamport
