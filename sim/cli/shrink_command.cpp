// `synod shrink SCENARIO --seed N [--out DIR] [-j N] [--max-runs R]`: reduce a failing run to a
// scenario a student can read. Each candidate is a scenario file (the current one with one thing
// taken away) run under the same seed in a child process; it is kept if it is still unsafe in at
// least one of the ways the original was (same unsafe kinds, e.g. invariant:state-machine-safety),
// or in the one way `--keep` names.
//
// The steps, repeated until none takes anything away (or the run budget is spent):
//   1. a random fault becomes the fixed faults it fired (Nemesis::random_fired: named targets,
//      explicit groups, each undone where the next draw came); the nemesis draws from its own
//      stream, so the run is unchanged and the faults can now be removed one by one;
//   2. faults are removed by delta debugging (Zeller's ddmin: halves, then quarters, ... then one
//      at a time);
//   3. fewer clients, a lower rate, fewer keys, writes only, the load starting later;
//   4. a shorter run (up to just after the first invariant violation; a quarter, a half, three
//      quarters of it);
//   5. fewer nodes (the last ones; faults that named them lose them, or go).
// (4 goes first in each round: it drops every fault after the failure at once.) Each candidate runs
// under the current seed, then seeds 1..--other-seeds: a smaller scenario's timing differs, so the
// same bug often shows under another seed (the shrunk file names the seed it fails with).
// Candidates of one step are tried in a fixed order, `jobs` at a time, and the first that still
// fails is taken: the result is the same whatever -j.
//
// Output in DIR (default out/<name>-shrink): shrunk.yaml (with `seed:` set, so `synod run
// DIR/shrunk.yaml` replays it), report/ (that run's outputs), shrink.json (each step, the sizes
// before and after).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "protocols/common/duration.hpp"
#include "sim/cli/children.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/shrink_edits.hpp"
#include "sim/families/registry.hpp"
#include "sim/report/report.hpp"

namespace synod::cli {

namespace {

namespace fs = std::filesystem;
using namespace synod::sim;
using namespace synod::cli::shrink;
using ojson = nlohmann::ordered_json;

// What one run of a candidate showed.
struct Outcome {
  bool loaded = false;
  std::string error;
  bool unsafe = false;
  std::vector<std::string> kinds;
  uint64_t ops = 0;              // operations invoked
  uint64_t nemesis_actions = 0;  // report.json "faults" entries
  double first_violation_s = -1;  // the earliest invariant violation; -1: none
  uint64_t seed = 0;              // the seed it ran under
  Fired fired;  // per random fault: the fixed faults it fired
};

// The child: load, run, analyze, write the outcome (and with `outputs`, the run's files).
[[noreturn]] void child_run(const fs::path& file, uint64_t seed, double check_timeout_s,
                            const fs::path& record, const fs::path& outputs) {
  ojson rec;
  try {
    Scenario s = registry::load(file.string());
    rec["loaded"] = true;
    RunResult r = registry::run(s, seed);
    AnalysisOptions ao;
    ao.check_timeout_s = check_timeout_s;
    RunAnalysis a = registry::analyze(r, ao);
    rec["unsafe"] = run_is_unsafe(a);
    rec["kinds"] = unsafe_kinds(a);
    uint64_t invoked = 0;
    for (const HistoryOp& h : r.history) invoked += h.type == HistoryOp::Type::Invoke;
    rec["ops"] = invoked;
    rec["nemesis_actions"] = r.faults.size();
    double first = -1;
    for (const auto& v : a.invariants.violations)
      if (first < 0 || v.time_s < first) first = v.time_s;
    rec["first_violation_s"] = first;
    ojson fired = ojson::object();
    for (const FaultSpec& f : r.random_fired) {
      for (size_t i = 0; i < s.faults.size(); ++i) {
        const FaultSpec& g = s.faults[i];
        if (g.kind != FaultKind::Random || g.loc.line != f.loc.line || g.loc.column != f.loc.column)
          continue;
        const std::string line = fault_yaml(f, s);
        if (!line.empty()) fired[std::to_string(i)].push_back(line);
      }
    }
    rec["fired"] = fired;
    if (!outputs.empty()) write_outputs(outputs.string(), r, a, build_report(r, a));
  } catch (const std::exception& e) {
    rec["error"] = e.what();
  }
  const fs::path tmp = record.string() + ".tmp";
  std::ofstream(tmp) << rec.dump() << "\n";
  fs::rename(tmp, record);
  std::fflush(nullptr);
  _exit(0);
}

Outcome read_outcome(const fs::path& p) {
  Outcome o;
  std::ifstream in(p);
  if (!in) {
    o.error = "the run died (no record)";
    return o;
  }
  const ojson rec = ojson::parse(in);
  o.loaded = rec.value("loaded", false);
  o.error = rec.value("error", "");
  if (!o.error.empty()) return o;
  o.unsafe = rec["unsafe"].get<bool>();
  o.kinds = rec["kinds"].get<std::vector<std::string>>();
  o.ops = rec["ops"].get<uint64_t>();
  o.nemesis_actions = rec["nemesis_actions"].get<uint64_t>();
  o.first_violation_s = rec["first_violation_s"].get<double>();
  for (const auto& [k, v] : rec["fired"].items()) o.fired[std::stoul(k)] = v.get<std::vector<std::string>>();
  return o;
}

struct Sizes {
  int nodes = 0;
  uint64_t clients = 0;
  uint64_t ops = 0;
  size_t fault_entries = 0;
  uint64_t nemesis_actions = 0;
  std::string duration;
  size_t lines = 0;
};

ojson sizes_json(const Sizes& z) {
  return {{"nodes", z.nodes},           {"clients", z.clients},
          {"operations", z.ops},        {"fault_entries", z.fault_entries},
          {"nemesis_actions", z.nemesis_actions}, {"duration", z.duration},
          {"scenario_lines", z.lines}};
}

std::string sizes_text(const Sizes& z) {
  return fmt::format("{} nodes, {} client{}, {} operations, {} fault entries ({} nemesis actions), "
                     "{} simulated, {} lines of YAML",
                     z.nodes, z.clients, z.clients == 1 ? "" : "s", z.ops, z.fault_entries, z.nemesis_actions, z.duration,
                     z.lines);
}

class Shrinker {
 public:
  Shrinker(const ShrinkFlags& flags, fs::path work)
      : flags_(flags), work_(std::move(work)), seed_(flags.seed) {}

