// Task scheduling: one master dispatches tasks to workers, as a deterministic state machine.
//
// The cluster's first node is the master, the others are workers; the workload's sources are the
// clients. A task's life:
//   1. a source sends Submit(id, work) and sends it again, with backoff, until the result comes;
//   2. the master writes the task to its table on disk (a durable queue: a master crash loses
//      no accepted task) and picks a worker by its policy (push), or keeps it in its central queue
//      until a worker has a free core (pull);
//   3. the worker queues it, runs it on a core when one is free (Outbox::compute: the host's CPU
//      model, so a 2 Gf worker runs it in half the time), and reports Done;
//   4. the master marks the task done and sends the Result to its source.
//
// Policies (push unless said):
//   round-robin           the alive workers in turn
//   weighted-round-robin  in turn by weight (default: cores x speed), smoothly interleaved as
//                         nginx does (each pick: every weight added to its credit, the highest
//                         credit wins and pays the total)
//   random                uniformly among the alive workers
//   jsq                   join the shortest queue: fewest outstanding tasks (sent, not done), as
//                         the master counts them — exact, up to messages in flight
//   least-connections     fewest outstanding per unit of weight (nginx's weighted least_conn); on
//                         equal weights the same choice as jsq
//   least-loaded          lowest load as the workers last reported it (queued + running, in each
//                         heartbeat): information up to one heartbeat stale, so between reports
//                         every task herds onto the same worker
//   power-of-d            d workers drawn at random, the one with fewest outstanding tasks
//                         (Mitzenmacher's supermarket model; d = 1 is random)
//   pull                  a central FIFO queue; a worker pulls when a core is free, and the task
//                         goes to the worker that has waited longest (M/M/c when every worker has
//                         one core)
// Ties are broken at random (the master's own Rng stream), so no worker is favoured by its id.
//
// Failure handling: workers heartbeat every `heartbeat`; a worker silent for `failure_timeout`,
// or one that heartbeats with a new boot number (it restarted and lost its queue), is dead to the
// master, and every task outstanding on it is dispatched again as a new attempt (`redispatch:
// false` turns that off — the classic lost-task bug, which the ledger then catches). A worker
// falsely suspected (a partition) may finish its copy later: two executions of one task.
//   at-least-once  every execution's Done becomes a Result: the source may see a task twice;
//   exactly-once   the first Done wins, and is recorded on disk before the Result leaves; later
//                  ones are counted and dropped: each source sees each task once.
// A restarted master reloads its table and dispatches every task not yet done again.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/tasks/messages.hpp"

namespace synod::tasks {

enum class Policy {
  RoundRobin,
  WeightedRoundRobin,
  Random,
  Jsq,
  LeastConnections,
  LeastLoaded,
  PowerOfD,
  Pull,
};
const char* policy_name(Policy p);
bool parse_policy(const std::string& s, Policy* out);
const std::vector<std::string>& policy_names();

enum class Delivery { AtLeastOnce, ExactlyOnce };

struct Config {
  Policy policy = Policy::RoundRobin;
  int d = 2;                        // power-of-d
  std::vector<double> weights;      // by node id (index 0, the master, unused); > 0
  Nanos heartbeat = 100 * kNanosPerMilli;
  Nanos failure_timeout = 500 * kNanosPerMilli;
  Delivery delivery = Delivery::AtLeastOnce;
  bool redispatch = true;
  std::vector<int> cores;           // by node id: each worker's cores (its slots)
};

// What the masters counted, for the report (simulator bookkeeping kept beside the disk so that it
// adds up across the master's restarts; the protocol never reads it).
struct MasterCounters {
  uint64_t dispatched = 0;
  uint64_t redispatched = 0;       // attempts after the first
  uint64_t duplicate_done = 0;     // exactly-once: executions after the first, dropped
  uint64_t workers_declared_dead = 0;
};

// The master's disk: every accepted task, whether it is done, and how often it was dispatched.
struct TaskRecord {
  Address source = 0;
  double work = 0;
  Nanos accepted = 0;
  uint32_t attempts = 0;   // dispatches so far (the next attempt's number)
  bool done = false;
  Result result;           // exactly-once: the result that won, resent on a repeated Submit
};
struct MasterStorage {
  std::map<uint64_t, TaskRecord> tasks;
  uint64_t boots = 0;
  uint64_t writes = 0;
  MasterCounters stats;
};


class Master final : public ProtocolNode {
 public:
  Master(NodeId id, int cluster_size, const Config& config, MasterStorage* storage, Rng rng);

  void start(Nanos now, Outbox& out) override;
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override;
  std::vector<std::string> check_invariants() override;
  std::string describe() const override;

  // For the ledger at the end of a run: where an unfinished task is, as the master sees it.
  enum class Holding { Unknown, Queued, Assigned, Done };
  // `queued`: queued_ids(), taken once for many questions (the queue can be long).
  Holding holding(uint64_t id, const std::set<uint64_t>& queued, NodeId* worker, uint32_t* attempt,
                  Nanos* sent_at) const;
  std::set<uint64_t> queued_ids() const { return {queue_.begin(), queue_.end()}; }
  // Whether the master takes worker w for alive, in the incarnation with this boot number (then
  // it will not send again what it believes w holds).
  bool trusts(NodeId w, uint64_t boot) const {
    return w > 0 && w < n_ && workers_[w].alive && workers_[w].boot == boot;
  }
  size_t queue_length() const { return queue_.size(); }

 private:
  struct Assignment {
    NodeId worker;
    uint32_t attempt;
    Nanos sent_at;
  };
  struct WorkerView {
    bool known = false;       // heard from this incarnation of the master
    bool alive = false;
    uint64_t boot = 0;
    Nanos last_heard = 0;
    int slots = 1;
    int reported_load = 0;    // least-loaded: as of its last heartbeat
    std::map<uint64_t, uint32_t> outstanding;  // task → attempt, sent and not done
    double wrr_credit = 0;
    Nanos free_since = 0;     // pull: when it last had a free core with nothing to do
  };

  void on_submit(Nanos now, Address from, const Submit& m, Outbox& out);
  void on_done(Nanos now, NodeId w, const Done& m, Outbox& out);
  void on_worker_seen(Nanos now, NodeId w, uint64_t boot, int slots, Outbox& out);
  void declare_dead(Nanos now, NodeId w, Outbox& out);
  void place(Nanos now, uint64_t id, Outbox& out);  // dispatch or queue
  void drain_queue(Nanos now, Outbox& out);
  void send_run(Nanos now, uint64_t id, NodeId w, Outbox& out);
  NodeId choose(Nanos now);  // push policies; kNoNode if no worker is alive
  NodeId choose_pull() const;
  double weight(NodeId w) const;
  NodeId pick_min(const std::vector<NodeId>& candidates, const std::vector<double>& score);

  NodeId id_;
  int n_;
  Config config_;
  MasterStorage* disk_;
  Rng rng_;
  std::vector<WorkerView> workers_;  // by node id; [0] is the master itself
  std::deque<uint64_t> queue_;       // central queue (pull; push when no worker is alive)
  std::map<uint64_t, Assignment> assigned_;
  size_t rr_next_ = 1;
  Nanos next_check_ = kNever;
  std::vector<std::string> violations_;  // found during a step, returned by check_invariants()
};

}  // namespace synod::tasks
