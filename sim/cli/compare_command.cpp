// `synod compare SCENARIO --protocols a,b --seeds 1-20`: the same scenario under several
// protocols and seeds. Each (protocol, seed) run happens in a child process of its own (SimGrid
// allows one engine per process), up to `jobs` at a time; each child writes its report.json and
// the table is read back from those files (sim/report/compare.hpp), so it does not depend on how
// many runs went in parallel or in which order they finished.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/cli/children.hpp"
#include "sim/cli/commands.hpp"
#include "sim/families/registry.hpp"
#include "sim/report/compare.hpp"
#include "sim/report/report.hpp"

namespace synod::cli {

namespace {

namespace fs = std::filesystem;
using namespace synod::sim;

// The child: one run, its report (and, if asked, its other files) into run.dir. Exit code as
// `synod run`: 0 safe, 1 safety problem, 3 crashed.
[[noreturn]] void child_run(const Scenario& s, const CompareRun& run, const CompareOptions& o) {
  try {
    RunResult r = registry::run(s, run.seed);
    AnalysisOptions ao;
    ao.check_timeout_s = o.check_timeout_s;
    RunAnalysis a = registry::analyze(r, ao);
    nlohmann::ordered_json report = build_report(r, a);
    if (o.keep_runs) {
      write_outputs(run.dir, r, a, report);
    } else {
      fs::create_directories(run.dir);
      std::ofstream(fs::path(run.dir) / "report.json") << report.dump(2) << "\n";
    }
    const bool unsafe = run_is_unsafe(a);
    std::fflush(nullptr);
    _exit(unsafe ? 1 : 0);
  } catch (const std::exception& e) {
    fmt::print(stderr, "synod compare: {} seed {}: {}\n", run.label, run.seed, e.what());
    std::fflush(nullptr);
    _exit(3);
  }
}

// Up to `jobs` children at a time (children.hpp); fills in each run's exit status.
void run_all(const std::map<std::string, Scenario>& scenarios, const CompareOptions& o,
             std::vector<CompareRun>* runs) {
  fs::create_directories(o.out_dir);
  ChildPlan plan;
  plan.count = runs->size();
  plan.jobs = o.jobs;
  plan.should_start = [&](size_t i) {
    fs::remove_all((*runs)[i].dir);
    return true;
  };
  plan.child = [&](size_t i) { child_run(scenarios.at((*runs)[i].label), (*runs)[i], o); };
  plan.done = [&](size_t i, int status) { (*runs)[i].status = status; };
  run_children(plan);
}

// A directory name for a row label ("policy={a: 1}" → "policy=_a__1_").
std::string dir_name(const std::string& label) {
  std::string d;
  for (char c : label) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '=';
    d += ok ? c : '_';
  }
  return d;
}

}  // namespace

bool protocol_variants(const std::string& file, const Scenario& s, const std::string& protocols,
                       std::map<std::string, Scenario>* variants, std::vector<std::string>* labels) {
  std::stringstream ss(protocols.empty() ? s.protocol.name : protocols);
  std::string p;
  while (std::getline(ss, p, ',')) {
    if (registry::find(p) == nullptr) {
      std::cerr << fmt::format("synod: --protocols: unknown protocol '{}' (known: {})\n", p,
                               fmt::join(registry::names(), ", "));
      return false;
    }
    if (variants->count(p)) continue;
    try {
      (*variants)[p] = with_protocol(s, p, registry::schemas());
    } catch (const ScenarioError& e) {
      std::cerr << fmt::format("synod: {} as {}: {}\n", file, p, e.message);
      return false;
    }
    labels->push_back(p);
  }
  if (labels->empty()) {
    std::cerr << "synod: --protocols: expected a list like raft,multipaxos\n";
    return false;
  }
  return true;
}

int compare_command(const CompareFlags& flags) {
  Scenario s;
  if (!load_scenario_flag(flags.scenario_file, &s)) return 2;
  CompareOptions o;
  std::map<std::string, Scenario> variants;  // row label → the scenario it runs
  if (!flags.vary.empty() && !flags.protocols.empty()) {
    std::cerr << "synod: compare: give --protocols or --vary, not both\n";
    return 2;
  }
  if (!flags.vary.empty()) {
    Override base;
    std::vector<std::string> values;
    if (!parse_override(flags.vary, &base) || !split_values(base.value, &values)) {
      std::cerr << "synod: --vary: expected KEY=VALUE,VALUE,... like protocol.policy=pull,random, got '"
                << flags.vary << "'\n";
      return 2;
    }
    o.label_kind = "variant";
    for (const std::string& v : values) {
      Override one = base;
      one.value = v;
      const std::string label = base.path.back() + "=" + v;
      if (variants.count(label)) {
        std::cerr << fmt::format("synod: --vary: '{}' is listed twice\n", v);
        return 2;
      }
      try {
        variants[label] = registry::load(flags.scenario_file, {one});
      } catch (const ScenarioError& e) {
        std::cerr << fmt::format("synod: {} with {}: {}\n", flags.scenario_file, one.text(), e.message);
        return 2;
      }
      o.labels.push_back(label);
    }
  } else {
    if (!protocol_variants(flags.scenario_file, s, flags.protocols, &variants, &o.labels)) return 2;
  }
  if (!parse_seed_list(flags.seeds, &o.seeds)) {
    std::cerr << "synod: --seeds: expected seeds like 1-20 or 1,5,9, got '" << flags.seeds << "'\n";
    return 2;
  }
  o.out_dir = flags.out_dir.empty() ? "out/" + s.name + "-compare" : flags.out_dir;
  o.jobs = flags.jobs > 0 ? flags.jobs : static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  o.keep_runs = flags.keep_runs;
  o.check_timeout_s = flags.check_timeout_s;
  CompareResult r;
  try {
    std::vector<CompareRun> runs;
    for (const std::string& label : o.labels)
      for (uint64_t seed : o.seeds)
        runs.push_back({label, seed,
                        (fs::path(o.out_dir) / "runs" / dir_name(label) / std::to_string(seed)).string()});
    run_all(variants, o, &runs);
    r = summarize_compare(s, o, runs);
  } catch (const std::exception& e) {
    std::cerr << "synod: compare: " << e.what() << "\n";
    return 2;
  }
  std::cout << fmt::format("synod compare: {} — {} seeds ({}), mean [min..max] across seeds\n",
                           s.name, o.seeds.size(), flags.seeds);
  std::cout << r.table;
  std::cout << fmt::format("wrote {}/compare.json, compare.csv\n", o.out_dir);
  if (!r.all_safe) std::cerr << "synod: compare: some runs found safety problems (see compare.csv)\n";
  return r.all_safe ? 0 : 1;
}

}  // namespace synod::cli
