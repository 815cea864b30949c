// A source of invocations (one of the workload's clients): Poisson arrivals per function at its
// rate of the moment (rates may change on a schedule), split evenly between the sources; each
// arrival's function is drawn by rate. Sent to the controller, and what comes back is written
// into the ledger.
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
  Nanos next_timer() const override { return next_; }
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
  Nanos next_ = kNever;
};

}  // namespace synod::faas
