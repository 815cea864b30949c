// The task ledger: what the sources saw of every task (arrival, each result and which execution
// it came from), and the numbers the report gives. It is the run's check: a task that arrived and
// never completed is unfinished (lost when nothing holds it any more: the family decides that at
// the end, asking the master and workers), and two results from different executions of one task
// are a duplicate — allowed under at-least-once, a failure under exactly-once.
//
// Times: `arrived` and the result time are the source's clock; accepted (master), received,
// started and finished (worker) come in the Result. Response = result − arrival; wait = started −
// accepted (queueing, wherever it happened, plus the one hop from master to worker); service =
// finished − started.
#pragma once

#include <cstdint>
#include <vector>

#include "protocols/common/types.hpp"
#include "protocols/tasks/messages.hpp"

namespace synod::tasks {

struct LedgerEntry {
  Nanos arrived = kNever;  // kNever: no such task
  double work_s = 0;
  int source = 0;
  Nanos result_at = kNever;  // the first result
  Result first;
  std::vector<uint32_t> attempts;  // distinct executions delivered
  uint32_t deliveries = 0;         // results received, repeats included
};

struct WorkerUse {
  uint64_t executions = 0;  // delivered executions that ran on it
  Nanos busy = 0;           // their service time
};

class Ledger {
 public:
  explicit Ledger(int n_nodes) : workers_(static_cast<size_t>(n_nodes)) {}
  void arrive(uint64_t id, Nanos now, double work_s, int source);
  void result(uint64_t id, const Result& r, Nanos now);

  const std::vector<LedgerEntry>& entries() const { return entries_; }  // [id - 1]
  const std::vector<WorkerUse>& workers() const { return workers_; }
  uint64_t unknown_results() const { return unknown_results_; }

 private:
  std::vector<LedgerEntry> entries_;
  std::vector<WorkerUse> workers_;
  uint64_t unknown_results_ = 0;  // a result for a task no source sent (a bug)
};

struct Percentiles {
  uint64_t count = 0;
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};
// Nearest-rank percentiles of `values` (sorted here).
Percentiles percentiles(std::vector<double> values);

struct LedgerSummary {
  uint64_t arrived = 0;
  uint64_t completed = 0;
  uint64_t unfinished = 0;
  uint64_t duplicated_tasks = 0;      // tasks delivered from two or more executions
  uint64_t duplicate_executions = 0;  // the extra executions delivered
  uint64_t repeated_results = 0;      // the same execution's result delivered again
  // Over tasks that arrived at or after `warmup` and completed.
  Percentiles response, wait, service;
  double mean_dispatch = 0;  // received − accepted
  double service_scv = 0;    // of the measured service times: Var / mean^2
  double arrival_rate = 0;   // measured tasks per second of their arrival span
};
LedgerSummary summarize(const Ledger& ledger, Nanos warmup);

}  // namespace synod::tasks
