// Shared fixtures for the Paxos and Multi-Paxos tests: message builders, one node driven by hand
// (TestNode), and a small deterministic cluster (Sim) on the common harness: every message takes
// 5 ms unless a test changes the links, and crash/restart keep the same Storage. Every step checks
// the nodes' own invariants, so each test also exercises check_invariants() on the paths it walks.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/common/node.hpp"
#include "protocols/paxos/messages.hpp"
#include "protocols/paxos/multipaxos_node.hpp"
#include "protocols/paxos/paxos_node.hpp"
#include "tests/protocols/cluster_harness.hpp"
#include "tests/protocols/node_under_test.hpp"
#include "tests/protocols/test_fixtures.hpp"

namespace synod::paxos::testing {

using namespace ::synod::testkit;  // NOLINT: commands, outbox queries, the harness

constexpr Nanos kMs = kNanosPerMilli;

inline Value val(Command c) { return Value::of(std::move(c)); }
inline Value noop() { return Value{}; }

inline MessagePtr prepare(Ballot b, int64_t slot, bool all_from = false) {
  auto m = std::make_shared<Prepare>();
  m->ballot = b;
  m->slot = slot;
  m->all_from = all_from;
  return m;
}
// A Promise (ok) or a refusal, which carries the higher ballot the acceptor promised instead.
inline std::shared_ptr<Promise> promise_reply(Ballot b, int64_t slot, bool all_from, bool ok) {
  auto m = std::make_shared<Promise>();
  m->ballot = b;
  m->slot = slot;
  m->all_from = all_from;
  m->ok = ok;
  return m;
}
inline MessagePtr promise(Ballot b, int64_t slot, std::vector<AcceptedSlot> accepted = {},
                          bool all_from = false) {
  auto m = promise_reply(b, slot, all_from, true);
  m->accepted = std::move(accepted);
  return m;
}
inline MessagePtr promise_refused(Ballot b, int64_t slot, Ballot promised, bool all_from = false) {
  auto m = promise_reply(b, slot, all_from, false);
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
// Multi-Paxos without its pre-vote round: a timeout starts phase 1 at once. The single-node tests
// drive phase 1 by hand; pre-vote has tests of its own (paxos_multi_test.cpp, MultiPaxosPreVote).
inline Config without_pre_vote(Config c = {}) {
  c.pre_vote = false;
  return c;
}

// One node under test. Storage lives here, so restart() models a crash and a new incarnation.
template <class Node>
struct TestNode : NodeUnderTest<Node, Storage, Config> {
  TestNode(NodeId id_, int cluster_size_, Config config_ = without_pre_vote(), Storage initial = {})
      : NodeUnderTest<Node, Storage, Config>(id_, cluster_size_, config_, std::move(initial),
                                             "paxos-test") {}
};

// A deterministic cluster of n nodes (cluster_harness.hpp), started. `net_stream` names the run's
// Rng, for tests that draw faults and workloads from it.
template <class Node>
class Sim : public ClusterHarness<Node, Storage> {
 public:
  explicit Sim(int n, Config config = {}, uint64_t seed = 1,
               std::string_view net_stream = "paxos-sim-net")
      : ClusterHarness<Node, Storage>(n, seed, net_stream, [config](const Boot<Storage>& b) {
          return std::make_unique<Node>(b.id, b.cluster_size, config, b.storage,
                                        b.rng("paxos-sim"));
        }) {
    this->start_all();
  }
};

}  // namespace synod::paxos::testing
