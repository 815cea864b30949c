// From a run record to what a user reads: the analysis of the run (invariants, durability,
// linearizability, metrics; analyze.cpp), report.json (schema in docs/report.md; report_json.cpp)
// and the other outputs — history.jsonl, events.jsonl, timeline.csv and a terminal summary
// (outputs.cpp). report.json holds nothing that varies between two runs of
// the same scenario and seed (no wall-clock time), so it is byte-identical across reruns.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/events.hpp"
#include "sim/engine/runner.hpp"

namespace synod::sim {

constexpr int kReportSchemaVersion = 1;

// What the analysis needs to know about the protocol that ran: its promises decide what is a
// safety problem.
struct ProtocolTraits {
  bool replicated_log = false;            // applies a log (apply events): lost-write check applies
  bool promises_linearizability = false;  // a non-linearizable history is a safety problem
  // Served by key-value clients (a history to check). False for workload families (tasks,
  // invocations): the summary and report.html then leave out the key-value lines and charts, which
  // would only say "0 ops" (report.json keeps them, with zeros, so its schema is one).
  bool kv_clients = true;
  // The live nodes' state digests must be equal at the end (replicas of one whole state). False
  // for stores whose nodes hold different parts (the quorum store reads the digests itself).
  bool compare_digests = true;
};

// A protocol's own part of the report: report.json[key], a line of the terminal summary, and
// optionally a part of report.html (svg.hpp has charts and tables for it). A section whose `unsafe`
// is set is a safety problem (synod run exits 1): a lost task, a broken ledger.
struct ReportSection {
  std::string key;    // report.json key ("mutex")
  nlohmann::ordered_json json;
  std::string label;  // terminal summary label ("mutual exclusion")
  std::string line;
  std::vector<std::pair<std::string, std::string>> more_lines;  // further (label, line) pairs
  std::string html;   // inserted under a heading `label`; empty: none
  bool unsafe = false;
};

struct RunAnalysis;

// How a protocol family takes part in the analysis of its runs (its Family entry holds one).
struct AnalysisHooks {
  ProtocolTraits traits;
  // Cluster-wide invariants checked on the run's events; empty: none from events.
  std::function<analysis::InvariantReport(const std::vector<analysis::RunEvent>& events,
                                          const std::vector<std::string>& node_names)>
      invariants;
  // The family's report sections (appended to a->sections); empty: none.
  std::function<void(const RunResult& r, RunAnalysis* a)> sections;
};

struct RunAnalysis {
  analysis::InvariantReport invariants;  // cluster-wide checks plus the nodes' own
  std::vector<std::string> lost_writes;  // acknowledged writes missing from the final log
  std::string verdict;                   // linearizable | not-linearizable | unknown
  bool promised_linearizability = false;
  bool kv_clients = true;
  nlohmann::ordered_json consistency;
  std::string consistency_line;          // one line for the terminal summary
  std::string history_text;              // history.jsonl, as checked and as written
  // The clock condition on the message trace (every protocol).
  nlohmann::ordered_json clocks;
  std::string clocks_line;
  // The protocol family's sections, then the replicas' convergence (protocols that expose a
  // state digest), in report.json order.
  std::vector<ReportSection> sections;
};

struct AnalysisOptions {
  double check_timeout_s = 60;  // linearizability budget; past it the verdict is "unknown"
};

RunAnalysis analyze_run(const RunResult& r, const AnalysisHooks& hooks,
                        const AnalysisOptions& options = {});

// A safety problem: an invariant violation, a lost acknowledged write, or a non-linearizable
// history from a protocol that promises linearizability. `synod run` exits 1 on it.
bool run_is_unsafe(const RunAnalysis& a);
// What made a run unsafe, as short sorted names ("invariant:election-safety",
// "lost-acknowledged-writes", "not-linearizable", "section:<key>"); empty for a safe run.
std::vector<std::string> unsafe_kinds(const RunAnalysis& a);
// Latencies (ms, sorted) of the operations that completed ok: the reads, or the updates (writes
// and compare-and-sets).
std::vector<double> ok_latencies_ms(const RunResult& r, bool reads);
nlohmann::ordered_json build_report(const RunResult& r, const RunAnalysis& a);
std::string history_jsonl(const RunResult& r);
void write_events_jsonl(const RunResult& r, std::ostream& out);
std::string timeline_csv(const nlohmann::ordered_json& report);
void write_messages_jsonl(const RunResult& r, std::ostream& out);  // with scenario.trace.messages
std::string text_summary(const RunResult& r, const RunAnalysis& a,
                         const nlohmann::ordered_json& report);

// Writes report.json, history.jsonl, events.jsonl and timeline.csv into `dir` (created if needed). Throws
// std::runtime_error naming the path if it cannot.
void write_outputs(const std::string& dir, const RunResult& r, const RunAnalysis& a,
                   const nlohmann::ordered_json& report);
// Before a run: may its outputs go into `dir`? Throws std::runtime_error naming the path if `dir`
// is a file, or holds a file of an output's name that no synod run wrote (its report.json is not
// one of ours): nothing of the user's is overwritten. Returns true if `dir` holds an earlier
// run's outputs, which the run replaces (the summary says so). Other files are left alone.
bool check_output_dir(const std::string& dir);

}  // namespace synod::sim
