// The transport (sim/network.hpp) on its own, with no SimGrid engine: delivery times, reordering
// by jitter, loss and duplication rates, partitions and one-way cuts, and crashes by incarnation.
#include "sim/engine/network.hpp"

#include <gtest/gtest.h>

namespace synod::sim {
namespace {

class Tag final : public Message {
 public:
  explicit Tag(int v) : value(v) {}
  MsgKind kind() const override { return MsgKind::Ping; }
  const char* type_name() const override { return "Ping"; }
  size_t size_bytes() const override { return 8; }
  std::string describe() const override { return "Tag"; }
  int value;
};

Network::Config config(int nodes, Nanos latency_ms) {
  Network::Config c;
  c.n_nodes = nodes;
  c.n_clients = 1;
  c.node_latency.assign(nodes * nodes, latency_ms * kNanosPerMilli);
  for (int i = 0; i < nodes; ++i) c.node_latency[i * nodes + i] = 0;
  c.client_latency = kNanosPerMilli;
  return c;
}

std::vector<std::pair<Nanos, int>> drain(Network& net, Address dst) {
  std::vector<std::pair<Nanos, int>> out;
  Envelope e;
  while (net.next_due(dst) != kNever) {
    Nanos t = net.next_due(dst);
    while (net.pop_due(dst, t, &e)) out.push_back({t, static_cast<const Tag&>(*e.message).value});
    if (net.next_due(dst) == t) break;
  }
  return out;
}

TEST(Network, DeliversAfterExactLatencyInSendOrder) {
  std::vector<Address> woken;
  Network net(config(3, 10), Rng(1), [&](Address a) { woken.push_back(a); });
  for (int i = 0; i < 4; ++i) net.send(0, 0, 1, std::make_shared<Tag>(i));
  auto got = drain(net, 1);
  ASSERT_EQ(got.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    // Unlike a SimGrid mailbox (10/20/30/40 ms), all four arrive at 10 ms.
    EXPECT_EQ(got[i].first, 10 * kNanosPerMilli);
    EXPECT_EQ(got[i].second, i);
  }
  EXPECT_EQ(woken, std::vector<Address>{1});  // woken once: later sends were not earlier
}

TEST(Network, ClientsHaveTheirOwnLatency) {
  Network net(config(3, 10), Rng(1), [](Address) {});
  net.send(0, 3, 0, std::make_shared<Tag>(1));  // client (address 3) → n1
  EXPECT_EQ(net.next_due(0), kNanosPerMilli);
}

TEST(Network, JitterReordersMessagesBetweenOnePair) {
  auto c = config(2, 5);
  c.jitter = 5 * kNanosPerMilli;
  Network net(c, Rng(3), [](Address) {});
  for (int i = 0; i < 200; ++i) net.send(i * 100 * kNanosPerMicro, 0, 1, std::make_shared<Tag>(i));
  auto got = drain(net, 1);
  ASSERT_EQ(got.size(), 200u);
  int inversions = 0;
  for (size_t i = 1; i < got.size(); ++i) {
    if (got[i].second < got[i - 1].second) inversions++;
    EXPECT_GE(got[i].first, got[i - 1].first);  // popped in delivery-time order
  }
  EXPECT_GT(inversions, 20);
}

TEST(Network, LossAndDuplicationHappenAtTheConfiguredRates) {
  auto c = config(2, 1);
  c.loss = 0.1;
  c.duplicate = 0.05;
  Network net(c, Rng(9), [](Address) {});
  const int n = 20000;
  for (int i = 0; i < n; ++i) net.send(0, 0, 1, std::make_shared<Tag>(i));
  const MessageCounters& k = net.counters()[static_cast<size_t>(MsgKind::Ping)];
  EXPECT_EQ(k.sent, static_cast<uint64_t>(n));
  EXPECT_NEAR(static_cast<double>(k.dropped_loss) / n, 0.1, 0.01);
  EXPECT_NEAR(static_cast<double>(k.duplicated) / (n - k.dropped_loss), 0.05, 0.01);
  EXPECT_EQ(drain(net, 1).size(), n - k.dropped_loss + k.duplicated);
}

TEST(Network, PartitionDropsAcrossGroupsOnlyAndClientsStayConnected) {
  Network net(config(4, 1), Rng(1), [](Address) {});
  net.set_partition({0, 0, 1, 1});
  EXPECT_TRUE(net.can_talk(0, 1));
  EXPECT_FALSE(net.can_talk(0, 2));
  EXPECT_FALSE(net.can_talk(3, 1));
  net.send(0, 0, 2, std::make_shared<Tag>(1));
  net.send(0, 4, 2, std::make_shared<Tag>(2));  // the client reaches every node
  auto got = drain(net, 2);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second, 2);
  EXPECT_EQ(net.totals().dropped_partition, 1u);
  net.heal();
  EXPECT_TRUE(net.can_talk(0, 2));
}

TEST(Network, OneWayCutBlocksOneDirection) {
  Network net(config(2, 1), Rng(1), [](Address) {});
  net.cut(0, 1);
  EXPECT_FALSE(net.can_talk(0, 1));
  EXPECT_TRUE(net.can_talk(1, 0));
}

TEST(Network, MessagesToACrashedIncarnationVanish) {
  Network net(config(2, 10), Rng(1), [](Address) {});
  net.send(0, 0, 1, std::make_shared<Tag>(1));
  net.set_up(1, false);  // crash while the message is in flight
  net.send(0, 0, 1, std::make_shared<Tag>(2));  // sent to a dead node: dropped at once
  net.set_up(1, true);   // restart before the first one was due
  net.send(0, 0, 1, std::make_shared<Tag>(3));
  auto got = drain(net, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second, 3);
  EXPECT_EQ(net.incarnation(1), 1u);
  EXPECT_EQ(net.totals().dropped_down, 2u);
}

TEST(Network, ExtraLatencyAndLossPerNode) {
  Network net(config(2, 10), Rng(1), [](Address) {});
  net.add_latency(1, 90 * kNanosPerMilli);
  net.send(0, 0, 1, std::make_shared<Tag>(1));
  EXPECT_EQ(net.next_due(1), 100 * kNanosPerMilli);
  net.set_loss(0, 1.0);
  net.send(0, 0, 1, std::make_shared<Tag>(2));
  EXPECT_EQ(net.totals().dropped_loss, 1u);
}

TEST(Network, DuplicationWindowPerNodeAndItsEnd) {
  Network net(config(3, 1), Rng(5), [](Address) {});
  net.set_duplicate(1, 0.5);  // messages to or from n2 are doubled half the time
  const int n = 4000;
  for (int i = 0; i < n; ++i) net.send(0, 0, 1, std::make_shared<Tag>(i));
  for (int i = 0; i < n; ++i) net.send(0, 0, 2, std::make_shared<Tag>(i));  // n1 -> n3: untouched
  const MessageCounters& k = net.counters()[static_cast<size_t>(MsgKind::Ping)];
  EXPECT_NEAR(static_cast<double>(k.duplicated) / n, 0.5, 0.03);
  EXPECT_EQ(drain(net, 2).size(), static_cast<size_t>(n));
  EXPECT_EQ(drain(net, 1).size(), n + k.duplicated);
  const uint64_t before = k.duplicated;
  net.heal();  // ends the window
  for (int i = 0; i < n; ++i) net.send(0, 0, 1, std::make_shared<Tag>(i));
  EXPECT_EQ(k.duplicated, before);
}

TEST(Network, ReorderWindowLetsLaterMessagesOvertakeOnlyWhileOn) {
  Network net(config(2, 5), Rng(7), [](Address) {});  // no jitter: FIFO unless reordered
  auto inversions = [&] {
    auto got = drain(net, 1);
    int inv = 0;
    Nanos latest = 0;
    for (size_t i = 1; i < got.size(); ++i) inv += got[i].second < got[i - 1].second;
    for (const auto& g : got) latest = std::max(latest, g.first);
    return std::make_pair(inv, latest);
  };
  for (int i = 0; i < 200; ++i) net.send(i * kNanosPerMilli / 10, 0, 1, std::make_shared<Tag>(i));
  EXPECT_EQ(inversions().first, 0);
  net.set_reorder(0, 20 * kNanosPerMilli);
  for (int i = 0; i < 200; ++i) net.send(i * kNanosPerMilli / 10, 0, 1, std::make_shared<Tag>(i));
  const auto [inv, latest] = inversions();
  EXPECT_GT(inv, 50);
  EXPECT_LE(latest, (199 * kNanosPerMilli / 10) + 25 * kNanosPerMilli);  // at most +spread
  net.heal();
  for (int i = 0; i < 200; ++i) net.send(i * kNanosPerMilli / 10, 0, 1, std::make_shared<Tag>(i));
  EXPECT_EQ(inversions().first, 0);
}

TEST(Network, SameSeedSameFates) {
  auto c = config(3, 2);
  c.loss = 0.3;
  c.jitter = kNanosPerMilli;
  c.duplicate = 0.2;
  auto run = [&] {
    Network net(c, Rng(77), [](Address) {});
    for (int i = 0; i < 500; ++i) net.send(i, i % 3, (i + 1) % 3, std::make_shared<Tag>(i));
    std::vector<std::pair<Nanos, int>> all;
    for (Address a = 0; a < 3; ++a)
      for (auto& x : drain(net, a)) all.push_back(x);
    return all;
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace synod::sim
