#include "protocols/tasks/ledger.hpp"

#include <algorithm>
#include <cmath>

namespace synod::tasks {

void Ledger::arrive(uint64_t id, Nanos now, double work_s, int source) {
  if (id == 0) return;
  if (entries_.size() < id) entries_.resize(id);
  LedgerEntry& e = entries_[id - 1];
  e.arrived = now;
  e.work_s = work_s;
  e.source = source;
}

void Ledger::result(uint64_t id, const Result& r, Nanos now) {
  if (id == 0 || id > entries_.size() || entries_[id - 1].arrived == kNever) {
    unknown_results_++;
    return;
  }
  LedgerEntry& e = entries_[id - 1];
  e.deliveries++;
  if (std::find(e.attempts.begin(), e.attempts.end(), r.attempt) != e.attempts.end()) return;
  e.attempts.push_back(r.attempt);
  if (e.result_at == kNever) {
    e.result_at = now;
    e.first = r;
  }
  if (r.worker >= 0 && static_cast<size_t>(r.worker) < workers_.size()) {
    workers_[r.worker].executions++;
    workers_[r.worker].busy += r.finished - r.started;
  }
}

Percentiles percentiles(std::vector<double> values) {
  Percentiles p;
  p.count = values.size();
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (double v : values) sum += v;
  p.mean = sum / static_cast<double>(values.size());
  auto rank = [&](double q) {
    const size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::min(values.size(), std::max<size_t>(k, 1)) - 1];
  };
  p.p50 = rank(0.50);
  p.p90 = rank(0.90);
  p.p99 = rank(0.99);
  p.max = values.back();
  return p;
}

LedgerSummary summarize(const Ledger& ledger, Nanos warmup) {
  LedgerSummary s;
  std::vector<double> response, wait, service;
  double dispatch = 0;
  Nanos first_arrival = kNever, last_arrival = 0;
  uint64_t measured_arrivals = 0;
  for (const LedgerEntry& e : ledger.entries()) {
    if (e.arrived == kNever) continue;
    s.arrived++;
    if (e.arrived >= warmup) {
      first_arrival = std::min(first_arrival, e.arrived);
      last_arrival = std::max(last_arrival, e.arrived);
      measured_arrivals++;
    }
    if (e.result_at == kNever) {
      s.unfinished++;
      continue;
    }
    s.completed++;
    if (e.attempts.size() > 1) {
      s.duplicated_tasks++;
      s.duplicate_executions += e.attempts.size() - 1;
    }
    s.repeated_results += e.deliveries - e.attempts.size();
    if (e.arrived < warmup) continue;
    response.push_back(to_seconds(e.result_at - e.arrived));
    wait.push_back(to_seconds(e.first.started - e.first.accepted));
    service.push_back(to_seconds(e.first.finished - e.first.started));
    dispatch += to_seconds(e.first.received - e.first.accepted);
  }
  if (!response.empty()) s.mean_dispatch = dispatch / static_cast<double>(response.size());
  if (service.size() > 1) {
    double sum = 0, sq = 0;
    for (double v : service) sum += v;
    const double mean = sum / static_cast<double>(service.size());
    for (double v : service) sq += (v - mean) * (v - mean);
    s.service_scv = sq / static_cast<double>(service.size() - 1) / (mean * mean);
  }
  if (last_arrival > first_arrival && measured_arrivals > 1)
    s.arrival_rate = static_cast<double>(measured_arrivals - 1) / to_seconds(last_arrival - first_arrival);
  s.response = percentiles(std::move(response));
  s.wait = percentiles(std::move(wait));
  s.service = percentiles(std::move(service));
  return s;
}

}  // namespace synod::tasks
