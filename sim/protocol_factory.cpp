#include "sim/protocol_factory.hpp"

#include "protocols/lamport/lww_node.hpp"
#include "protocols/lamport/mutex_node.hpp"
#include "protocols/paxos/multipaxos_node.hpp"
#include "protocols/paxos/paxos_node.hpp"
#include "protocols/raft/raft_node.hpp"

namespace synod::sim {

namespace {

template <class Storage>
uint64_t total_writes(const std::vector<Storage>& storage) {
  uint64_t w = 0;
  for (const auto& s : storage) w += s.writes;
  return w;
}

class RaftFactory final : public ProtocolFactory {
 public:
  explicit RaftFactory(const Scenario& s) : n_(s.node_count()), storage_(s.node_count()) {
    config_.election_timeout_min = s.protocol.election_timeout_min_ns;
    config_.election_timeout_max = s.protocol.election_timeout_max_ns;
    config_.heartbeat_interval = s.protocol.heartbeat_ns;
    config_.max_entries_per_append = s.protocol.max_entries_per_append;
    config_.pre_vote = s.protocol.pre_vote;
    config_.check_quorum = s.protocol.check_quorum;
  }
  std::unique_ptr<ProtocolNode> make_node(NodeId id, Rng rng) override {
    return std::make_unique<raft::RaftNode>(id, n_, config_, &storage_[id], rng);
  }
  uint64_t storage_writes() const override { return total_writes(storage_); }

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
  uint64_t storage_writes() const override { return total_writes(storage_); }

 private:
  int n_;
  paxos::Config config_;
  std::vector<paxos::Storage> storage_;
};

// Lamport's protocols keep nothing across a crash: a restarted node starts empty (documented in
// their headers; for the mutex that is why a crash blocks everyone).
class LamportMutexFactory final : public ProtocolFactory {
 public:
  explicit LamportMutexFactory(const Scenario& s) : n_(s.node_count()) {
    config_.request_rate_per_s = s.protocol.request_rate_per_s;
    config_.hold = s.protocol.hold_ns;
    config_.start = s.workload.start_ns;
    config_.stop = s.workload.stop_ns > 0 ? s.workload.stop_ns : s.duration_ns;
  }
  std::unique_ptr<ProtocolNode> make_node(NodeId id, Rng rng) override {
    return std::make_unique<lamport::MutexNode>(id, n_, config_, rng);
  }
  uint64_t storage_writes() const override { return 0; }

 private:
  int n_;
  lamport::MutexConfig config_;
};

class LamportLwwFactory final : public ProtocolFactory {
 public:
  explicit LamportLwwFactory(const Scenario& s) : n_(s.node_count()) {
    config_.anti_entropy_interval = s.protocol.anti_entropy_ns > 0 ? s.protocol.anti_entropy_ns : kNever;
  }
  std::unique_ptr<ProtocolNode> make_node(NodeId id, Rng rng) override {
    return std::make_unique<lamport::LwwNode>(id, n_, config_, rng);
  }
  uint64_t storage_writes() const override { return 0; }

 private:
  int n_;
  lamport::LwwConfig config_;
};

}  // namespace

ProtocolTraits protocol_traits(const std::string& name) {
  if (name == "raft" || name == "paxos" || name == "multipaxos") return {true, true};
  // lamport-lww is eventually consistent by design; lamport-mutex serves no client operations.
  return {false, false};
}

std::unique_ptr<ProtocolFactory> make_protocol_factory(const Scenario& s) {
  if (s.protocol.name == "lamport-mutex") return std::make_unique<LamportMutexFactory>(s);
  if (s.protocol.name == "lamport-lww") return std::make_unique<LamportLwwFactory>(s);
  if (s.protocol.name == "raft") return std::make_unique<RaftFactory>(s);
  if (s.protocol.name == "paxos") return std::make_unique<PaxosFactory<paxos::PaxosNode>>(s);
  if (s.protocol.name == "multipaxos") return std::make_unique<PaxosFactory<paxos::MultiPaxosNode>>(s);
  throw ScenarioError(s.file, 0, 0, "unknown protocol '" + s.protocol.name + "'");
}

}  // namespace synod::sim
