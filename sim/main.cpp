// synod: the command line.
//   synod run SCENARIO [--seed N] [--out DIR] [--quiet]   simulate, check, report
//   synod check --model register|kv FILE                  check a history alone
//   synod compare SCENARIO --protocols a,b --seeds 1-20   the same scenario under several protocols
// Exit codes: 0 success; 1 the run found a safety problem (invariant violation, lost acknowledged
// write, non-linearizable history); 2 bad input (scenario, history, arguments) or an I/O error.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analysis/linearizability.hpp"
#include "sim/compare.hpp"
#include "sim/report.hpp"
#include "sim/runner.hpp"
#include "sim/scenario.hpp"

namespace {

int run_command(const std::string& file, std::optional<uint64_t> seed, std::string out_dir,
                bool quiet, double check_timeout_s) {
  using namespace synod::sim;
  Scenario s;
  try {
    s = load_scenario(file);
  } catch (const ScenarioError& e) {
    std::cerr << "synod: " << e.what() << "\n";
    return 2;
  }
  if (out_dir.empty()) out_dir = s.report.out_dir.empty() ? "out/" + s.name : s.report.out_dir;
  RunResult r;
  try {
    r = run_scenario(s, seed.value_or(s.seed));
  } catch (const std::exception& e) {
    // Problems only visible when the platform is built (an XML file without a node's host, ...).
    std::cerr << "synod: " << e.what() << "\n";
    return 2;
  }
  AnalysisOptions options;
  options.check_timeout_s = check_timeout_s;
  RunAnalysis a = analyze_run(r, options);
  auto report = build_report(r, a);
  try {
    write_outputs(out_dir, r, a, report);
  } catch (const std::exception& e) {
    std::cerr << "synod: " << e.what() << "\n";
    return 2;
  }
  const auto& formats = s.report.formats;
  if (!quiet && std::find(formats.begin(), formats.end(), "text") != formats.end()) {
    std::cout << text_summary(r, a, report);
    const bool html = std::find(formats.begin(), formats.end(), "html") != formats.end();
    std::cout << fmt::format("  {:<22} {}/report.json, history.jsonl, events.jsonl, timeline.csv{}\n",
                             "wrote", out_dir, html ? ", report.html" : "");
  }
  const bool unsafe = run_is_unsafe(r, a);
  if (unsafe)
    std::cerr << fmt::format("synod: safety problem found; replay with: synod run {} --seed {}\n",
                             file, r.scenario.seed);
  return unsafe ? 1 : 0;
}

int compare_command(const std::string& file, const std::string& protocols,
                    const std::string& seeds, std::string out_dir, int jobs, bool keep_runs,
                    double check_timeout_s) {
  using namespace synod::sim;
  Scenario s;
  try {
    s = load_scenario(file);
  } catch (const ScenarioError& e) {
    std::cerr << "synod: " << e.what() << "\n";
    return 2;
  }
  CompareOptions o;
  std::stringstream ss(protocols);
  std::string p;
  while (std::getline(ss, p, ',')) {
    const auto& known = known_protocols();
    if (std::find(known.begin(), known.end(), p) == known.end()) {
      std::cerr << fmt::format("synod: --protocols: unknown protocol '{}' (known: {})\n", p,
                               fmt::join(known, ", "));
      return 2;
    }
    o.protocols.push_back(p);
  }
  if (o.protocols.empty()) {
    std::cerr << "synod: --protocols: expected a list like raft,multipaxos\n";
    return 2;
  }
  if (!parse_seed_list(seeds, &o.seeds)) {
    std::cerr << "synod: --seeds: expected seeds like 1-20 or 1,5,9, got '" << seeds << "'\n";
    return 2;
  }
  o.out_dir = out_dir.empty() ? "out/" + s.name + "-compare" : out_dir;
  o.jobs = jobs > 0 ? jobs : static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  o.keep_runs = keep_runs;
  o.check_timeout_s = check_timeout_s;
  CompareResult r;
  try {
    r = run_compare(s, o);
  } catch (const std::exception& e) {
    std::cerr << "synod: compare: " << e.what() << "\n";
    return 2;
  }
  std::cout << fmt::format("synod compare: {} — {} seeds ({}), mean [min..max] across seeds\n",
                           s.name, o.seeds.size(), seeds);
  std::cout << r.table;
  std::cout << fmt::format("wrote {}/compare.json, compare.csv\n", o.out_dir);
  if (!r.all_safe) std::cerr << "synod: compare: some runs found safety problems (see compare.csv)\n";
  return r.all_safe ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"synod: simulate clusters running consensus protocols, check what happened"};
  app.require_subcommand(1);

