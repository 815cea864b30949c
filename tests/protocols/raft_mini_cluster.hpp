// A small deterministic Raft cluster for tests that need whole-cluster behaviour over time (a node
// partitioned away and rejoining, a leader cut off from its majority) but not the fault injection
// of raft_cluster_test.cpp: every message takes the same latency, timers fire exactly when due
// (the lowest node id first on a tie), and partitions, crashes and client requests happen only
// when the test says so. The harness checks every node's check_invariants() after each step;
// this adds Election Safety (§5.2) and the election counts the tests assert on.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "tests/protocols/cluster_harness.hpp"
#include "tests/protocols/raft_test_util.hpp"

namespace synod::raft::testing {

class MiniCluster : public ClusterHarness<RaftNode, Storage> {
 public:
  static constexpr Nanos kLatency = 2 * kNanosPerMilli;

  MiniCluster(int n, Config config, uint64_t seed = 1)
      : ClusterHarness(n, seed, "raft-mini-net",
                       [config](const Boot<Storage>& b) {
                         return std::make_unique<RaftNode>(b.id, b.cluster_size, config, b.storage,
                                                           b.rng("raft-mini"));
                       }),
        elections_by_(static_cast<size_t>(n), 0) {
    links.latency_min = links.latency_max = kLatency;
    on_step = [this](NodeId i, const Outbox& out) { observe(i, out); };
    start_all();
  }

  // A client request from kClient, handed to node `to` at once; its answers land in replies().
  void request(NodeId to, Command c) { inject(kClient, to, ClientRequest(std::move(c))); }

  // Runs until some node leads (at most `limit`); returns it, or kNoNode.
  NodeId run_until_leader(Nanos limit = 3 * kNanosPerSecond) {
    const Nanos end = now() + limit;
    while (leader() == kNoNode && now() < end) run_for(kNanosPerMilli);
    return leader();
  }

  // The leader of the highest term among live nodes, or kNoNode.
  NodeId leader() const {
    NodeId best = kNoNode;
    for (NodeId i = 0; i < size(); ++i) {
      if (!alive(i) || node(i).role() != Role::Leader) continue;
      if (best == kNoNode || node(i).term() > node(best).term()) best = i;
    }
    return best;
  }

  int64_t max_term() const {
    int64_t t = 0;
    for (NodeId i = 0; i < size(); ++i) t = std::max(t, storage(i).current_term);
    return t;
  }

  int elections() const { return elections_; }  // ElectionStart events, all nodes
  int elections_by(NodeId i) const { return elections_by_[static_cast<size_t>(i)]; }
  int leaders_elected() const { return leaders_elected_; }
  // When node i last left the leader role (kNever if it never did).
  Nanos stepped_down_at(NodeId i) const {
    auto it = stepped_down_at_.find(i);
    return it == stepped_down_at_.end() ? kNever : it->second;
  }

 private:
  void observe(NodeId i, const Outbox& out) {
    for (const ProtocolEvent& e : out.events) {
      if (e.type == EventType::ElectionStart) {
        ++elections_;
        ++elections_by_[static_cast<size_t>(i)];
      }
      if (e.type == EventType::Role && e.role == "leader") {
        ++leaders_elected_;
        auto [it, fresh] = leader_of_term_.try_emplace(e.term, i);
        if (!fresh && it->second != i) {
          fail(fmt::format("two leaders in term {}: n{} and n{}", e.term, it->second, i));
        }
      }
    }
    // A leader's step-down is the step that ends its role; for a crashed one, its restart.
    if (node(i).role() == Role::Leader) {
      leading_.insert(i);
    } else if (leading_.erase(i) > 0) {
      stepped_down_at_[i] = now();
    }
  }

  int elections_ = 0;
  std::vector<int> elections_by_;
  int leaders_elected_ = 0;
  std::map<int64_t, NodeId> leader_of_term_;
  std::set<NodeId> leading_;
  std::map<NodeId, Nanos> stepped_down_at_;
};

}  // namespace synod::raft::testing
