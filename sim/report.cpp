#include "sim/report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "analysis/linearizability.hpp"
#include "sim/html_report.hpp"

namespace synod::sim {

namespace {

using ojson = nlohmann::ordered_json;

// "c3#17 write k1 5" → "c3#17".
std::string command_id(const std::string& command) {
  return command.substr(0, command.find(' '));
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * sorted.size()));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

// Rounds to microsecond precision for the report: enough for latencies, and short to read.
double round6(double x) { return std::round(x * 1e6) / 1e6; }

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

// Acknowledged writes (ok write or cas) whose command is not in the log applied by the node that
// applied the most in its latest incarnation. A command's id is (process, n-th op of process).
std::vector<std::string> find_lost_writes(const RunResult& r) {
  std::map<int, std::pair<uint32_t, std::set<std::string>>> applied;  // node → latest incarnation
  for (const auto& e : r.events) {
    if (e.type != "apply") continue;
    auto& [inc, ids] = applied[e.node];
    if (e.incarnation != inc) {
      inc = e.incarnation;
      ids.clear();
    }
    ids.insert(command_id(e.command));
  }
  const std::set<std::string>* final_log = nullptr;
  for (const auto& [node, v] : applied)
    if (!final_log || v.second.size() > final_log->size()) final_log = &v.second;
  std::vector<std::string> lost;
  std::map<int64_t, uint64_t> nth;  // process → ops invoked so far
  std::map<int64_t, uint64_t> current;
  for (const HistoryOp& h : r.history) {
    if (h.type == HistoryOp::Type::Invoke) {
      current[h.process] = ++nth[h.process];
      continue;
    }
    if (h.type != HistoryOp::Type::Ok || h.f == OpType::Read) continue;
    std::string id = fmt::format("c{}#{}", h.process, current[h.process]);
    if (!final_log || !final_log->count(id))
      lost.push_back(fmt::format("{} {} {} = {} acknowledged at {:.6f}s", id, op_name(h.f), h.key,
                                 h.value.value_or(0), to_seconds(h.time)));
  }
  return lost;
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

// lamport-mutex: entries, messages per entry (3(N−1) without faults: N−1 requests, acks and
// releases), and what was still waiting at the end — said plainly, since with a crashed node
// Lamport's algorithm blocks for good.
void mutex_section(const RunResult& r, RunAnalysis* a) {
  analysis::MutexSummary m;
  analysis::check_mutex_invariants(r.events, r.scenario.cluster.node_names, &m);
  uint64_t msgs = 0;
  for (MsgKind k : {MsgKind::LamportRequest, MsgKind::LamportAck, MsgKind::LamportRelease})
    msgs += r.messages[static_cast<size_t>(k)].sent;
  const int n = r.scenario.node_count();
  const double per_entry = m.entries > 0 ? static_cast<double>(msgs) / m.entries : 0;
  ojson waiting = ojson::array();
  for (const auto& w : m.waiting)
    waiting.push_back({{"node", r.scenario.cluster.node_names[w.node]},
                       {"request", w.request},
                       {"timestamp", w.timestamp},
                       {"since_s", round6(w.since_s)}});
  // Blocked: a request has waited for more than a second at the end of the run.
  const double end_s = to_seconds(r.simulated_ns);
  bool blocked = false;
  for (const auto& w : m.waiting) blocked = blocked || end_s - w.since_s > 1.0;
  a->mutex = {{"requests", m.requests},
              {"entries", m.entries},
              {"messages", msgs},
              {"messages_per_entry", round6(per_entry)},
              {"expected_messages_per_entry", 3 * (n - 1)},
              {"blocked", blocked},
              {"waiting_at_end", waiting}};
  a->mutex_line =
      blocked ? fmt::format("BLOCKED: {} request(s) waiting since {:.3f} s — Lamport's algorithm needs "
                            "an acknowledgement from every node, and a crashed or unreachable node never "
                            "sends one ({} entries before)",
                            m.waiting.size(), m.waiting.front().since_s, m.entries)
              : fmt::format("{} entries, {:.2f} messages per entry (3(N-1) = {})", m.entries, per_entry,
                            3 * (n - 1));
}

// Replicas that must converge (lamport-lww): do the live nodes hold the same state at the end?
void convergence_section(const RunResult& r, RunAnalysis* a) {
  std::map<std::string, std::vector<std::string>> by_state;
  for (const auto& [node, digest] : r.final_digests)
    by_state[digest].push_back(r.scenario.cluster.node_names[node]);
  ojson groups = ojson::array();
  for (const auto& [digest, nodes] : by_state) groups.push_back({{"nodes", nodes}, {"state_bytes", digest.size()}});
  const bool converged = by_state.size() == 1;
  a->convergence = {{"compared", r.final_digests.size()},
                    {"converged", converged},
                    {"distinct_states", by_state.size()},
                    {"groups", groups}};
  a->convergence_line = converged
                            ? fmt::format("all {} live replicas hold the same state", r.final_digests.size())
                            : fmt::format("NOT converged: {} distinct states among {} live replicas",
                                          by_state.size(), r.final_digests.size());
}

}  // namespace

bool run_is_unsafe(const RunResult& r, const RunAnalysis& a) {
  return !a.invariants.violations.empty() || !a.lost_writes.empty() ||
         (a.verdict == "not-linearizable" && protocol_traits(r.scenario.protocol.name).promises_linearizability);
}

RunAnalysis analyze_run(const RunResult& r, const AnalysisOptions& options) {
  RunAnalysis a;
  a.invariants = analysis::check_protocol_invariants(r.scenario.protocol.name, r.events,
                                                     r.scenario.cluster.node_names);
  a.invariants.checked.push_back("node-invariants");
  for (const auto& v : r.node_violations) a.invariants.violations.push_back(v);
  const ProtocolTraits traits = protocol_traits(r.scenario.protocol.name);
  if (traits.replicated_log) a.lost_writes = find_lost_writes(r);

  // Linearizability of the history exactly as written to history.jsonl: the file a user can
  // re-check with `synod check` is the one this verdict is about.
  a.history_text = history_jsonl(r);
  std::istringstream in(a.history_text);
  analysis::History history = analysis::parse_history_jsonl(in, "history.jsonl");
  analysis::CheckOptions check_options;
  check_options.timeout_s = options.check_timeout_s;
  analysis::CheckResult check = analysis::check(history, analysis::Model::Register, check_options);
  a.verdict = std::string(analysis::to_string(check.verdict));
  // Timing stays out of report.json (it would break byte-identical reruns); the summary line
  // carries it.
  a.consistency = ojson::parse(analysis::to_json(check, /*include_timing=*/false).dump());
  a.consistency["promised"] = traits.promises_linearizability;
  if (traits.replicated_log) {
    a.consistency["lost_acknowledged_writes"] = a.lost_writes;
    a.consistency_line = fmt::format("{}; lost acknowledged writes: {}",
                                     analysis::summary_line(check), a.lost_writes.size());
  } else {
    a.consistency_line = analysis::summary_line(check);
  }
  if (!traits.promises_linearizability && a.verdict == "not-linearizable")
    a.consistency_line += fmt::format(" ({} does not promise linearizability)", r.scenario.protocol.name);
  if (history.ops.empty()) a.consistency_line = "no client operations";

  // Lamport's clock condition on the transport's trace: a → b implies C(a) < C(b).
  analysis::HbOptions hb_options;
  hb_options.seed = r.scenario.seed;
  analysis::HbReport hb = analysis::check_happens_before(r.trace, hb_options);
  a.clocks = analysis::to_json(hb, r.trace);
  a.clocks_line = fmt::format("{} events, {} message edges, {} pairs sampled ({} concurrent): {}",
                              hb.events, hb.message_edges, hb.pairs_sampled, hb.concurrent_pairs,
                              hb.ok() ? "0 violations" : fmt::format("{} VIOLATIONS", hb.violation_count));
  if (!hb.ok())
    for (const auto& v : hb.violations)
      a.invariants.violations.push_back({0, "clock-condition", v.kind + ": " + v.detail});
  a.invariants.checked.push_back("clock-condition");

  if (r.scenario.protocol.name == "lamport-mutex") mutex_section(r, &a);
  if (!r.final_digests.empty()) convergence_section(r, &a);
  return a;
}

ojson build_report(const RunResult& r, const RunAnalysis& a) {
  const Scenario& s = r.scenario;
  OpStats ops = op_stats(r);
  ojson j;
  j["schema_version"] = kReportSchemaVersion;
  j["scenario"] = s.name;
  j["protocol"] = s.protocol.name;
  j["seed"] = s.seed;
  j["simulated_seconds"] = to_seconds(r.simulated_ns);
  j["nodes"] = s.node_count();
  j["clients"] = s.workload.clients;
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
  if (!a.mutex.is_null()) j["mutex"] = a.mutex;
  if (!a.convergence.is_null()) j["convergence"] = a.convergence;
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

std::string history_jsonl(const RunResult& r) {
  std::string out;
  for (const HistoryOp& h : r.history) {
    ojson j;
    j["process"] = h.process;
    j["type"] = history_type_name(h.type);
    j["f"] = op_name(h.f);
    j["key"] = h.key;
    if (h.f == OpType::Cas)
      j["value"] = {h.expected, h.value.value_or(0)};
    else if (h.value)
      j["value"] = *h.value;
    else
      j["value"] = nullptr;
    j["time"] = to_seconds(h.time);
    out += j.dump();
    out += '\n';
  }
  return out;
}

std::string events_jsonl(const RunResult& r) {
  std::string out;
  for (const auto& e : r.events) {
    out += analysis::to_json(e, r.scenario.cluster.node_names).dump();
    out += '\n';
  }
  return out;
}

std::string messages_jsonl(const RunResult& r) {
  std::string out;
  for (size_t i = 0; i < r.trace.size() && i < r.trace_detail.size(); ++i) {
    const auto& t = r.trace[i];
    const auto& d = r.trace_detail[i];
    auto name = [&](Address a) {
      return a < r.scenario.node_count() ? r.scenario.cluster.node_names[a]
                                         : fmt::format("client{}", a - r.scenario.node_count() + 1);
    };
    ojson j;
    j["time"] = to_seconds(d.time);
    j["node"] = name(t.node);
    j["kind"] = analysis::trace_kind_name(t.kind);
    j[t.kind == analysis::TraceKind::Send ? "to" : "from"] = name(d.peer);
    j["message"] = t.message;
    j["lamport"] = t.lamport;
    if (!t.vector.empty()) j["vector"] = t.vector;
    j["what"] = d.text;
    out += j.dump();
    out += '\n';
  }
  return out;
}

std::string timeline_csv(const ojson& report) {
  const auto& tl = report["timeline"];
  const double window_s = tl["window_s"].get<double>();
  std::string out = "t_s,ok,fail,info,ok_per_s,p50_ms,p99_ms\n";
  for (const auto& w : tl["windows"])
    out += fmt::format("{},{},{},{},{},{},{}\n", w["t_s"].get<double>(), w["ok"].get<uint64_t>(),
                       w["fail"].get<uint64_t>(), w["info"].get<uint64_t>(),
                       w["ok"].get<uint64_t>() / window_s, w["p50_ms"].get<double>(),
                       w["p99_ms"].get<double>());
  return out;
}

std::string text_summary(const RunResult& r, const RunAnalysis& a, const ojson& j) {
  std::string out;
  auto line = [&](const std::string& k, const std::string& v) {
    out += fmt::format("  {:<22} {}\n", k, v);
  };
  out += fmt::format("synod: {} — {} on {} nodes, seed {}, {} simulated\n", r.scenario.name,
                     r.scenario.protocol.name, r.scenario.node_count(), r.scenario.seed,
                     format_duration(r.simulated_ns));
  const auto& ops = j["ops"];
  line("operations", fmt::format("{} invoked: {} ok, {} fail, {} info", ops["invoked"].get<uint64_t>(),
                                 ops["ok"].get<uint64_t>(), ops["fail"].get<uint64_t>(),
                                 ops["info"].get<uint64_t>()));
  line("throughput", fmt::format("{:.1f} ok ops/s", j["throughput_ok_per_s"].get<double>()));
  const auto& l = j["latency_ms"];
  line("latency (ok ops)", fmt::format("p50 {:.2f} ms  p90 {:.2f} ms  p99 {:.2f} ms  max {:.2f} ms",
                                       l["p50"].get<double>(), l["p90"].get<double>(),
                                       l["p99"].get<double>(), l["max"].get<double>()));
  line("elections", fmt::format("{} started, {} leaders elected", r.elections_started,
                                r.leaders_elected));
  const auto& m = j["messages"];
  line("messages", fmt::format("{} sent, {} delivered, {} dropped, {} duplicated",
                               m["sent"].get<uint64_t>(), m["delivered"].get<uint64_t>(),
                               m["dropped"].get<uint64_t>(), m["duplicated"].get<uint64_t>()));
  line("availability", fmt::format("longest stretch without an ok op: {:.3f} s (from {:.3f} s)",
                                   j["availability"]["longest_gap_s"].get<double>(),
                                   j["availability"]["longest_gap_from_s"].get<double>()));
  line("faults", fmt::format("{} nemesis actions", r.faults.size()));
  line("invariants", a.invariants.violations.empty()
                         ? fmt::format("{} checked, 0 violations", a.invariants.checked.size())
                         : fmt::format("{} VIOLATIONS", a.invariants.violations.size()));
  for (size_t i = 0; i < a.invariants.violations.size() && i < 5; ++i) {
    const auto& v = a.invariants.violations[i];
    out += fmt::format("    {:.6f}s {}: {}\n", v.time_s, v.name, v.detail);
  }
  line("consistency", a.consistency_line);
  line("clock condition", a.clocks_line);
  if (!a.mutex_line.empty()) line("mutual exclusion", a.mutex_line);
  if (!a.convergence_line.empty()) line("convergence", a.convergence_line);
  line("simulation speed", fmt::format("{:.1f} simulated s per wall s ({:.2f} s wall)",
                                       r.wall_seconds > 0 ? to_seconds(r.simulated_ns) / r.wall_seconds : 0.0,
                                       r.wall_seconds));
  return out;
}

void write_outputs(const std::string& dir, const RunResult& r, const RunAnalysis& a,
                   const ojson& report) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw std::runtime_error(fmt::format("{}: exists and is not a directory", dir));
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("{}: cannot create directory: {}", dir, ec.message()));
  auto write = [&](const std::string& name, const std::string& text) {
    std::string path = (fs::path(dir) / name).string();
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error(fmt::format("{}: cannot write", path));
    f << text;
    if (!f) throw std::runtime_error(fmt::format("{}: write failed", path));
  };
  write("report.json", report.dump(2) + "\n");
  write("history.jsonl", a.history_text);
  write("events.jsonl", events_jsonl(r));
  write("timeline.csv", timeline_csv(report));
  if (r.scenario.trace.messages) write("messages.jsonl", messages_jsonl(r));
  const auto& formats = r.scenario.report.formats;
  if (std::find(formats.begin(), formats.end(), "html") != formats.end())
    write("report.html", html_report(r, a, report));
}

}  // namespace synod::sim
