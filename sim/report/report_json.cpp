// report.json: the run's numbers and verdicts (schema in docs/report.md). Everything in it is a
// function of the scenario and the seed, so two runs give the same bytes.
#include <algorithm>
#include <map>

#include "sim/report/metrics.hpp"
#include "sim/report/report.hpp"

namespace synod::sim {

namespace {

using ojson = nlohmann::ordered_json;

struct OpStats {
  uint64_t invoked = 0, ok = 0, fail = 0, info = 0;
  std::vector<double> ok_latency_ms;
};

OpStats op_stats(const RunResult& r) {
  OpStats s;
  std::map<int64_t, Nanos> open;  // process → invoke time
  for (const HistoryOp& h : r.history) {
    switch (h.type) {
      case HistoryOp::Type::Invoke:
        s.invoked++;
        open[h.process] = h.time;
        break;
      case HistoryOp::Type::Ok:
        s.ok++;
        s.ok_latency_ms.push_back(to_millis(h.time - open[h.process]));
        open.erase(h.process);
        break;
      case HistoryOp::Type::Fail:
        s.fail++;
        open.erase(h.process);
        break;
      case HistoryOp::Type::Info:
        s.info++;
        open.erase(h.process);
        break;
    }
  }
  s.info += open.size();  // still outstanding when the run ended: outcome unknown
  std::sort(s.ok_latency_ms.begin(), s.ok_latency_ms.end());
  return s;
}

// The window of the timeline: fine enough to see an election in a short run, and at most a few
// hundred windows in a long one.
Nanos timeline_window(Nanos duration) {
  if (duration <= 30 * kNanosPerSecond) return 250 * kNanosPerMilli;
  if (duration <= 300 * kNanosPerSecond) return kNanosPerSecond;
  return duration / 300;
}

struct Window {
  uint64_t ok = 0, fail = 0, info = 0;
  std::vector<double> latency_ms;
};

// Outcomes per window of completion time (ok latency counted in the window it completed in).
std::vector<Window> timeline(const RunResult& r, Nanos window) {
  std::vector<Window> w(static_cast<size_t>((r.simulated_ns + window - 1) / window));
  std::map<int64_t, Nanos> open;
  for (const HistoryOp& h : r.history) {
    if (h.type == HistoryOp::Type::Invoke) {
      open[h.process] = h.time;
      continue;
    }
    size_t i = std::min(static_cast<size_t>(h.time / window), w.size() - 1);
    if (h.type == HistoryOp::Type::Ok) {
      w[i].ok++;
      w[i].latency_ms.push_back(to_millis(h.time - open[h.process]));
    } else if (h.type == HistoryOp::Type::Fail) {
      w[i].fail++;
    } else {
      w[i].info++;
    }
  }
  for (auto& x : w) std::sort(x.latency_ms.begin(), x.latency_ms.end());
  return w;
}

// Completion times of ok operations, in order.
std::vector<Nanos> ok_times(const RunResult& r) {
  std::vector<Nanos> t;
  for (const HistoryOp& h : r.history)
    if (h.type == HistoryOp::Type::Ok) t.push_back(h.time);
  return t;
}

// For "how long did the cluster need to serve again after a fault": the earliest ok completion
// among operations invoked at or after a time. Replies already in flight when a leader crashes
// still arrive; only an operation that starts after the fault shows the cluster works again.
class Recovery {
 public:
  explicit Recovery(const RunResult& r) {
    std::map<int64_t, Nanos> open;
    for (const HistoryOp& h : r.history) {
      if (h.type == HistoryOp::Type::Invoke) open[h.process] = h.time;
      else if (h.type == HistoryOp::Type::Ok) ok_.push_back({open[h.process], h.time});
    }
    std::sort(ok_.begin(), ok_.end());
    suffix_min_.assign(ok_.size() + 1, kNever);
    for (size_t i = ok_.size(); i-- > 0;) suffix_min_[i] = std::min(suffix_min_[i + 1], ok_[i].second);
  }
  // Time from `t` until an op invoked at or after `t` completed ok; kNever if none did.
  Nanos after(Nanos t) const {
    size_t i = std::lower_bound(ok_.begin(), ok_.end(), std::make_pair(t, Nanos{0})) - ok_.begin();
    return suffix_min_[i] == kNever ? kNever : suffix_min_[i] - t;
  }