  // Runs the candidates (scenario texts), each under the current seed and then the other seeds
  // tried (a simpler scenario often fails under another seed, its timing having changed), `jobs`
  // runs at a time, in order, until one still fails; returns the candidate's index (or -1), and
  // its outcome (with the seed it failed under).
  int first_failing(const std::vector<std::string>& texts, Outcome* out) {
    std::vector<std::pair<size_t, uint64_t>> tries;
    for (size_t i = 0; i < texts.size(); ++i) {
      tries.push_back({i, seed_});
      for (uint64_t k = 1; k <= static_cast<uint64_t>(flags_.other_seeds); ++k)
        if (k != seed_) tries.push_back({i, k});
    }
    const int jobs = std::max(1, flags_.jobs);
    for (size_t from = 0, to = 0; from < tries.size(); from = to) {
      if (runs_ >= static_cast<size_t>(flags_.max_runs)) {
        budget_spent_ = true;
        return -1;
      }
      to = std::min({tries.size(), from + jobs, from + (flags_.max_runs - runs_)});
      std::vector<fs::path> files, records;
      for (size_t t = from; t < to; ++t) {
        const size_t id = runs_ + (t - from);
        files.push_back(work_ / fmt::format("c{}.yaml", id));
        records.push_back(work_ / fmt::format("c{}.json", id));
        std::ofstream(files.back()) << texts[tries[t].first];
      }
      ChildPlan plan;
      plan.count = to - from;
      plan.jobs = jobs;
      plan.child = [&](size_t k) {
        child_run(files[k], tries[from + k].second, flags_.check_timeout_s, records[k], {});
      };
      plan.done = [](size_t, int) {};
      run_children(plan);
      for (size_t k = 0; k < files.size(); ++k) {
        // Counted as if run one at a time (the runs after the first failing one of a batch are
        // not), so the count, and the budget, are the same whatever -j.
        ++runs_;
        Outcome o = read_outcome(records[k]);
        if (still_fails(o)) {
          o.seed = tries[from + k].second;
          seed_ = o.seed;
          *out = std::move(o);
          return static_cast<int>(tries[from + k].first);
        }
      }
    }
    return -1;
  }

