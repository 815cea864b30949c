// A small deterministic Raft cluster for tests that need whole-cluster behaviour over time (a node
// partitioned away and rejoining, a leader cut off from its majority) but not the fault injection
// of raft_cluster_test.cpp: every message takes the same latency, timers fire exactly when due
// (the lowest node id first on a tie), and partitions, crashes and client requests happen only
// when the test says so. Every step checks the node's check_invariants() and Election Safety.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "tests/protocols/raft_test_util.hpp"

namespace synod::raft::testing {

class MiniCluster {
 public:
  static constexpr Nanos kLatency = 2 * kNanosPerMilli;

  MiniCluster(int n, Config config, uint64_t seed = 1)
      : n_(n),
        config_(config),
        seed_(seed),
        storages_(static_cast<size_t>(n)),
        nodes_(static_cast<size_t>(n)),
        incarnation_(static_cast<size_t>(n), 0),
        side_(static_cast<size_t>(n), 0),
        elections_by_(static_cast<size_t>(n), 0) {
    for (NodeId i = 0; i < n_; ++i) restart(i);
  }

  void run_for(Nanos duration) { run_until(now_ + duration); }

  void run_until(Nanos end) {
    for (;;) {
      Nanos t = wire_.empty() ? kNever : wire_.top().at;
      NodeId timer = kNoNode;
      for (NodeId i = 0; i < n_; ++i) {
        const auto& node = nodes_[static_cast<size_t>(i)];
        if (node && node->next_timer() < t) {
          t = node->next_timer();
          timer = i;
        }
      }
      if (t > end) break;
      now_ = t;
      if (timer != kNoNode) {
        Outbox out;
        nodes_[static_cast<size_t>(timer)]->on_timer(now_, out);
        after_step(timer, out);
      } else {
        deliver();
      }
    }
    now_ = end;
  }

  // Cuts the listed nodes off from the others (clients still reach everyone).
  void isolate(const std::vector<NodeId>& minority) {
    std::fill(side_.begin(), side_.end(), 0);
    for (NodeId i : minority) side_[static_cast<size_t>(i)] = 1;
  }
  void heal() { std::fill(side_.begin(), side_.end(), 0); }

  void crash(NodeId i) {
    nodes_[static_cast<size_t>(i)].reset();
    ++incarnation_[static_cast<size_t>(i)];
  }

  void restart(NodeId i) {
    const auto k = static_cast<size_t>(i);
    ++incarnation_[k];
    nodes_[k] = std::make_unique<RaftNode>(
        i, n_, config_, &storages_[k], Rng::stream(seed_, "raft-mini", k * 1000 + incarnation_[k]));
    Outbox out;
    nodes_[k]->start(now_, out);
    after_step(i, out);
  }

  // A client request from kClient, delivered to node `to` at once; its answers land in replies().
  void request(NodeId to, Command c) {
    Outbox out;
    nodes_[static_cast<size_t>(to)]->on_message(now_, kClient, *client_request(std::move(c)), out);
    after_step(to, out);
  }

  // Runs until some node leads (at most `limit`); returns it, or kNoNode.
  NodeId run_until_leader(Nanos limit = 3 * kNanosPerSecond) {
    const Nanos end = now_ + limit;
    while (leader() == kNoNode && now_ < end) run_for(kNanosPerMilli);
    return leader();
  }

  // The leader of the highest term among live nodes, or kNoNode.
  NodeId leader() const {
    NodeId best = kNoNode;
    for (NodeId i = 0; i < n_; ++i) {
      const auto& node = nodes_[static_cast<size_t>(i)];
      if (!node || node->role() != Role::Leader) continue;
      if (best == kNoNode || node->term() > nodes_[static_cast<size_t>(best)]->term()) best = i;
    }
    return best;
  }

  int64_t max_term() const {
    int64_t t = 0;
    for (const Storage& s : storages_) t = std::max(t, s.current_term);
    return t;
  }

  RaftNode& node(NodeId i) { return *nodes_[static_cast<size_t>(i)]; }
  const Storage& storage(NodeId i) const { return storages_[static_cast<size_t>(i)]; }
  Nanos now() const { return now_; }
  int elections() const { return elections_; }  // ElectionStart events, all nodes
  int elections_by(NodeId i) const { return elections_by_[static_cast<size_t>(i)]; }
  int leaders_elected() const { return leaders_elected_; }
  const std::vector<ClientReply>& replies() const { return replies_; }
  // When node i last left the leader role (kNever if it never did).
  Nanos stepped_down_at(NodeId i) const {
    auto it = stepped_down_at_.find(i);
    return it == stepped_down_at_.end() ? kNever : it->second;
  }

 private:
  struct InFlight {
    Nanos at;
    uint64_t order;
    NodeId from;
    NodeId to;
    uint64_t to_incarnation;
    MessagePtr message;
    bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : order > o.order; }
  };

  void deliver() {
    InFlight f = wire_.top();
    wire_.pop();
    auto& node = nodes_[static_cast<size_t>(f.to)];
    if (!node || incarnation_[static_cast<size_t>(f.to)] != f.to_incarnation) return;
    if (side_[static_cast<size_t>(f.from)] != side_[static_cast<size_t>(f.to)]) return;
    Outbox out;
    node->on_message(now_, f.from, *f.message, out);
    after_step(f.to, out);
  }

  void after_step(NodeId i, const Outbox& out) {
    RaftNode& node = *nodes_[static_cast<size_t>(i)];
    const bool was_leader = leading_.count(i) > 0;
    for (const ProtocolEvent& e : out.events) {
      if (e.type == EventType::ElectionStart) {
        ++elections_;
        ++elections_by_[static_cast<size_t>(i)];
      }
      if (e.type == EventType::Role && e.role == "leader") {
        ++leaders_elected_;
        auto [it, fresh] = leader_of_term_.try_emplace(e.term, i);
        if (!fresh && it->second != i) {
          ADD_FAILURE() << fmt::format("two leaders in term {}: n{} and n{}", e.term, it->second,
                                       i);
        }
      }
    }
    if (node.role() == Role::Leader) {
      leading_.insert(i);
    } else if (was_leader) {
      leading_.erase(i);
      stepped_down_at_[i] = now_;
    }
    for (const std::string& line : node.check_invariants()) {
      ADD_FAILURE() << fmt::format("{:.3f}ms invariant: {}", to_millis(now_), line);
    }
    for (const Outbox::Send& s : out.messages) {
      if (s.to >= n_) {
        replies_.push_back(static_cast<const ClientReply&>(*s.message));
        continue;
      }
      if (side_[static_cast<size_t>(i)] != side_[static_cast<size_t>(s.to)]) continue;
      if (!nodes_[static_cast<size_t>(s.to)]) continue;
      wire_.push({now_ + kLatency, order_++, i, static_cast<NodeId>(s.to),
                  incarnation_[static_cast<size_t>(s.to)], s.message});
    }
  }

  const int n_;
  const Config config_;
  const uint64_t seed_;
  Nanos now_ = 0;
  uint64_t order_ = 0;
  std::vector<Storage> storages_;
  std::vector<std::unique_ptr<RaftNode>> nodes_;
  std::vector<uint64_t> incarnation_;
  std::vector<int> side_;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> wire_;
  int elections_ = 0;
  std::vector<int> elections_by_;
  int leaders_elected_ = 0;
  std::map<int64_t, NodeId> leader_of_term_;
  std::set<NodeId> leading_;
  std::map<NodeId, Nanos> stepped_down_at_;
  std::vector<ClientReply> replies_;
};

}  // namespace synod::raft::testing
