// `synod compare`'s table: one scenario, several protocols, many seeds. The runs themselves are
// made by the command (sim/cli/compare_command.cpp), each in a process of its own; this reads
// their report.json files back in (protocol, seed) order, so the table, compare.json and
// compare.csv do not depend on how many runs went in parallel or in which order they finished.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/scenario/scenario.hpp"

namespace synod::sim {

struct CompareOptions {
  // What varies between the rows: the protocols (--protocols) or one key's values (--vary);
  // `labels` name the rows, in order ("raft", "policy=pull").
  std::string label_kind = "protocol";  // "protocol" | "variant"
  std::vector<std::string> labels;
  std::vector<uint64_t> seeds;
  std::string out_dir;
  int jobs = 1;
  bool keep_runs = false;  // also keep each run's history.jsonl, events.jsonl, timeline.csv
  double check_timeout_s = 60;
};

// "1-20" | "3" | "1,4,9" | "1-5,10" → seeds. False if malformed.
bool parse_seed_list(const std::string& text, std::vector<uint64_t>* out);

// "pull,random" → {"pull", "random"}; commas inside [], {} or quotes do not split
// ("{policy: fixed, ttl: 10m},{policy: histogram}" is two values). False if brackets do not match.
bool split_values(const std::string& text, std::vector<std::string>* out);

// One finished run: where its report.json is and how its process ended (0 safe, 1 unsafe,
// anything else: it failed).
struct CompareRun {
  std::string label;  // its row
  uint64_t seed = 0;
  std::string dir;
  int status = -1;
};

struct CompareResult {
  nlohmann::ordered_json summary;  // compare.json
  std::string table;               // for the terminal
  std::string csv;                 // compare.csv: one row per run
  bool all_safe = true;
};

// Reads every run's report.json (in the order of `runs`), builds the table and writes
// compare.json and compare.csv into options.out_dir. Throws std::runtime_error on I/O failure or a
// run that failed.
CompareResult summarize_compare(const Scenario& scenario, const CompareOptions& options,
                                const std::vector<CompareRun>& runs);

}  // namespace synod::sim
