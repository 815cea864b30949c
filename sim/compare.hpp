// `synod compare`: one scenario, several protocols, many seeds, one table.
//
// Each (protocol, seed) run happens in a child process of its own (SimGrid allows one engine per
// process), up to `jobs` at a time; each child writes its report.json, and the parent reads them
// back in (protocol, seed) order. The table, compare.json and compare.csv therefore do not depend
// on how many runs went in parallel or in which order they finished.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/scenario.hpp"

namespace synod::sim {

struct CompareOptions {
  std::vector<std::string> protocols;
  std::vector<uint64_t> seeds;
  std::string out_dir;
  int jobs = 1;
  bool keep_runs = false;  // also keep each run's history.jsonl, events.jsonl, timeline.csv
  double check_timeout_s = 60;
};

// "1-20" | "3" | "1,4,9" | "1-5,10" → seeds. False if malformed.
bool parse_seed_list(const std::string& text, std::vector<uint64_t>* out);

// The scenario with another protocol: keys that apply to it are kept, the rest reset to defaults.
Scenario with_protocol(const Scenario& s, const std::string& protocol);

struct CompareResult {
  nlohmann::ordered_json summary;  // compare.json
  std::string table;               // for the terminal
  std::string csv;                 // compare.csv: one row per run
  bool all_safe = true;
};

// Runs everything and writes compare.json, compare.csv and runs/<protocol>/<seed>/ into out_dir.
// Throws std::runtime_error on I/O failure or a child that crashed.
CompareResult run_compare(const Scenario& scenario, const CompareOptions& options);

}  // namespace synod::sim