  bool still_fails(const Outcome& o) const {
    if (!o.unsafe) return false;
    for (const std::string& k : o.kinds)
      if (std::find(kinds_.begin(), kinds_.end(), k) != kinds_.end()) return true;
    return false;
  }

  void set_kinds(std::vector<std::string> k) { kinds_ = std::move(k); }
  size_t runs() const { return runs_; }
  uint64_t seed() const { return seed_; }
  bool budget_spent() const { return budget_spent_; }

 private:
  const ShrinkFlags& flags_;
  fs::path work_;
  std::vector<std::string> kinds_;
  uint64_t seed_;
  size_t runs_ = 0;
  bool budget_spent_ = false;
};

}  // namespace

int shrink_command(const ShrinkFlags& flags) {
  Scenario s;
  if (!load_scenario_flag(flags.scenario_file, &s)) return 2;
  YAML::Node doc;
  try {
    doc = YAML::LoadFile(flags.scenario_file);
  } catch (const std::exception& e) {
    std::cerr << "synod: " << flags.scenario_file << ": " << e.what() << "\n";
    return 2;
  }
  const fs::path out = flags.out_dir.empty() ? "out/" + s.name + "-shrink" : flags.out_dir;
  const fs::path work = out / "work";
  try {
    fs::remove_all(work);
    fs::create_directories(work);
  } catch (const std::exception& e) {
    std::cerr << "synod: shrink: cannot create " << work.string() << ": " << e.what() << "\n";
    return 2;
  }
  doc["seed"] = flags.seed;
  doc["name"] = s.name + "-shrunk";
  doc.remove("report");  // the outputs go to DIR/report

  Shrinker sh(flags, work);
  ojson steps = ojson::array();
  Outcome cur;
  try {
    // The original, as given (with its seed): it must fail.
    sh.set_kinds({});
    {
      ChildPlan plan;
      plan.count = 1;
      plan.jobs = 1;
      const fs::path f = work / "original.yaml", rec = work / "original.json";
      std::ofstream(f) << emit(doc);
      plan.child = [&](size_t) { child_run(f, flags.seed, flags.check_timeout_s, rec, {}); };
      plan.done = [](size_t, int) {};
      run_children(plan);
      cur = read_outcome(rec);
    }
    if (!cur.error.empty()) {
      std::cerr << "synod: shrink: the scenario does not run: " << cur.error << "\n";
      return 2;
    }
    if (!cur.unsafe) {
      std::cerr << fmt::format("synod: shrink: {} is safe under seed {}: nothing to shrink (find a "
                               "failing seed with synod sweep {} --stop-at-first)\n",
                               flags.scenario_file, flags.seed, flags.scenario_file);
      return 2;
    }
  } catch (const std::exception& e) {
    std::cerr << "synod: shrink: " << e.what() << "\n";
    return 2;
  }
  if (!flags.keep.empty()) {
    if (std::find(cur.kinds.begin(), cur.kinds.end(), flags.keep) == cur.kinds.end()) {
      std::cerr << fmt::format("synod: shrink: --keep {}: seed {} fails as {}, not that way\n",
                               flags.keep, flags.seed, fmt::format("{}", fmt::join(cur.kinds, ", ")));
      return 2;
    }
    sh.set_kinds({flags.keep});
  } else {
    sh.set_kinds(cur.kinds);
  }
  auto sizes = [&](const YAML::Node& d, const Outcome& o) {
    Sizes z;
    const YAML::Node c = d["cluster"]["nodes"];
    z.nodes = c.IsSequence() ? static_cast<int>(c.size()) : c.as<int>();
    const YAML::Node w = d["workload"];
    z.clients = w && w["clients"] ? w["clients"].as<uint64_t>() : WorkloadSpec{}.clients;
    z.ops = o.ops;
    z.fault_entries = faults_of(d).size();
    z.nemesis_actions = o.nemesis_actions;
    z.duration = d["duration"].as<std::string>();
    const std::string text = emit(d);
    z.lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
    return z;
  };
  const Sizes before = sizes(doc, cur);
  auto step = [&](const std::string& what, const std::vector<YAML::Node>& cands) {
    std::vector<std::string> texts;
    for (const auto& c : cands) texts.push_back(emit(c));
    Outcome o;
    const int i = texts.empty() ? -1 : sh.first_failing(texts, &o);
    if (i < 0) return false;
    doc = YAML::Clone(cands[i]);
    doc["seed"] = o.seed;
    cur = std::move(o);
    steps.push_back({{"step", what}, {"runs_so_far", sh.runs()}, {"sizes", sizes_json(sizes(doc, cur))}});
    return true;
  };

  try {
    // 1. Random faults become what they fired.
    if (auto fixed = random_written_out(doc, cur.fired))
      step("random faults written out as the faults they fired", {*fixed});
    for (int round = 0; round < 4 && !sh.budget_spent(); ++round) {
      bool changed = false;
      // 4. A shorter run.
      if (step("a shorter run", shorter_runs(doc, cur.first_violation_s))) changed = true;
      // 2. ddmin over the faults.
      for (size_t n = 2;;) {
        const std::vector<YAML::Node> faults = faults_of(doc);
        if (faults.empty()) break;
        n = std::min(n, faults.size());
        size_t chunk = 0;
        const std::vector<YAML::Node> cands = without_chunks(doc, n, &chunk);
        if (step(fmt::format("faults: removed one of {} chunks of {}", cands.size(), chunk), cands)) {
          changed = true;
          n = std::max<size_t>(2, n - 1);
          continue;
        }
        if (n >= faults.size() || sh.budget_spent()) break;
        n = std::min(faults.size(), n * 2);
      }
      // 3. The workload.
      if (step("fewer clients", fewer_clients(doc))) changed = true;
      if (step("a lower rate", lower_rates(doc))) changed = true;
      if (step("fewer keys", fewer_keys(doc))) changed = true;
      if (step("writes only", writes_only(doc))) changed = true;
      if (step("the load starting later", later_starts(doc))) changed = true;
      // 5. Fewer nodes.
      if (step("fewer nodes", fewer_nodes(doc))) changed = true;
      if (!changed) break;
    }
  } catch (const std::exception& e) {
    std::cerr << "synod: shrink: " << e.what() << "\n";
    return 2;
  }

  // The result, its report, the log.
  const Sizes after = sizes(doc, cur);
  const std::string body = emit(doc);
  std::string header = fmt::format(
      "# Shrunk by `synod shrink {} --seed {}` in {} runs: still unsafe under seed {} ({}).\n"
      "# Replay: synod run {}\n# before: {}\n# after:  {}\n",
      flags.scenario_file, flags.seed, sh.runs() + 1, sh.seed(), fmt::join(cur.kinds, ", "),
      (out / "shrunk.yaml").string(), sizes_text(before), sizes_text(after));
  try {
    std::ofstream(out / "shrunk.yaml") << header << body;
    ChildPlan plan;
    plan.count = 1;
    plan.jobs = 1;
    const fs::path rec = work / "final.json";
    plan.child = [&](size_t) {
      child_run(out / "shrunk.yaml", sh.seed(), flags.check_timeout_s, rec, out / "report");
    };
    plan.done = [](size_t, int) {};
    run_children(plan);
    const Outcome fin = read_outcome(rec);
    if (!sh.still_fails(fin)) {
      std::cerr << "synod: shrink: the shrunk scenario does not fail when run again (a bug in "
                   "synod: please report it with the scenario)\n";
      return 2;
    }
    ojson log;
    log["scenario"] = flags.scenario_file;
    log["seed"] = flags.seed;
    log["shrunk_seed"] = sh.seed();
    log["kinds"] = cur.kinds;
    log["runs"] = sh.runs() + 1;
    log["budget_spent"] = sh.budget_spent();
    log["before"] = sizes_json(before);
    log["after"] = sizes_json(after);
    log["steps"] = steps;
    std::ofstream(out / "shrink.json") << log.dump(2) << "\n";
    fs::remove_all(work);
  } catch (const std::exception& e) {
    std::cerr << "synod: shrink: " << e.what() << "\n";
    return 2;
  }
  std::cout << fmt::format("synod shrink: {} seed {} — still unsafe under seed {} ({}) after {} runs{}\n",
                           s.name, flags.seed, sh.seed(), fmt::join(cur.kinds, ", "), sh.runs() + 1,
                           sh.budget_spent() ? " (run budget spent: --max-runs)" : "");
  std::cout << fmt::format("  before  {}\n  after   {}\n", sizes_text(before), sizes_text(after));
  std::cout << fmt::format("wrote {}/shrunk.yaml, shrink.json, report/\n", out.string());
  return 0;
}

}  // namespace synod::cli
