// A serverless platform as deterministic state machines: one controller (the cluster's first
// node) and hosts (the others) with memory for function instances; the workload's sources are
// the clients that invoke.
//
// An invocation of function f:
//   - warm: an idle instance of f exists. The controller picks the newest one (the most recently
//     created, as SimFaaS does, so older instances go idle long enough to expire) and its host
//     runs the invocation for a draw of f's `warm` time;
//   - cold: no idle instance. The controller creates one on the host with the most free memory
//     (evicting idle instances of any function, least recently used first, when no host has room
//     for f's memory); the host runs the invocation for a draw of f's `cold` time (loading and
//     running together, as SimFaaS models it). Past `max_instances` instances of f, or with no
//     memory even after eviction, the invocation is rejected.
// An instance that finishes goes idle and the keep-alive policy says for how long it stays:
//   fixed      `ttl` after it went idle (SimFaaS's expiration threshold; AWS Lambda-like);
//   histogram  Shahrad et al., "Serverless in the Wild" (ATC 2020), hybrid policy: per function,
//              a histogram of idle times (from the end of one invocation to the next arrival,
//              1-minute bins up to `histogram_range`). With at least `histogram_min_samples`
//              samples, the instance is unloaded at once and pre-warmed at the 5th percentile
//              (minus 10%), then kept until the 99th percentile (plus 10%); before that, `ttl`.
// Autoscaling (on when `target_concurrency` > 0, Knative-style): every `autoscale_interval` the
// controller averages each function's in-flight invocations over `autoscale_window`, wants
// ceil(average / target) instances, creates the missing ones ahead of demand (ready after their
// `boot` time) and stops idle ones beyond that number — down to zero when nothing arrives
// (scale to zero); keep-alive expiry then only applies above the autoscaler's number.
//
// Not modelled yet: crashes of the controller or of hosts (instances are volatile and the
// controller keeps no disk; a crashed host's invocations never return).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "protocols/common/distribution.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/serverless/messages.hpp"

namespace synod::faas {

struct Function {
  std::string name;
  double rate = 0;  // invocations per second (Poisson) from the start
  // Later rates: from `at` on, `rate` (sorted by time; a piecewise-constant Poisson process).
  std::vector<std::pair<Nanos, double>> schedule;
  // Invocations per minute from a trace (the Azure Functions 2019 dataset's format): when set,
  // `rate` and `schedule` are unused and minute m's count arrives uniformly within that minute.
  std::vector<uint32_t> per_minute;
  double rate_at(Nanos t) const {
    if (!per_minute.empty()) return 0;
    double r = rate;
    for (const auto& [at, v] : schedule)
      if (at <= t) r = v;
    return r;
  }
  double memory_mb = 128;
  Distribution warm = Distribution::exponential(1);
  Distribution cold = Distribution::exponential(2);
  Distribution boot = Distribution::fixed(1);  // a pre-created instance's time to be ready
  int max_instances = 1000;
};

enum class KeepAlive { Fixed, Histogram };

struct Config {
  std::vector<Function> functions;
  std::vector<double> host_memory_mb;  // by node id ([0], the controller, unused)
  KeepAlive keep_alive = KeepAlive::Fixed;
  Nanos ttl = 600 * kNanosPerSecond;
  Nanos histogram_range = 4 * 3600 * kNanosPerSecond;
  int histogram_min_samples = 10;
  double target_concurrency = 0;  // 0: no autoscaler
  Nanos autoscale_interval = 2 * kNanosPerSecond;
  Nanos autoscale_window = 60 * kNanosPerSecond;
  Nanos warmup = 0;  // statistics (Stats) count from here
};

// What the controller measured (kept beside the platform, like the tasks master's counters).
struct Stats {
  uint64_t invocations = 0, cold = 0, warm = 0, rejected = 0;
  uint64_t created = 0, expired = 0, evicted = 0, prewarmed = 0, autoscaled_up = 0,
           autoscaled_down = 0;
  // Time integrals since `since`, in instance-seconds: all instances, busy ones, idle ones, and
  // idle memory (MB-seconds).
  double instance_s = 0, busy_s = 0, idle_s = 0, idle_mb_s = 0;
  Nanos since = 0, last = 0;
  std::vector<std::pair<double, int>> instances_over_time;  // (s, instances), sampled
  std::vector<std::pair<double, int>> busy_over_time;
};

class Controller final : public ProtocolNode {
 public:
  Controller(NodeId id, int cluster_size, const Config& config, Stats* stats, Rng rng);

  void start(Nanos now, Outbox& out) override;
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override;
  std::vector<std::string> check_invariants() override;
  std::string describe() const override;

  // Statistics start here (the warm-up is left out); and the integrals up to `now`.
  void reset_stats(Nanos now);
  void account(Nanos now);
  int instances() const { return static_cast<int>(instances_.size()); }

 private:
  enum class State { Booting, Busy, Idle };
  struct Instance {
    int function;
    NodeId host;
    State state;
    Nanos created;
    Nanos idle_since = 0;
    Nanos expires = kNever;  // while idle
    uint64_t invocation = 0;
    Address source = 0;
    Nanos planned_expiry = kNever;  // a pre-warmed instance: when its keep-alive window ends
  };
  void invoke(Nanos now, Address from, const Invoke& m, Outbox& out);
  void on_done(Nanos now, const Done& m, Outbox& out);
  uint64_t create(Nanos now, int f, uint64_t invocation, Address source, Outbox& out);
  NodeId host_for(double memory_mb, Nanos now, Outbox& out);
  void stop(uint64_t instance, Outbox& out);
  void go_idle(Nanos now, uint64_t instance, Instance& in);
  Nanos keep_alive(int f, Nanos* prewarm_at, Nanos now) const;
  void autoscale(Nanos now, Outbox& out);
  void sample(Nanos now);

  NodeId id_;
  int n_;
  Config config_;
  Stats* stats_;
  Rng rng_;
  std::map<uint64_t, Instance> instances_;
  std::set<std::pair<Nanos, uint64_t>> expiries_;  // (expires, instance) of idle instances
  std::vector<double> used_mb_;                     // by host
  std::vector<std::set<uint64_t>> idle_by_fn_;      // idle instances per function (newest last)
  std::vector<int> count_by_fn_;
  uint64_t next_instance_ = 1;
  int busy_ = 0, idle_ = 0;
  double idle_mb_ = 0;
  // Histogram policy, per function: idle-time bins (minutes), last completion, running count.
  std::vector<std::vector<uint32_t>> idle_hist_;
  std::vector<uint32_t> idle_samples_;
  std::vector<Nanos> last_end_;
  std::vector<int> running_;
  std::multimap<Nanos, std::pair<int, Nanos>> prewarms_;  // when → (function, its expiry)
  bool stats_reset_ = false;
  // Autoscaler: per function, in-flight integral over the current interval and the window's.
  std::vector<double> inflight_integral_;
  std::vector<std::vector<double>> window_;  // per function: averages of the last intervals
  Nanos inflight_last_ = 0;
  Nanos next_autoscale_ = kNever;
  Nanos next_sample_ = 0;
  Nanos sample_every_ = kNanosPerSecond;
  std::vector<std::string> violations_;

 public:
  void set_sample_interval(Nanos every) { sample_every_ = every; }
};

}  // namespace synod::faas
