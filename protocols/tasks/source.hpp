// A task source: one of the workload's clients. It makes tasks at the times its arrival process
// says, sends each to the master, sends it again with backoff (retry, 2 x retry, ... up to
// 32 x retry) until a result comes, and writes what it sees into the ledger. Arrivals are the
// source's own timer, so a run is one deterministic sequence of steps.
//
//   poisson  exponential gaps at `rate` (split evenly between the sources: the sum is Poisson)
//   on-off   Poisson at `rate` while on; on and off periods exponential with means `on`, `off`
//            (an interrupted Poisson process: bursts)
//   trace    the rows of a CSV file (time, work), dealt to the sources in turn
// Task sizes are seconds of work on a 1 Gf core (a 2 Gf worker takes half as long).
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "protocols/common/distribution.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/tasks/ledger.hpp"

namespace synod::tasks {

constexpr double kReferenceFlops = 1e9;  // a task of 1 s is 1e9 flops

struct TraceTask {
  Nanos at = 0;
  double work_s = 0;
};

struct Arrivals {
  enum class Process { Poisson, OnOff, Trace };
  Process process = Process::Poisson;
  double rate = 1;  // per second, all sources together (on-off: while on)
  Nanos on = 0, off = 0;
  Distribution work = Distribution::exponential(1);
  std::vector<TraceTask> trace;  // sorted by time
  Nanos start = 0, stop = 0;     // the load window
  Nanos retry = 2 * kNanosPerSecond;
};

class Source final : public ProtocolNode {
 public:
  Source(int index, int n_sources, const Arrivals& arrivals, Ledger* ledger, Rng rng);

  void start(Nanos now, Outbox& out) override;
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override;
  std::vector<std::string> check_invariants() override { return {}; }
  std::string describe() const override;

 private:
  void schedule_next_arrival(Nanos after);
  void send(uint64_t id, Outbox& out);

  int index_;
  int n_sources_;
  const Arrivals& arrivals_;
  Ledger* ledger_;
  Rng rng_;
  uint64_t seq_ = 0;
  size_t trace_next_;
  Nanos next_arrival_ = kNever;
  bool on_ = true;
  Nanos phase_end_ = kNever;  // on-off: when the current period ends
  struct Pending {
    double work = 0;
    Nanos backoff = 0;
  };
  std::vector<Pending> pending_;              // by local sequence number
  std::set<std::pair<Nanos, uint64_t>> retry_;  // (when, task id)
  std::set<uint64_t> waiting_;                // ids sent, no result yet
};

}  // namespace synod::tasks
