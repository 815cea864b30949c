// Logical clocks: Lamport's implementation rules IR1/IR2 (1978, "Logical Clocks") and vector
// clocks with their comparison.
#include <gtest/gtest.h>

#include "protocols/lamport/clock.hpp"

namespace synod::lamport {
namespace {

// IR1: each event (local or send) advances the clock by one.
TEST(LamportClock, TickIncrementsByOne) {
  LamportClock c;
  EXPECT_EQ(c.time(), 0);
  EXPECT_EQ(c.tick(), 1);
  EXPECT_EQ(c.tick(), 2);
  EXPECT_EQ(c.time(), 2);
}

// IR2: a receive moves the clock past both the message's timestamp and the local time.
TEST(LamportClock, ReceiveIsMaxPlusOne) {
  LamportClock c;
  c.tick();                      // 1
  EXPECT_EQ(c.receive(10), 11);  // the message is ahead
  EXPECT_EQ(c.receive(3), 12);   // the message is behind: still one more than local
  EXPECT_EQ(c.receive(12), 13);  // equal: one more
  EXPECT_EQ(c.tick(), 14);
}

// The Clock Condition on a send/receive pair: C(send) < C(receive), whatever the clocks were.
TEST(LamportClock, SendBeforeReceiveHasSmallerTime) {
  for (int64_t sender_start = 0; sender_start < 5; ++sender_start) {
    for (int64_t receiver_start = 0; receiver_start < 5; ++receiver_start) {
      LamportClock sender;
      LamportClock receiver;
      for (int64_t k = 0; k < sender_start; ++k) sender.tick();
      for (int64_t k = 0; k < receiver_start; ++k) receiver.tick();
      const int64_t sent = sender.tick();
      EXPECT_LT(sent, receiver.receive(sent));
    }
  }
}

TEST(LamportVectorClock, TickMergeReceive) {
  VectorClock a(3);
  VectorClock b(3);
  EXPECT_EQ(a.to_string(), "[0,0,0]");
  a.tick(0);
  a.tick(0);
  b.tick(2);
  EXPECT_EQ(a.to_string(), "[2,0,0]");
  VectorClock m = b;
  m.merge(a);
  EXPECT_EQ(m.to_string(), "[2,0,1]");  // merge counts no event
  b.receive(2, a);
  EXPECT_EQ(b.to_string(), "[2,0,2]");  // merge, then the receive is an event of process 2
  EXPECT_EQ(b[2], 2);
  EXPECT_EQ(b.size(), 3);
}

TEST(LamportVectorClock, Compare) {
  const VectorClock a(std::vector<int64_t>{1, 0, 0});
  const VectorClock b(std::vector<int64_t>{2, 1, 0});
  const VectorClock c(std::vector<int64_t>{0, 0, 1});
  EXPECT_EQ(a.compare(b), Causality::Before);
  EXPECT_EQ(b.compare(a), Causality::After);
  EXPECT_EQ(a.compare(a), Causality::Equal);
  EXPECT_EQ(a.compare(c), Causality::Concurrent);
  EXPECT_EQ(c.compare(b), Causality::Concurrent);
  EXPECT_TRUE(a.happened_before(b));
  EXPECT_FALSE(b.happened_before(a));
  EXPECT_FALSE(a.happened_before(a));  // strict
  EXPECT_TRUE(a.concurrent_with(c));
  EXPECT_FALSE(a.concurrent_with(b));
  EXPECT_TRUE(a == VectorClock(std::vector<int64_t>{1, 0, 0}));
  EXPECT_TRUE(a != b);
  EXPECT_STREQ(causality_name(Causality::Concurrent), "concurrent");
}

// The strong clock condition on a message exchange: a send precedes its receive; two sends on
// different processes with no message between them are concurrent.
TEST(LamportVectorClock, MessageExchange) {
  VectorClock p(2);
  VectorClock q(2);
  p.tick(0);
  const VectorClock send_p = p;  // p sends
  q.tick(1);
  const VectorClock local_q = q;  // q's local event, concurrent with p's send
  q.receive(1, send_p);
  const VectorClock recv_q = q;
  EXPECT_TRUE(send_p.happened_before(recv_q));
  EXPECT_TRUE(local_q.happened_before(recv_q));
  EXPECT_TRUE(send_p.concurrent_with(local_q));
}

}  // namespace
}  // namespace synod::lamport
