// A source of invocations (one of the workload's clients): Poisson arrivals per function at its
// rate of the moment (rates may change on a schedule), split evenly between the sources; each
// arrival's function is drawn by rate. Sent to the controller, and what comes back is written
// into the ledger. Functions with a per-minute trace add their invocations on top: minute m's
// count at uniformly random instants of [start + m minutes, start + m + 1 minutes), dealt to the
// sources in turn.
#pragma once

#include <string>
#include <vector>

#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/serverless/controller.hpp"

namespace synod::faas {

struct InvocationRecord {
  int function = 0;
  Nanos arrived = kNever;   // kNever: no such invocation
  Nanos result_at = kNever;
  bool rejected = false;
  bool cold = false;
  Nanos started = 0, finished = 0;  // host clock
  uint32_t results = 0;
};

class Ledger {
 public:
  std::vector<InvocationRecord>& entries() { return entries_; }
  const std::vector<InvocationRecord>& entries() const { return entries_; }
  uint64_t unknown_results = 0;

 private:
  std::vector<InvocationRecord> entries_;  // [id - 1]
};

class Source final : public ProtocolNode {
 public:
  Source(int index, int n_sources, const Config& config, Nanos start, Nanos stop, Ledger* ledger,
         Rng rng);
  void start(Nanos now, Outbox& out) override;
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override {
    return trace_next_ < trace_.size() ? std::min(next_, trace_[trace_next_].first) : next_;
  }
  std::vector<std::string> check_invariants() override { return {}; }
  std::string describe() const override;

 private:
  void draw_next(Nanos after);
  int index_, n_sources_;
  const Config& config_;
  Nanos start_, stop_;
  Ledger* ledger_;
  Rng rng_;
  double total_rate(Nanos t) const;
  Nanos next_change(Nanos t) const;  // the first schedule entry after t, or kNever
  uint64_t seq_ = 0;
  Nanos next_ = kNever;         // the next Poisson arrival
  std::vector<std::pair<Nanos, int>> trace_;  // (time, function), sorted
  size_t trace_next_ = 0;
  void send(Nanos at, int f, Outbox& out);
};

}  // namespace synod::faas
