// Makes protocol nodes for a scenario, and owns each node's persistent storage: the one thing
// that survives a crash. A restarted node is a new object built over the same storage.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "sim/scenario.hpp"

namespace synod::sim {

class ProtocolFactory {
 public:
  virtual ~ProtocolFactory() = default;
  // A fresh node for `id`, over its persistent storage (empty at first boot).
  virtual std::unique_ptr<ProtocolNode> make_node(NodeId id, Rng rng) = 0;
  // Persistent writes made so far by all nodes (for the report).
  virtual uint64_t storage_writes() const = 0;
};

// What a protocol promises, which decides what a run checks and calls a safety problem.
struct ProtocolTraits {
  bool replicated_log = false;            // applies a log (apply events): lost-write check applies
  bool promises_linearizability = false;  // a non-linearizable history is a safety problem
};
ProtocolTraits protocol_traits(const std::string& name);

// Throws ScenarioError if the protocol is unknown (the loader should have caught it).
std::unique_ptr<ProtocolFactory> make_protocol_factory(const Scenario& scenario);

}  // namespace synod::sim
