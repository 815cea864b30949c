// A task worker (see master.hpp for the protocol): queues what the master sends, runs up to
// `slots` tasks at once on its host's cores (Outbox::compute, so its CPU speed sets the service
// time), reports each finished execution, and heartbeats its load. Nothing survives a crash: a
// restarted worker has an empty queue and a new boot number, which tells the master so.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/tasks/master.hpp"

namespace synod::tasks {

class Worker final : public ProtocolNode {
 public:
  Worker(NodeId id, int cluster_size, const Config& config, Rng rng);

  void start(Nanos now, Outbox& out) override;
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override { return next_heartbeat_; }
  void on_compute_done(Nanos now, uint64_t token, Outbox& out) override;
  std::vector<std::string> check_invariants() override;
  std::string describe() const override;

  // Whether this incarnation holds (queued or running) that execution: the ledger asks at the end.
  bool holds(uint64_t id, uint32_t attempt) const { return held_.count({id, attempt}) > 0; }
  uint64_t boot() const { return boot_; }

 private:
  struct Job {
    uint64_t id;
    uint32_t attempt;
    double work;
    Nanos received;
    Nanos started;
  };
  void start_jobs(Nanos now, Outbox& out);

  NodeId id_;
  Config config_;
  int slots_;
  uint64_t boot_;
  std::deque<Job> queue_;
  std::map<uint64_t, Job> running_;  // by compute token
  std::set<std::pair<uint64_t, uint32_t>> held_;
  uint64_t next_token_ = 1;
  Nanos next_heartbeat_ = kNever;
};

}  // namespace synod::tasks
