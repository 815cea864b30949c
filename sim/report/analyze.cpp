// The analysis of one run: the protocol's invariants (through its family's hooks) and the nodes'
// own, lost acknowledged writes, linearizability of the history as written, the clock condition,
// the family's report sections and the replicas' convergence.
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "analysis/linearizability.hpp"
#include "sim/report/report.hpp"

namespace synod::sim {

namespace {

using ojson = nlohmann::ordered_json;

// "c3#17 write k1 5" → "c3#17".
std::string command_id(const std::string& command) {
  return command.substr(0, command.find(' '));
}

// Acknowledged writes (ok write or cas) whose command is not in the log applied by the node that
// applied the most in its latest incarnation — in a sharded run, per replica group (each group's
// log holds its own keys' commands). A command's id is (process, n-th op of process).
std::vector<std::string> find_lost_writes(const RunResult& r) {
  // (group, node) → (latest incarnation, ids applied in it)
  std::map<std::pair<int, int>, std::pair<uint32_t, std::set<std::string>>> applied;
  for (const auto& e : r.events) {
    if (e.type != "apply") continue;
    auto& [inc, ids] = applied[{e.group, e.node}];
    if (e.incarnation != inc) {
      inc = e.incarnation;
      ids.clear();
    }
    ids.insert(command_id(e.command));
  }
  std::map<int, const std::set<std::string>*> final_logs;  // group → its longest applied log
  for (const auto& [at, v] : applied) {
    const std::set<std::string>*& best = final_logs[at.first];
    if (!best || v.second.size() > best->size()) best = &v.second;
  }
  std::set<std::string> final_ids;  // the union: an id is one command, in one group's log
  for (const auto& [g, log] : final_logs) final_ids.insert(log->begin(), log->end());
  auto in_final_log = [&](const std::string& id) { return final_ids.count(id) > 0; };
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
    if (!in_final_log(id))
      lost.push_back(fmt::format("{} {} {} = {} acknowledged at {:.6f}s", id, op_name(h.f), h.key,
                                 h.value.value_or(0), to_seconds(h.time)));
  }
  return lost;
}

// Replicas that must converge (lamport-lww): do the live nodes hold the same state at the end?
ReportSection convergence_section(const RunResult& r) {
  std::map<std::string, std::vector<std::string>> by_state;
  for (const auto& [node, digest] : r.final_digests)
    by_state[digest].push_back(r.scenario.cluster.node_names[node]);
  ojson groups = ojson::array();
  for (const auto& [digest, nodes] : by_state) groups.push_back({{"nodes", nodes}, {"state_bytes", digest.size()}});
  const bool converged = by_state.size() == 1;
  ReportSection s;
  s.key = "convergence";
  s.label = "convergence";
  s.json = {{"compared", r.final_digests.size()},
                    {"converged", converged},
                    {"distinct_states", by_state.size()},
                    {"groups", groups}};
  s.line = converged
                            ? fmt::format("all {} live replicas hold the same state", r.final_digests.size())
                            : fmt::format("NOT converged: {} distinct states among {} live replicas",
                                          by_state.size(), r.final_digests.size());
  return s;
}

}  // namespace

bool run_is_unsafe(const RunAnalysis& a) {
  for (const ReportSection& s : a.sections)
    if (s.unsafe) return true;
  return !a.invariants.violations.empty() || !a.lost_writes.empty() ||
         (a.verdict == "not-linearizable" && a.promised_linearizability);
}

std::vector<std::string> unsafe_kinds(const RunAnalysis& a) {
  std::set<std::string> kinds;
  for (const auto& v : a.invariants.violations) kinds.insert("invariant:" + v.name);
  if (!a.lost_writes.empty()) kinds.insert("lost-acknowledged-writes");
  if (a.verdict == "not-linearizable" && a.promised_linearizability) kinds.insert("not-linearizable");
  for (const ReportSection& s : a.sections)
    if (s.unsafe) kinds.insert("section:" + s.key);
  return {kinds.begin(), kinds.end()};
}

RunAnalysis analyze_run(const RunResult& r, const AnalysisHooks& hooks, const AnalysisOptions& options) {
  RunAnalysis a;
  if (hooks.invariants) a.invariants = hooks.invariants(r.events, r.scenario.cluster.node_names);
  a.invariants.checked.push_back("node-invariants");
  for (const auto& v : r.node_violations) a.invariants.violations.push_back(v);
  const ProtocolTraits& traits = hooks.traits;
  a.promised_linearizability = traits.promises_linearizability;
  a.kv_clients = traits.kv_clients;
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
  if (!r.scenario.trace.clock_check) {
    a.clocks = {{"checked", false}};
    a.clocks_line = "not checked (trace: {clock_check: false})";
  } else {
    a.clocks_line =
        fmt::format("{} events, {} message edges, {} pairs sampled ({} concurrent): {}", hb.events,
                    hb.message_edges, hb.pairs_sampled, hb.concurrent_pairs,
                    hb.ok() ? "0 violations" : fmt::format("{} VIOLATIONS", hb.violation_count));
    for (const auto& v : hb.violations)
      a.invariants.violations.push_back({0, "clock-condition", v.kind + ": " + v.detail});
    a.invariants.checked.push_back("clock-condition");
  }

  if (hooks.sections) hooks.sections(r, &a);
  if (!r.final_digests.empty() && traits.compare_digests) a.sections.push_back(convergence_section(r));
  return a;
}

}  // namespace synod::sim
