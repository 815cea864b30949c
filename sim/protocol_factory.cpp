#include "sim/protocol_factory.hpp"

#include "protocols/paxos/multipaxos_node.hpp"
#include "protocols/paxos/paxos_node.hpp"
#include "protocols/raft/raft_node.hpp"

namespace synod::sim {

namespace {

class RaftFactory final : public ProtocolFactory {
 public:
  explicit RaftFactory(const Scenario& s) : n_(s.node_count()), storage_(s.node_count()) {
    config_.election_timeout_min = s.protocol.election_timeout_min_ns;
    config_.election_timeout_max = s.protocol.election_timeout_max_ns;
    config_.heartbeat_interval = s.protocol.heartbeat_ns;
    config_.max_entries_per_append = s.protocol.max_entries_per_append;
  }
  std::unique_ptr<ProtocolNode> make_node(NodeId id, Rng rng) override {
    return std::make_unique<raft::RaftNode>(id, n_, config_, &storage_[id], rng);
  }
  uint64_t storage_writes() const override {
    uint64_t w = 0;
    for (const auto& s : storage_) w += s.writes;
    return w;
  }

 private:
  int n_;
  raft::Config config_;
  std::vector<raft::Storage> storage_;
};

// Basic Paxos and Multi-Paxos share the acceptor storage and the configuration.
template <class Node>
class PaxosFactory final : public ProtocolFactory {
 public:
  explicit PaxosFactory(const Scenario& s) : n_(s.node_count()), storage_(s.node_count()) {
    config_.backoff = s.protocol.backoff;
    config_.backoff_min = s.protocol.backoff_min_ns;
    config_.backoff_max = s.protocol.backoff_max_ns;
    config_.heartbeat_interval = s.protocol.heartbeat_ns;
    config_.election_timeout_min = s.protocol.election_timeout_min_ns;
    config_.election_timeout_max = s.protocol.election_timeout_max_ns;
  }
  std::unique_ptr<ProtocolNode> make_node(NodeId id, Rng rng) override {
    return std::make_unique<Node>(id, n_, config_, &storage_[id], rng);
  }
  uint64_t storage_writes() const override {
    uint64_t w = 0;
    for (const auto& s : storage_) w += s.writes;
    return w;
  }

 private:
  int n_;
  paxos::Config config_;
  std::vector<paxos::Storage> storage_;
};

}  // namespace

std::unique_ptr<ProtocolFactory> make_protocol_factory(const Scenario& s) {
  if (s.protocol.name == "raft") return std::make_unique<RaftFactory>(s);
  if (s.protocol.name == "paxos") return std::make_unique<PaxosFactory<paxos::PaxosNode>>(s);
  if (s.protocol.name == "multipaxos") return std::make_unique<PaxosFactory<paxos::MultiPaxosNode>>(s);
  throw ScenarioError(s.file, 0, 0, "unknown protocol '" + s.protocol.name + "'");
}

}  // namespace synod::sim
