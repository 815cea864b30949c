// What drives load into the cluster: the client endpoints (addresses n_nodes .. n_nodes+c-1, one
// host each, never crashed by the nemesis) and, optionally, an arrival process running in an
// actor of its own that hands work to them. The engine runs a client with the same loop as a
// node; the workload decides what a client is.
//
// The default is the key-value workload (client.hpp: read/write/cas clients, open or closed
// loop). A workload family (tasks for a scheduler, invocations for a serverless platform) plugs in
// its own through its Family entry (sim/families/family.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "sim/engine/protocol_factory.hpp"

namespace synod::sim {

class Recorder;

// What an arrival process may do: wait in simulated time, and wake a client it gave work to.
class ArrivalContext {
 public:
  virtual ~ArrivalContext() = default;
  virtual void sleep_until(Nanos t) = 0;
  virtual void wake_client(int index) = 0;
};

// What a workload keeps of a run for its family's report section (a task ledger, ...).
class RunExtra {
 public:
  virtual ~RunExtra() = default;
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual int client_count() const = 0;
  // Client `index` (0-based), recording its operations into `recorder`. Called once per client,
  // before the run starts.
  virtual std::unique_ptr<ProtocolNode> make_client(int index, Recorder* recorder, Rng rng) = 0;
  // Open loop: run the arrival process (returns when it is done). Called from its own actor when
  // has_arrivals(); `rng` is the run's "arrivals" stream.
  virtual bool has_arrivals() const { return false; }
  virtual void run_arrivals(ArrivalContext& ctx, Rng rng) {}
  // Arrivals that found every client busy (report.json ops.skipped_arrivals).
  virtual uint64_t skipped_arrivals() const { return 0; }
  // The run is over (at `end`): what to keep for the report. `nodes[i]` is node i as it stands,
  // or null if it is down; `factory` made them (and holds their persistent storage). Called once,
  // after the engine stopped.
  virtual std::shared_ptr<const RunExtra> finish(Nanos end,
                                                 const std::vector<const ProtocolNode*>& nodes,
                                                 const ProtocolFactory& factory) {
    return nullptr;
  }
};

}  // namespace synod::sim
