// A serverless host (see controller.hpp): holds the instances the controller placed on it, runs
// each invocation for a draw of its function's warm or cold time (a latency, not CPU work: the
// SimFaaS model), boots pre-created instances, and removes instances when told.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/serverless/controller.hpp"

namespace synod::faas {

class Host final : public ProtocolNode {
 public:
  Host(NodeId id, int cluster_size, const Config& config, Rng rng);

  void start(Nanos now, Outbox& out) override {}
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override;
  std::vector<std::string> check_invariants() override;
  std::string describe() const override;

 private:
  struct Job {
    uint64_t instance;
    uint64_t invocation;  // 0: booting
    bool cold;
    Nanos started;
  };
  NodeId id_;
  const Config& config_;
  Rng rng_;
  std::map<uint64_t, int> instances_;     // instance → function
  std::multimap<Nanos, Job> running_;     // by finish time
  double used_mb_ = 0;
  std::vector<std::string> violations_;
};

}  // namespace synod::faas
