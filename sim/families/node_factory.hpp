// The two shapes of ProtocolFactory the families need, so a family states its node type and
// config rather than writing a factory class:
//   StoredNodeFactory    Node(id, n, config, &storage[id], rng) over one Storage per node, kept
//                        across crashes (Storage has a `writes` counter);
//   VolatileNodeFactory  Node(id, n, config, rng): nothing survives a crash.
#pragma once

#include <memory>
#include <vector>

#include "sim/engine/protocol_factory.hpp"

namespace synod::sim {

template <class Node, class Storage, class Config>
class StoredNodeFactory final : public ProtocolFactory {
 public:
  StoredNodeFactory(int n, Config config) : n_(n), config_(std::move(config)), storage_(n) {}
  std::unique_ptr<ProtocolNode> make_node(NodeId id, Rng rng) override {
    return std::make_unique<Node>(id, n_, config_, &storage_[id], rng);
  }
  uint64_t storage_writes() const override {
    uint64_t w = 0;
    for (const Storage& s : storage_) w += s.writes;
    return w;
  }

 private:
  int n_;
  Config config_;
  std::vector<Storage> storage_;
};

template <class Node, class Config>
class VolatileNodeFactory final : public ProtocolFactory {
 public:
  VolatileNodeFactory(int n, Config config) : n_(n), config_(std::move(config)) {}
  std::unique_ptr<ProtocolNode> make_node(NodeId id, Rng rng) override {
    return std::make_unique<Node>(id, n_, config_, rng);
  }
  uint64_t storage_writes() const override { return 0; }

 private:
  int n_;
  Config config_;
};

}  // namespace synod::sim
