// The edits `synod shrink` tries on a scenario (sim/cli/shrink_command.cpp): each takes the
// scenario's YAML tree and gives the candidates of one step, most reduced first; none runs
// anything. The tree is edited rather than the loaded Scenario so the result is a file a person
// wrote, minus what was taken away (comments aside).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sim/scenario/scenario.hpp"

namespace synod::cli::shrink {

// Per fault index of a random fault: the fixed faults it fired (fault_yaml lines).
using Fired = std::map<size_t, std::vector<std::string>>;

std::string emit(const YAML::Node& doc);
YAML::Node flow(const std::string& text);  // parsed, in flow style ({...} on one line)
std::vector<YAML::Node> faults_of(const YAML::Node& doc);
YAML::Node with_faults(const YAML::Node& doc, const std::vector<YAML::Node>& faults);

// A fixed fault (as Nemesis::random_fired gives it) as one line of scenario YAML, e.g.
// "{at: 1.1s, for: 200ms, crash: [n2]}"; empty for a kind random faults never draw.
std::string fault_yaml(const sim::FaultSpec& f, const sim::Scenario& s);

// Every random fault replaced by what it fired; nullopt if there is none.
std::optional<YAML::Node> random_written_out(const YAML::Node& doc, const Fired& fired);
// The run cut just after the first violation (if known), or to 1/4, 1/2, 3/4: faults after the
// end go, `until` and the load's `stop` are clamped.
std::vector<YAML::Node> shorter_runs(const YAML::Node& doc, double first_violation_s);
// ddmin: the fault list cut into n chunks, each candidate without one of them.
std::vector<YAML::Node> without_chunks(const YAML::Node& doc, size_t n, size_t* chunk);
std::vector<YAML::Node> fewer_clients(const YAML::Node& doc);  // 1, 2, 1/4, 1/2 of them
std::vector<YAML::Node> lower_rates(const YAML::Node& doc);    // 1/8, 1/4, 1/2 of an N/s rate
std::vector<YAML::Node> fewer_keys(const YAML::Node& doc);     // 1, 2, half
std::vector<YAML::Node> writes_only(const YAML::Node& doc);
std::vector<YAML::Node> later_starts(const YAML::Node& doc);   // just before the first fault, halfway
// The last one or two nodes gone (a count only: named nodes are the user's); faults lose the
// names, a fault left without a target (or a partition of fewer than two groups) goes.
std::vector<YAML::Node> fewer_nodes(const YAML::Node& doc);

}  // namespace synod::cli::shrink
