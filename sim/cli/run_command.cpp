// `synod run SCENARIO`: load, simulate, analyse, write the outputs, print the summary.
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include <fmt/format.h>

#include "protocols/common/duration.hpp"
#include "sim/cli/commands.hpp"
#include "sim/families/registry.hpp"
#include "sim/report/report.hpp"

namespace synod::cli {

bool load_scenario_flag(const std::string& file, sim::Scenario* out) {
  try {
    *out = sim::registry::load(file);
    const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) *
                          static_cast<double>(sysconf(_SC_PAGE_SIZE));
    sim::check_fits_in_memory(*out, memory);
    return true;
  } catch (const sim::ScenarioError& e) {
    std::cerr << "synod: " << e.what() << "\n";
    return false;
  }
}

int run_command(const RunFlags& flags) {
  using namespace synod::sim;
  Scenario s;
  if (!load_scenario_flag(flags.scenario_file, &s)) return 2;
  std::string out_dir = flags.out_dir;
  if (out_dir.empty()) out_dir = s.report.out_dir.empty() ? "out/" + s.name : s.report.out_dir;
  bool replacing = false;
  try {
    replacing = check_output_dir(out_dir);  // before the run, not after it
  } catch (const std::exception& e) {
    std::cerr << "synod: " << e.what() << "\n";
    return 2;
  }
  RunResult r;
  try {
    r = registry::run(s, flags.seed.value_or(s.seed));
  } catch (const std::exception& e) {
    // Problems only visible when the platform is built (an XML file without a node's host, ...).
    std::cerr << "synod: " << e.what() << "\n";
    return 2;
  }
  AnalysisOptions options;
  options.check_timeout_s = flags.check_timeout_s;
  RunAnalysis a = registry::analyze(r, options);
  auto report = build_report(r, a);
  try {
    write_outputs(out_dir, r, a, report);
  } catch (const std::exception& e) {
    std::cerr << "synod: " << e.what() << "\n";
    return 2;
  }
  const auto& formats = s.report.formats;
  if (!flags.quiet && std::find(formats.begin(), formats.end(), "text") != formats.end()) {
    std::cout << text_summary(r, a, report);
    const bool html = std::find(formats.begin(), formats.end(), "html") != formats.end();
    std::cout << fmt::format("  {:<22} {}/report.json, history.jsonl, events.jsonl, timeline.csv{}{}\n",
                             "wrote", out_dir, html ? ", report.html" : "",
                             replacing ? " (replacing an earlier run's)" : "");
  }
  const bool unsafe = run_is_unsafe(a);
  if (unsafe)
    std::cerr << fmt::format("synod: safety problem found; replay with: synod run {} --seed {}\n",
                             flags.scenario_file, r.scenario.seed);
  return unsafe ? 1 : 0;
}

}  // namespace synod::cli
