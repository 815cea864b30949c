// One node driven by hand, for unit tests (layer 1): the test is its network and its clock. The
// driver owns the node's Storage, so restart() is a crash and a new incarnation over the same
// disk, and it checks the node's check_invariants() after every input, so each unit test also
// exercises the invariants on the paths it walks. Outputs are returned, never routed.
//
// For families whose nodes are built as Node(id, cluster_size, config, &storage, rng) (Raft,
// Paxos, Multi-Paxos). Whole-cluster tests use cluster_harness.hpp instead.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"

namespace synod::testkit {

template <class Node, class Storage, class Config>
struct NodeUnderTest {
  // rng_stream names the node's randomness; each incarnation draws its own stream of it.
  NodeUnderTest(NodeId id_, int cluster_size_, Config config_, Storage initial,
                std::string_view rng_stream_)
      : id(id_),
        cluster_size(cluster_size_),
        config(config_),
        storage(std::move(initial)),
        rng_stream(rng_stream_) {
    restart();
  }

  void restart() {
    ++incarnation;
    node = std::make_unique<Node>(
        id, cluster_size, config, &storage,
        Rng::stream(7, rng_stream, static_cast<uint64_t>(id) * 1000 + incarnation));
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

  // Time jumps to the node's deadline; a test that moved `now` past it fires the timer late.
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

  Node& operator*() { return *node; }
  Node* operator->() { return node.get(); }

  NodeId id;
  int cluster_size;
  Config config;
  Storage storage;
  std::string rng_stream;
  std::unique_ptr<Node> node;
  Outbox out;
  Nanos now = 0;
  uint64_t incarnation = 0;
};

}  // namespace synod::testkit
