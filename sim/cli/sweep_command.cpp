// `synod sweep SCENARIO --seeds 1-1000 [--protocols a,b] [-j N] [--stop-at-first] [--out DIR]`:
// the same scenario under many seeds, looking for safety problems. Each (protocol, seed) run is a
// child process (children.hpp) that writes one small record, runs/<protocol>/<seed>.json; an
// unsafe run also keeps its whole output (report.json, history.jsonl, events.jsonl, ...) in
// runs/<protocol>/<seed>/ for replay and study. The summary (sweep.json, sweep.csv, the table) is
// read back from the records in (protocol, seed) order, so it is the same whatever -j.
//
// Resumable: a record whose fingerprint (the scenario file's bytes, the protocol, the check
// budget) matches is not run again, so an interrupted sweep goes on where it stopped and a
// finished one is read back at once.
//
// --stop-at-first: once a run is unsafe, no seed above the lowest unsafe one starts, but every
// seed below it still runs; so the first failing seed reported is the lowest one there is,
// whatever -j (the runs beyond it that had already started are reported too).
//
// The terminal progress line (runs done, runs/s, ETA) reads the wall clock; nothing written to a
// file does.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "protocols/placement/placement.hpp"
#include "sim/cli/children.hpp"
#include "sim/cli/commands.hpp"
#include "sim/families/registry.hpp"
#include "sim/report/compare.hpp"
#include "sim/report/report.hpp"

