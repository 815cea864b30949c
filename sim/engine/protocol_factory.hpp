// What the engine needs from a protocol family to run its nodes: a factory that makes a node
// for an id over that node's persistent storage, which the factory owns and keeps — the one thing
// that survives a crash. A restarted node is a new object built over the same storage.
// Families implement it in sim/families/; benchmarks and tests may hand in their own.
#pragma once

#include <cstdint>
#include <memory>

#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"

namespace synod::sim {

class ProtocolFactory {
 public:
  virtual ~ProtocolFactory() = default;
  // A fresh node for `id`, over its persistent storage (empty at first boot).
  virtual std::unique_ptr<ProtocolNode> make_node(NodeId id, Rng rng) = 0;
  // Persistent writes made so far by all nodes (for the report).
  virtual uint64_t storage_writes() const = 0;
};

}  // namespace synod::sim
