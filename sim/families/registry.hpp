// The registered families (family.hpp), and the three steps of a run done with them: load a
// scenario, run it, analyse the run. The command line, compare and the tests go through here.
#pragma once

#include <string>
#include <vector>

#include "sim/families/family.hpp"

namespace synod::sim::registry {

// In registration order; the first is the default protocol.
const std::vector<Family>& families();
const Family* find(const std::string& name);  // null if unknown
std::vector<std::string> names();
// The protocol sections the loader knows: one schema per family.
const ProtocolSchemas& schemas();

// load_scenario() with the registered protocols. Throws ScenarioError.
Scenario load(const std::string& path, const std::vector<Override>& overrides = {});
Scenario parse(const std::string& yaml_text, const std::string& file);
// run_scenario() with the scenario's family's nodes and workload.
RunResult run(const Scenario& scenario, uint64_t seed);
// analyze_run() with the scenario's family's hooks.
RunAnalysis analyze(const RunResult& r, const AnalysisOptions& options = {});

}  // namespace synod::sim::registry