namespace synod::cli {

namespace {

namespace fs = std::filesystem;
using namespace synod::sim;
using ojson = nlohmann::ordered_json;

struct SweepRun {
  std::string label;
  uint64_t seed = 0;
  fs::path record;  // runs/<label>/<seed>.json
  fs::path dir;     // runs/<label>/<seed>/ (unsafe runs only)
  int status = -1;  // -1: not run (skipped by --stop-at-first)
  bool resumed = false;
};

// The child: one run, its record, and on a safety problem its whole output. Exit code as
// `synod run`: 0 safe, 1 unsafe, 3 crashed.
[[noreturn]] void child_run(const Scenario& s, const SweepRun& run, const std::string& fingerprint,
                            double check_timeout_s) {
  try {
    RunResult r = registry::run(s, run.seed);
    AnalysisOptions ao;
    ao.check_timeout_s = check_timeout_s;
    RunAnalysis a = registry::analyze(r, ao);
    const bool unsafe = run_is_unsafe(a);
    ojson rec;
    rec["fingerprint"] = fingerprint;
    rec["protocol"] = run.label;
    rec["seed"] = run.seed;
    rec["unsafe"] = unsafe;
    rec["kinds"] = unsafe_kinds(a);
    rec["verdict"] = a.verdict;
    rec["invariant_violations"] = a.invariants.violations.size();
    rec["first_violation"] =
        a.invariants.violations.empty() ? "" : a.invariants.violations.front().detail;
    rec["lost_acknowledged_writes"] = a.lost_writes.size();
    uint64_t ok = 0;
    for (const HistoryOp& h : r.history) ok += h.type == HistoryOp::Type::Ok;
    rec["ok_ops"] = ok;
    if (unsafe) write_outputs(run.dir.string(), r, a, build_report(r, a));
    fs::create_directories(run.record.parent_path());
    const fs::path tmp = run.record.string() + ".tmp";
    std::ofstream(tmp) << rec.dump() << "\n";
    fs::rename(tmp, run.record);  // a record exists only whole: a killed sweep resumes cleanly
    std::fflush(nullptr);
    _exit(unsafe ? 1 : 0);
  } catch (const std::exception& e) {
    fmt::print(stderr, "synod sweep: {} seed {}: {}\n", run.label, run.seed, e.what());
    std::fflush(nullptr);
    _exit(3);
  }
}

std::optional<ojson> read_record(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return std::nullopt;
  try {
    return ojson::parse(in);
  } catch (const std::exception&) {
    return std::nullopt;  // a torn or foreign file: run again
  }
}

std::string format_eta(double s) {
  if (s < 60) return fmt::format("{:.0f}s", s);
  if (s < 3600) return fmt::format("{:.0f}m{:02.0f}s", s / 60 - 0.5, std::fmod(s, 60));
  return fmt::format("{:.1f}h", s / 3600);
}

}  // namespace

int sweep_command(const SweepFlags& flags) {
  Scenario s;
  if (!load_scenario_flag(flags.scenario_file, &s)) return 2;
  std::map<std::string, Scenario> variants;
  std::vector<std::string> labels;
  if (!protocol_variants(flags.scenario_file, s, flags.protocols, &variants, &labels)) return 2;
  std::vector<uint64_t> seeds;
  if (!parse_seed_list(flags.seeds, &seeds)) {
    std::cerr << "synod: --seeds: expected seeds like 1-1000 or 1,5,9, got '" << flags.seeds << "'\n";
    return 2;
  }
  std::sort(seeds.begin(), seeds.end());
  seeds.erase(std::unique(seeds.begin(), seeds.end()), seeds.end());
  const fs::path out = flags.out_dir.empty() ? "out/" + s.name + "-sweep" : flags.out_dir;
  const int jobs =
      flags.jobs > 0 ? flags.jobs : static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));

  std::string text;
  {
    std::ifstream in(flags.scenario_file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  std::vector<SweepRun> runs;
  std::map<std::string, std::string> fingerprints;
  for (const std::string& label : labels) {
    fingerprints[label] = fmt::format(
        "{:016x}", placement::hash64(fmt::format("{}\n{}\n{}", text, label, flags.check_timeout_s)));
    for (uint64_t seed : seeds) {
      SweepRun r;
      r.label = label;
      r.seed = seed;
      r.record = out / "runs" / label / (std::to_string(seed) + ".json");
      r.dir = out / "runs" / label / std::to_string(seed);
      runs.push_back(std::move(r));
    }
  }
  try {
    fs::create_directories(out);
  } catch (const std::exception& e) {
    std::cerr << "synod: sweep: cannot create " << out.string() << ": " << e.what() << "\n";
    return 2;
  }

  if (flags.slurm && !flags.records_only) {
    if (!sweep_on_slurm(flags, seeds, out)) return 2;
  }

  // Finished runs of an earlier sweep of the same scenario are kept.
  size_t resumed = 0;
  for (SweepRun& r : runs) {
    auto rec = read_record(r.record);
    if (rec && rec->value("fingerprint", "") == fingerprints[r.label]) {
      r.status = rec->value("unsafe", false) ? 1 : 0;
      r.resumed = true;
      ++resumed;
    }
  }

  const bool progress = isatty(STDERR_FILENO) != 0;
  const auto started = std::chrono::steady_clock::now();
  const size_t to_run = runs.size() - resumed;
  size_t finished = 0, unsafe_so_far = 0;
  // --stop-at-first: the lowest unsafe seed per protocol; seeds above it do not start.
  std::map<std::string, uint64_t> lowest_unsafe;
  for (const SweepRun& r : runs)
    if (r.resumed && r.status == 1 && !lowest_unsafe.count(r.label)) lowest_unsafe[r.label] = r.seed;
  auto show = [&] {
    if (!progress) return;
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double rate = wall > 0 ? finished / wall : 0;
    const std::string eta = rate > 0 ? format_eta((to_run - finished) / rate) : "?";
    fmt::print(stderr, "\r  {}/{} runs  {:.1f} runs/s  ETA {}  unsafe {}   ", finished, to_run,
               rate, eta, unsafe_so_far);
  };
  ChildPlan plan;
  plan.count = runs.size();
  plan.jobs = jobs;
  plan.should_start = [&](size_t i) {
    SweepRun& r = runs[i];
    if (r.resumed) return false;
    if (flags.stop_at_first) {
      auto it = lowest_unsafe.find(r.label);
      if (it != lowest_unsafe.end() && r.seed > it->second) return false;
    }
    std::error_code ec;
    fs::remove_all(r.dir, ec);
    fs::remove(r.record, ec);
    return true;
  };
  plan.child = [&](size_t i) {
    child_run(variants.at(runs[i].label), runs[i], fingerprints[runs[i].label], flags.check_timeout_s);
  };
  plan.done = [&](size_t i, int status) {
    SweepRun& r = runs[i];
    r.status = status;
    ++finished;
    if (status == 1) {
      ++unsafe_so_far;
      auto [it, fresh] = lowest_unsafe.try_emplace(r.label, r.seed);
      if (!fresh) it->second = std::min(it->second, r.seed);
    }
    show();
  };
  try {
    show();
    run_children(plan);
  } catch (const std::exception& e) {
    std::cerr << "\nsynod: sweep: " << e.what() << "\n";
    return 2;
  }
  if (progress) fmt::print(stderr, "\n");
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (flags.records_only) {
    for (const SweepRun& r : runs)
      if (r.status != -1 && r.status != 0 && r.status != 1) return 2;
    return 0;
  }

  // The summary, from the records, in (protocol, seed) order.
  ojson summary;
  summary["scenario"] = s.name;
  summary["file"] = flags.scenario_file;
  summary["seeds"] = flags.seeds;
  summary["stop_at_first"] = flags.stop_at_first;
  std::string csv = "protocol,seed,status,kinds,verdict,invariant_violations,lost_acknowledged_writes,ok_ops\n";
  std::string table;
  bool crashed = false, any_unsafe = false;
  ojson per_protocol = ojson::array();
  for (const std::string& label : labels) {
    uint64_t ran = 0, unsafe = 0, skipped = 0;
    std::map<std::string, uint64_t> by_kind;
    ojson failing = ojson::array();
    for (const SweepRun& r : runs) {
      if (r.label != label) continue;
      if (r.status == -1) {
        ++skipped;
        continue;
      }
      if (r.status != 0 && r.status != 1) {
        crashed = true;
        csv += fmt::format("{},{},crashed (exit {}),,,,,\n", label, r.seed, r.status);
        ++ran;
        continue;
      }
      auto rec = read_record(r.record);
      if (!rec) {
        std::cerr << "synod: sweep: missing record " << r.record.string() << "\n";
        return 2;
      }
      ++ran;
      std::string kinds;
      for (const auto& k : (*rec)["kinds"]) {
        kinds += (kinds.empty() ? "" : " ") + k.get<std::string>();
        by_kind[k.get<std::string>()]++;
      }
      const bool u = (*rec)["unsafe"].get<bool>();
      csv += fmt::format("{},{},{},{},{},{},{},{}\n", label, r.seed, u ? "unsafe" : "safe", kinds,
                         (*rec)["verdict"].get<std::string>(),
                         (*rec)["invariant_violations"].get<uint64_t>(),
                         (*rec)["lost_acknowledged_writes"].get<uint64_t>(),
                         (*rec)["ok_ops"].get<uint64_t>());
      if (!u) continue;
      ++unsafe;
      any_unsafe = true;
      if (failing.size() < 10) {
        failing.push_back({{"seed", r.seed},
                           {"kinds", (*rec)["kinds"]},
                           {"first_violation", (*rec)["first_violation"]},
                           {"output", r.dir.string()},
                           {"replay", label == s.protocol.name
                                          ? fmt::format("synod run {} --seed {}", flags.scenario_file, r.seed)
                                          : fmt::format("synod compare {} --protocols {} --seeds {} --keep-runs",
                                                        flags.scenario_file, label, r.seed)}});
      }
    }
    ojson kinds = ojson::object();
    for (const auto& [k, n] : by_kind) kinds[k] = n;
    per_protocol.push_back({{"protocol", label},
                            {"runs", ran},
                            {"unsafe", unsafe},
                            {"skipped", skipped},
                            {"unsafe_by_kind", kinds},
                            {"first_failing", failing}});
    table += fmt::format("  {:<16} {:>7} runs  {:>6} unsafe{}\n", label, ran, unsafe,
                         skipped ? fmt::format("  ({} not run: --stop-at-first)", skipped) : "");
    for (const auto& [k, n] : by_kind) table += fmt::format("      {:<40} {:>6}\n", k, n);
    for (const auto& f : failing)
      table += fmt::format("      seed {:<8} {}\n", f["seed"].get<uint64_t>(),
                           f["replay"].get<std::string>());
  }
  summary["protocols"] = per_protocol;
  try {
    std::ofstream(out / "sweep.json") << summary.dump(2) << "\n";
    std::ofstream(out / "sweep.csv") << csv;
  } catch (const std::exception& e) {
    std::cerr << "synod: sweep: " << e.what() << "\n";
    return 2;
  }
  std::cout << fmt::format("synod sweep: {} — seeds {}, {} runs ({} {}), "
                           "{} run now at {:.1f} runs/s\n",
                           s.name, flags.seeds, runs.size(), resumed,
                           flags.slurm ? "done by the Slurm job" : "from an earlier sweep", finished,
                           wall > 0 ? finished / wall : 0.0);
  std::cout << table;
  std::cout << fmt::format("wrote {}/sweep.json, sweep.csv\n", out.string());
  if (crashed) {
    std::cerr << "synod: sweep: some runs crashed (see sweep.csv)\n";
    return 2;
  }
  return any_unsafe ? 1 : 0;
}

}  // namespace synod::cli