  auto* run = app.add_subcommand("run", "simulate a scenario file and report");
  std::string scenario_file, out_dir;
  std::optional<uint64_t> seed;
  bool quiet = false;
  run->add_option("scenario", scenario_file, "scenario YAML file")->required();
  run->add_option("--seed", seed, "seed (overrides the scenario's)");
  run->add_option("--out", out_dir, "output directory (default: the scenario's report.out, or out/<name>)");
  run->add_flag("--quiet,-q", quiet, "print nothing on success");
  std::string run_check_timeout = "60s";
  run->add_option("--check-timeout", run_check_timeout,
                  "linearizability check budget (e.g. 60s); past it the verdict is unknown");

  auto* check = app.add_subcommand("check", "check a history for linearizability");
  std::string model = "register", format, check_timeout = "30s", history_file;
  bool json = false;
  check->add_option("--model", model, "register | kv")->capture_default_str();
  check->add_option("--format", format, "jsonl | jepsen (default: guessed from the first line)");
  check->add_option("--timeout", check_timeout, "budget, e.g. 30s; past it the verdict is unknown")
      ->capture_default_str();
  check->add_flag("--json", json, "print the result as JSON");
  check->add_option("history", history_file, "history file (JSON Lines or Jepsen EDN)")->required();

  auto* compare = app.add_subcommand("compare", "run a scenario under several protocols and seeds");
  std::string compare_file, compare_protocols = "raft", compare_seeds = "1-20", compare_out;
  int jobs = 0;
  bool keep_runs = false;
  compare->add_option("scenario", compare_file, "scenario YAML file")->required();
  compare->add_option("--protocols", compare_protocols, "comma-separated, e.g. raft,multipaxos,paxos")
      ->capture_default_str();
  compare->add_option("--seeds", compare_seeds, "e.g. 1-20 or 1,5,9")->capture_default_str();
  compare->add_option("--out", compare_out, "output directory (default: out/<name>-compare)");
  compare->add_option("--jobs,-j", jobs, "runs in parallel (default: the number of cores)");
  compare->add_flag("--keep-runs", keep_runs, "keep every run's history, events and timeline");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (run->parsed()) {
    auto t = synod::analysis::parse_duration_s(run_check_timeout);
    if (!t) {
      std::cerr << "synod: --check-timeout: expected a duration like 60s, got '" << run_check_timeout
                << "'\n";
      return 2;
    }
    return run_command(scenario_file, seed, out_dir, quiet, *t);
  }
  if (compare->parsed()) {
    auto t = synod::analysis::parse_duration_s(run_check_timeout);
    return compare_command(compare_file, compare_protocols, compare_seeds, compare_out, jobs,
                           keep_runs, t.value_or(60));
  }
  if (check->parsed()) {
    synod::analysis::CheckCommandOptions o;
    auto m = synod::analysis::parse_model(model);
    if (!m) {
      std::cerr << "synod: --model: expected register or kv, got '" << model << "'\n";
      return 2;
    }
    o.model = *m;
    if (format == "jsonl") {
      o.format = synod::analysis::HistoryFormat::Jsonl;
    } else if (format == "jepsen" || format == "edn") {
      o.format = synod::analysis::HistoryFormat::Edn;
    } else if (!format.empty()) {
      std::cerr << "synod: --format: expected jsonl or jepsen, got '" << format << "'\n";
      return 2;
    }
    auto t = synod::analysis::parse_duration_s(check_timeout);
    if (!t) {
      std::cerr << "synod: --timeout: expected a duration like 30s, got '" << check_timeout << "'\n";
      return 2;
    }
    o.timeout_s = *t;
    o.json = json;
    o.file = history_file;
    return synod::analysis::run_check_command(o, std::cout, std::cerr);
  }
  return 2;
}