 private:
  std::vector<std::pair<Nanos, Nanos>> ok_;  // (invoke, complete), by invoke time
  std::vector<Nanos> suffix_min_;
};

}  // namespace

std::vector<double> ok_latencies_ms(const RunResult& r, bool reads) {
  std::vector<double> out;
  std::map<int64_t, Nanos> open;  // process → invoke time
  for (const HistoryOp& h : r.history) {
    if (h.type == HistoryOp::Type::Invoke) {
      open[h.process] = h.time;
      continue;
    }
    auto it = open.find(h.process);
    if (it == open.end()) continue;
    if (h.type == HistoryOp::Type::Ok && (h.f == OpType::Read) == reads)
      out.push_back(to_millis(h.time - it->second));
    open.erase(it);
  }
  std::sort(out.begin(), out.end());
  return out;
}

ojson build_report(const RunResult& r, const RunAnalysis& a) {
  const Scenario& s = r.scenario;
  OpStats ops = op_stats(r);
  ojson j;
  j["schema_version"] = kReportSchemaVersion;
  j["scenario"] = s.name;
  j["protocol"] = s.protocol.name;
  // Sharded runs only (the key is absent otherwise): K groups of R replicas of the protocol.
  if (s.protocol.shards.count > 0)
    j["sharding"] = {{"shards", s.protocol.shards.count},
                     {"replication", s.protocol.shards.replication}};
  j["seed"] = s.seed;
  j["simulated_seconds"] = to_seconds(r.simulated_ns);
  j["nodes"] = s.node_count();
  j["clients"] = s.workload.clients;
  // Only a family without key-value clients says so (ops, latency and consistency are then 0 and
  // meaningless; its own section has its numbers); the key is absent for the others.
  if (!a.kv_clients) j["kv_clients"] = false;
  j["ops"] = {{"invoked", ops.invoked}, {"ok", ops.ok}, {"fail", ops.fail}, {"info", ops.info},
              {"skipped_arrivals", r.skipped_arrivals}};
  const double load_s = to_seconds(std::min(s.workload.stop_ns, s.duration_ns) - s.workload.start_ns);
  j["throughput_ok_per_s"] = round6(load_s > 0 ? ops.ok / load_s : 0.0);
  const auto& lat = ops.ok_latency_ms;
  j["latency_ms"] = {{"p50", round6(percentile(lat, 50))},   {"p90", round6(percentile(lat, 90))},
                     {"p99", round6(percentile(lat, 99))},   {"p999", round6(percentile(lat, 99.9))},
                     {"max", round6(lat.empty() ? 0 : lat.back())}};
  j["elections"] = {{"started", r.elections_started}, {"leaders_elected", r.leaders_elected}};
  // Availability: the longest stretch of the load window with no ok completion, and after each
  // fault how long until the next ok completion.
  const std::vector<Nanos> oks = ok_times(r);
  const Nanos load_from = s.workload.start_ns, load_to = std::min(s.workload.stop_ns, s.duration_ns);
  Nanos longest_gap = 0, gap_from = load_from, prev = load_from;
  for (Nanos t : oks) {
    if (t < load_from || t > load_to) continue;
    if (t - prev > longest_gap) {
      longest_gap = t - prev;
      gap_from = prev;
    }
    prev = t;
  }
  if (load_to - prev > longest_gap) {
    longest_gap = load_to - prev;
    gap_from = prev;
  }
  j["availability"] = {{"longest_gap_s", round6(to_seconds(longest_gap))},
                       {"longest_gap_from_s", round6(to_seconds(gap_from))}};
  MessageCounters total;
  ojson by_type = ojson::object();
  for (size_t k = 0; k < r.messages.size(); ++k) {
    const MessageCounters& c = r.messages[k];
    total.add(c);
    if (c.sent == 0) continue;
    by_type[r.message_kind_names[k]] = {{"sent", c.sent},           {"delivered", c.delivered},
                                        {"dropped", c.dropped()},   {"duplicated", c.duplicated},
                                        {"bytes", c.bytes_sent}};
  }
  j["messages"] = {{"sent", total.sent},
                   {"delivered", total.delivered},
                   {"dropped", total.dropped()},
                   {"duplicated", total.duplicated},
                   {"dropped_by_reason",
                    {{"loss", total.dropped_loss},
                     {"partition", total.dropped_partition},
                     {"node_down", total.dropped_down}}},
                   {"bytes", total.bytes_sent},
                   {"by_type", by_type}};
  ojson faults = ojson::array();
  const Recovery recovery(r);
  for (const FaultRecord& f : r.faults) {
    ojson fj = {{"time_s", round6(to_seconds(f.time))}, {"kind", f.kind}, {"targets", f.targets}};
    if (!f.detail.empty()) fj["detail"] = f.detail;
    const Nanos rec = recovery.after(f.time);
    fj["recovery_s"] = rec == kNever ? ojson(nullptr) : ojson(round6(to_seconds(rec)));
    faults.push_back(fj);
  }
  j["faults"] = faults;
  ojson violations = ojson::array();
  for (const auto& v : a.invariants.violations)
    violations.push_back({{"time_s", round6(v.time_s)}, {"name", v.name}, {"detail", v.detail}});
  j["invariants"] = {{"checked", a.invariants.checked}, {"violations", violations}};
  j["consistency"] = a.consistency;
  j["clocks"] = a.clocks;
  for (const ReportSection& section : a.sections) j[section.key] = section.json;
  const Nanos window = timeline_window(r.simulated_ns);
  ojson tl = ojson::array();
  std::vector<Window> windows = timeline(r, window);
  for (size_t i = 0; i < windows.size(); ++i) {
    const Window& w = windows[i];
    tl.push_back({{"t_s", round6(to_seconds(static_cast<Nanos>(i) * window))},
                  {"ok", w.ok},
                  {"fail", w.fail},
                  {"info", w.info},
                  {"p50_ms", round6(percentile(w.latency_ms, 50))},
                  {"p99_ms", round6(percentile(w.latency_ms, 99))}});
  }
  j["timeline"] = {{"window_s", round6(to_seconds(window))}, {"windows", tl}};
  j["storage_writes"] = r.storage_writes;
  j["protocol_steps"] = r.protocol_steps;
  return j;
}

}  // namespace synod::sim
