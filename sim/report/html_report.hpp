// report.html: one self-contained page (inline CSS and SVG, no scripts, nothing fetched) that shows
// what happened in a run: the verdicts, the numbers, throughput and latency over time with fault
// windows shaded, each node's role over time, the faults and the messages by type.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sim/report/report.hpp"

namespace synod::sim {

std::string html_report(const RunResult& r, const RunAnalysis& a, const nlohmann::ordered_json& report);

}  // namespace synod::sim
