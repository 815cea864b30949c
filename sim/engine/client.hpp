// A client process of the workload: a state machine with the same shape as a protocol node (the
// driver runs it with the same actor loop), issuing one operation at a time and recording each in
// the history honestly.
//
// A client routes by the cluster's shard map (protocols/shards): an operation goes to the group
// that holds its key, and the client remembers a believed leader per group. An unsharded cluster
// is the map of one group of every node.
//
// An operation's life: invoke → send to the node it believes leads its key's group → on NotLeader, go to the hinted
// leader at once (or, with no hint, to the next node after a short backoff); on no answer within
// attempt_timeout, resend to the next node; at `timeout` give up. A hint naming a node that already
// timed out on this operation is not followed (a stale leader cut off in a minority, and its
// followers pointing back at it, would otherwise keep the client away from the majority forever). Every resend keeps the command's
// (process, seq), so the cluster applies it at most once. Outcomes:
//   ok    the cluster said it happened (reads carry the value read);
//   fail  the cluster said it certainly did not happen (a cas whose compare failed);
//   info  no answer in time: it may or may not have happened, now or later. The process then
//         retires and the client continues as a new process id (Jepsen's convention), because
//         its old command may still be applied at any later time.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/shards/shard_map.hpp"
#include "sim/engine/recorder.hpp"
#include "sim/engine/workload.hpp"
#include "sim/scenario/scenario.hpp"

namespace synod::sim {

// What the workload generator shares between clients: key popularity and values in use.
class WorkloadState {
 public:
  WorkloadState(const WorkloadSpec& spec, int n_clients);
  const WorkloadSpec& spec() const { return spec_; }
  int n_clients() const { return n_clients_; }
  std::string pick_key(Rng& rng) const;
  OpType pick_op(Rng& rng) const;
  // A value never written before: writes are unique, which keeps the checker's search narrow.
  int64_t fresh_value() { return ++last_value_; }
  // The last value some client tried to write to `key` (for cas: likely, not certainly, current).
  std::optional<int64_t> last_written(const std::string& key) const;
  void note_write(const std::string& key, int64_t v) { last_written_[key] = v; }
  uint64_t skipped_arrivals = 0;  // open loop: arrivals that found every client busy

 private:
  WorkloadSpec spec_;
  int n_clients_;
  std::vector<double> key_cdf_;  // cumulative popularity of k0..k{n-1}
  int64_t last_value_ = 0;
  std::map<std::string, int64_t> last_written_;
};

class ClientProcess final : public ProtocolNode {
 public:
  ClientProcess(int index, std::shared_ptr<const shards::ShardMap> map, WorkloadState* workload,
                Recorder* recorder, Rng rng);

  void start(Nanos now, Outbox& out) override;
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override;
  std::vector<std::string> check_invariants() override { return {}; }
  std::string describe() const override;

  // Open loop: an operation arrives for this client. False if it is busy (the arrival is skipped).
  bool offer(Nanos now);
  bool busy() const { return busy_; }

 private:
  void begin_operation(Nanos now, Outbox& out);
  void send_attempt(Nanos now, Outbox& out);
  void complete(Nanos now, HistoryOp::Type type, std::optional<int64_t> read_value);
  void set_target(NodeId n);  // and remember it as the current group's believed leader
  Address address() const;

  int index_;
  int n_nodes_;
  std::shared_ptr<const shards::ShardMap> map_;
  WorkloadState* workload_;
  Recorder* recorder_;
  Rng rng_;
  int64_t process_;        // history process id; changes after an info outcome
  uint64_t seq_ = 0;       // of the current process
  bool busy_ = false;
  Command op_;
  Nanos op_deadline_ = kNever;
  Nanos resend_at_ = kNever;
  bool backing_off_ = false;  // resend_at_ ends a pause after NotLeader, not an attempt timeout
  NodeId target_;
  int group_ = 0;                // the current operation's key's group
  std::vector<NodeId> leader_;   // per group: the node believed to lead it
  std::vector<bool> timed_out_;  // per node: no answer from it during the current operation
  Nanos next_start_ = kNever;  // when idle: when the next operation starts
};

// The key-value workload: `clients` ClientProcesses sharing one WorkloadState; open loop when the
// workload has a rate (Poisson arrivals, each handed to the first idle client, round robin from
// the last one served; an arrival that finds every client busy is skipped and counted).
class KvWorkload final : public Workload {
 public:
  // `map`: the cluster's shards (null: one group of all n_nodes).
  KvWorkload(const WorkloadSpec& spec, int n_nodes,
             std::shared_ptr<const shards::ShardMap> map = nullptr);
  int client_count() const override { return state_.n_clients(); }
  std::unique_ptr<ProtocolNode> make_client(int index, Recorder* recorder, Rng rng) override;
  bool has_arrivals() const override { return state_.spec().rate_per_s > 0; }
  void run_arrivals(ArrivalContext& ctx, Rng rng) override;
  uint64_t skipped_arrivals() const override { return state_.skipped_arrivals; }

 private:
  std::shared_ptr<const shards::ShardMap> map_;
  WorkloadState state_;
  std::vector<ClientProcess*> clients_;  // owned by the engine, alive for the whole run
};

}  // namespace synod::sim
