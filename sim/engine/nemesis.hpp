// The nemesis: carries out a scenario's fault schedule. Scheduled faults fire at their time and,
// with `for`, are undone after it; random faults fire every `every` from a menu, each undone when
// the next one fires and the last one at `until`. Targets given by role (leader, majority, ...)
// are resolved when the fault fires, from what the run has recorded so far.
//
// It acts on the cluster through ClusterControl, so it runs against the SimGrid driver or a fake
// in a unit test alike. Everything it does is reported as FaultRecord (for report.json) and as a
// nemesis event (for events.jsonl).
#pragma once

#include <queue>
#include <string>
#include <vector>

#include "protocols/common/rng.hpp"
#include "sim/scenario/scenario.hpp"

namespace synod::sim {

class Network;
class Recorder;

class ClusterControl {
 public:
  virtual ~ClusterControl() = default;
  virtual Nanos now() const = 0;
  virtual void sleep_until(Nanos t) = 0;
  virtual void crash(NodeId n) = 0;
  virtual void restart(NodeId n) = 0;
  virtual bool is_up(NodeId n) const = 0;
  // Node n's clock reads true time + offset from now on (a step, as an NTP correction would be).
  virtual void set_clock_offset(NodeId n, Nanos offset) = 0;
  virtual Nanos clock_offset(NodeId n) const = 0;
  virtual Network& network() = 0;
  virtual Recorder& recorder() = 0;
  // The membership (join and leave faults): every live node is told; restarted nodes too.
  virtual const std::vector<NodeId>& members() const = 0;
  virtual void set_members(std::vector<NodeId> members) = 0;
  // Transfer faults: tell `leader` to hand leadership to `to` (dissertation §3.10).
  virtual void transfer_leadership(NodeId leader, NodeId to) = 0;
};

// What the nemesis actually did (report.json "faults").
struct FaultRecord {
  Nanos time = 0;
  std::string kind;                  // crash | restart | partition | cut | heal | latency | loss
  std::vector<std::string> targets;  // node names (partition: "n1,n2|n3,n4,n5" groups)
  std::string detail;
};

class Nemesis {
 public:
  Nemesis(const Scenario& scenario, ClusterControl* cluster, Rng rng);
  // Runs the schedule until the scenario's duration (call from the nemesis actor).
  void run();
  const std::vector<FaultRecord>& records() const { return records_; }
  // Live nodes currently crashed by the nemesis.
  std::vector<NodeId> crashed() const;
  // Every random fault as it fired, written out as the fixed fault that does the same (named
  // targets, explicit groups, a `for` up to the next draw): `synod shrink` replaces a random fault
  // by these, and since the nemesis draws from its own stream the run is unchanged.
  const std::vector<FaultSpec>& random_fired() const { return random_fired_; }

 private:
  // What was done, so that it can be undone.
  struct Done {
    FaultKind kind = FaultKind::Heal;
    std::vector<NodeId> nodes;
    Nanos latency_add = 0;
    Nanos skew = 0;
    std::vector<std::vector<NodeId>> groups;  // Partition
  };
  struct Action {
    Nanos at;
    uint64_t seq;
    enum class Type { Fire, Undo, RandomTick } type;
    size_t fault;  // index into faults
    Done done;     // Undo
    // At one instant a window that ends goes before a fault that starts (so a fault with `for`
    // ending where the next begins behaves as a random fault's undo-then-draw); then in order.
    bool operator>(const Action& o) const {
      if (at != o.at) return at > o.at;
      if ((type == Type::Undo) != (o.type == Type::Undo)) return o.type == Type::Undo;
      return seq > o.seq;
    }
  };

  void schedule(Action a);
  Done fire(const FaultSpec& f, FaultKind kind);
  void undo(const Done& d);
  void random_tick(size_t fault_index, Nanos now);
  std::vector<NodeId> resolve(const TargetSpec& t);
  std::vector<std::vector<NodeId>> partition_groups(const PartitionSpec& p);
  std::vector<NodeId> shuffled_nodes();
  void record(const std::string& kind, const std::vector<NodeId>& nodes, const std::string& detail);
  std::vector<std::string> names(const std::vector<NodeId>& nodes) const;

  const Scenario& scenario_;
  ClusterControl* cluster_;
  Rng rng_;
  std::priority_queue<Action, std::vector<Action>, std::greater<>> queue_;
  uint64_t next_seq_ = 0;
  std::vector<Done> random_active_;  // per fault index: the random fault now in force
  std::vector<FaultRecord> records_;
  std::vector<FaultSpec> random_fired_;
};

}  // namespace synod::sim
