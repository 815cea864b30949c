// The run record as it is made: the client history, the protocol and nemesis events, and what
// the driver learns from them while the run goes on (who leads, which terms, invariant
// violations reported by the nodes themselves). Everything here is appended in simulated-time
// order by a single-threaded simulation, so the record is deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/events.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/types.hpp"

namespace synod::sim {

// One line of history.jsonl (DESIGN.md "Histories").
struct HistoryOp {
  enum class Type : uint8_t { Invoke, Ok, Fail, Info };
  int64_t process = 0;
  Type type = Type::Invoke;
  OpType f = OpType::Read;
  std::string key;
  // Read: invoke null, ok the value read (nullopt = null). Write: the value. Cas: [expected, new].
  std::optional<int64_t> value;
  int64_t expected = 0;  // Cas only
  Nanos time = 0;
};

const char* history_type_name(HistoryOp::Type t);

class Recorder {
 public:
  explicit Recorder(int n_nodes);

  void history(HistoryOp op) { history_.push_back(std::move(op)); }
  void protocol_event(Nanos now, NodeId node, uint32_t incarnation, const ProtocolEvent& e);
  // A nemesis action; node = -1 for cluster-wide ones.
  void nemesis_event(Nanos now, int node, uint32_t incarnation, const std::string& type,
                     const std::string& detail);
  void node_invariant_violation(Nanos now, NodeId node, const std::string& what);

  void set_down(NodeId node);       // the node crashed: it leads nothing any more
  void set_restarted(NodeId node);  // a restarted node starts as a follower
  // The live node in leader role with the highest term, or kNoNode. In a sharded run (events
  // tagged with a group): the live node that leads the most groups (the lowest id of a tie).
  NodeId leader() const;
  int64_t max_term() const;

  // The run is over: hand the record to the result without copying it.
  std::vector<HistoryOp> take_history() { return std::move(history_); }
  std::vector<analysis::RunEvent> take_events() { return std::move(events_); }

  const std::vector<HistoryOp>& history_ops() const { return history_; }
  const std::vector<analysis::RunEvent>& events() const { return events_; }
  const std::vector<analysis::InvariantViolation>& node_violations() const {
    return node_violations_;
  }
  uint64_t elections_started() const { return elections_started_; }
  uint64_t leaders_elected() const { return leaders_elected_; }

 private:
  std::vector<HistoryOp> history_;
  std::vector<analysis::RunEvent> events_;
  std::vector<analysis::InvariantViolation> node_violations_;
  std::vector<std::string> role_;  // per node; "down" when crashed
  std::vector<int64_t> term_;
  std::map<int, std::pair<NodeId, int64_t>> group_leader_;  // sharded: group → (leader, term)
  uint64_t elections_started_ = 0;
  uint64_t leaders_elected_ = 0;
};

}  // namespace synod::sim
