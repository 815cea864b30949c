// Runs one scenario on SimGrid and returns its run record. This is the only file that drives
// SimGrid actors; see SIMGRID.md for why it is built this way.
//
//   - one daemonized actor per endpoint (cluster node or client), on its own host, looping:
//     deliver the messages now due, fire the timer if due, then sleep on a condition variable
//     until the earlier of its next message and its next timer (or until woken by an earlier send);
//   - the nemesis actor is the one regular actor: the run ends when it returns at `duration`;
//   - a crash turns the host off (which kills the actor) and bumps the node's incarnation; a
//     restart turns it on and starts a new actor with a new protocol node over the same storage.
//
// SimGrid allows one engine per process: call run_scenario() at most once per process (the test
// sweeps and `synod compare` run each simulation in a child process).
#pragma once

#include <string>
#include <vector>

#include "analysis/events.hpp"
#include "analysis/happens_before.hpp"
#include "sim/engine/nemesis.hpp"
#include "sim/engine/protocol_factory.hpp"
#include "sim/engine/workload.hpp"
#include "sim/engine/network.hpp"
#include "sim/engine/recorder.hpp"
#include "sim/scenario/scenario.hpp"

namespace synod::sim {

struct RunResult {
  Scenario scenario;  // as run (seed possibly overridden)
  Nanos simulated_ns = 0;
  std::vector<HistoryOp> history;
  std::vector<analysis::RunEvent> events;
  std::vector<analysis::InvariantViolation> node_violations;  // reported by the nodes themselves
  std::vector<FaultRecord> faults;
  std::vector<FaultSpec> random_fired;  // Nemesis::random_fired(): for `synod shrink`
  std::vector<MessageCounters> messages;  // by MsgKind
  std::vector<std::string> message_kind_names;
  uint64_t elections_started = 0;
  uint64_t leaders_elected = 0;
  uint64_t skipped_arrivals = 0;
  uint64_t storage_writes = 0;
  uint64_t protocol_steps = 0;  // inputs handled by cluster nodes
  // Every send and receive with the clocks the transport stamped (nodes and clients alike).
  std::vector<analysis::TraceEvent> trace;
  struct TraceDetail {  // only with scenario.trace.messages: for messages.jsonl
    Nanos time;
    Address peer;       // the receiver of a send, the sender of a receive
    std::string text;   // Message::describe()
  };
  std::vector<TraceDetail> trace_detail;
  // At the end of the run: (node, state_digest()) of every live node whose protocol has one.
  std::vector<std::pair<NodeId, std::string>> final_digests;
  // What the family's workload kept of the run (its ledger), for its report section; may be null.
  std::shared_ptr<const RunExtra> extra;
  double wall_seconds = 0;      // never written to report.json (it would break determinism)
};

// Runs `scenario` with `seed` (overriding the file's), its nodes made by `factory` (the family's,
// from sim/families/registry.hpp, or a benchmark's own), its load from `workload` (null: the
// key-value clients of the scenario's workload section). Throws ScenarioError for problems that
// only show when the platform is built (a platform file without the named hosts, ...).
RunResult run_scenario(const Scenario& scenario, uint64_t seed,
                       std::unique_ptr<ProtocolFactory> factory,
                       std::unique_ptr<Workload> workload = nullptr);

}  // namespace synod::sim
