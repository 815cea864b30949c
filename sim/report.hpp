// From a run record to what a user reads: the analysis of the run (invariants, durability,
// linearizability, metrics) and its outputs — report.json (schema in docs/report.md), history.jsonl,
// events.jsonl and a terminal summary. report.json holds nothing that varies between two runs of
// the same scenario and seed (no wall-clock time), so it is byte-identical across reruns.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "analysis/events.hpp"
#include "sim/runner.hpp"

namespace synod::sim {

constexpr int kReportSchemaVersion = 1;

struct RunAnalysis {
  analysis::InvariantReport invariants;  // cluster-wide checks plus the nodes' own
  std::vector<std::string> lost_writes;  // acknowledged writes missing from the final log
  std::string verdict;                   // linearizable | not-linearizable | unknown
  nlohmann::ordered_json consistency;
  std::string consistency_line;          // one line for the terminal summary
  std::string history_text;              // history.jsonl, as checked and as written
  // The clock condition on the message trace (every protocol), the mutual-exclusion summary
  // (lamport-mutex) and the replicas' convergence (protocols that expose a state digest).
  nlohmann::ordered_json clocks;
  std::string clocks_line;
  nlohmann::ordered_json mutex;  // null unless lamport-mutex
  std::string mutex_line;
  nlohmann::ordered_json convergence;  // null unless the protocol exposes digests
  std::string convergence_line;
};

struct AnalysisOptions {
  double check_timeout_s = 60;  // linearizability budget; past it the verdict is "unknown"
};

RunAnalysis analyze_run(const RunResult& r, const AnalysisOptions& options = {});

// A safety problem: an invariant violation, a lost acknowledged write, or a non-linearizable
// history from a protocol that promises linearizability. `synod run` exits 1 on it.
bool run_is_unsafe(const RunResult& r, const RunAnalysis& a);
nlohmann::ordered_json build_report(const RunResult& r, const RunAnalysis& a);
std::string history_jsonl(const RunResult& r);
std::string events_jsonl(const RunResult& r);
std::string timeline_csv(const nlohmann::ordered_json& report);
std::string messages_jsonl(const RunResult& r);  // with scenario.trace.messages
std::string text_summary(const RunResult& r, const RunAnalysis& a,
                         const nlohmann::ordered_json& report);

// Writes report.json, history.jsonl, events.jsonl and timeline.csv into `dir` (created if needed). Throws
// std::runtime_error naming the path if it cannot.
void write_outputs(const std::string& dir, const RunResult& r, const RunAnalysis& a,
                   const nlohmann::ordered_json& report);

}  // namespace synod::sim
