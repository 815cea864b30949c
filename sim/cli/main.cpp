// synod-sim: the command line of the simulator (`synod` hands it every command but check).
//   synod run SCENARIO [--seed N] [--out DIR] [--quiet]   simulate, check, report
//   synod check --model register|kv FILE...               check histories alone
//   synod compare SCENARIO --protocols a,b --seeds 1-20   the same scenario under several protocols
//   synod compare SCENARIO --vary protocol.KEY=a,b        ... or several values of one key
// Exit codes: 0 success; 1 the run found a safety problem (invariant violation, lost acknowledged
// write, non-linearizable history); 2 bad input (scenario, history, arguments) or an I/O error.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "analysis/linearizability.hpp"
#include "sim/cli/commands.hpp"
#include "sim/scenario/scenario.hpp"

namespace {

// A seed as the scenario takes it: a whole number 0 .. 2^64 - 1 ("-1" is not 2^64 - 1).
std::optional<uint64_t> seed_flag(const std::string& text) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos) {
    std::cerr << "synod: --seed: expected a whole number from 0 to 18446744073709551615, got '" << text << "'\n";
    return std::nullopt;
  }
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE) {
    std::cerr << "synod: --seed: " << text << " is larger than 18446744073709551615\n";
    return std::nullopt;
  }
  return static_cast<uint64_t>(v);
}

void write_stderr(const char* s) {
  const ssize_t ignored = write(STDERR_FILENO, s, std::strlen(s));
  (void)ignored;
}

// SimGrid stops the process with abort() when something it was handed is wrong (xbt_die: a
// platform file's unknown routing, "Failed to allocate stack"); its own message is already on
// stderr. Say which file it was, and exit 2 like any other bad input.
extern "C" void on_abort(int) {
  write_stderr("synod: ");
  write_stderr(synod::sim::current_input());
  write_stderr(": the simulation stopped on the message above (from SimGrid); nothing was "
               "written. If the file is valid, this is a bug in synod: please report it\n");
  _exit(2);
}

// An exception nothing caught is a bug in synod; name the file and what was thrown.
void on_terminate() {
  std::string what = "an unknown exception";
  if (const std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      what = x.what();
    } catch (...) {
    }
  }
  std::cerr << "synod: " << synod::sim::current_input() << ": internal error: " << what
            << " (a bug in synod: please report it with the file)\n";
  _exit(2);
}

int dispatch(int argc, char** argv);

}  // namespace

int main(int argc, char** argv) {
  std::set_terminate(on_terminate);
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SYNOD_NO_ABORT_HANDLER 1  // a sanitizer's report ends in abort(): keep it a crash
#endif
#endif
#if !defined(SYNOD_NO_ABORT_HANDLER) && !defined(__SANITIZE_ADDRESS__)
  signal(SIGABRT, on_abort);
#endif
  try {
    return dispatch(argc, argv);
  } catch (const std::bad_alloc&) {
    std::cerr << "synod: " << synod::sim::current_input() << ": out of memory (the run needs more than this machine "
              << "has; see docs/scenarios.md, \"Limits\")\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "synod: " << synod::sim::current_input() << ": " << e.what() << "\n";
    return 2;
  }
}

namespace {

int dispatch(int argc, char** argv) {
  CLI::App app{"synod: simulate clusters running consensus protocols, check what happened"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("synod ") + SYNOD_VERSION);
  // A mistyped command gets a message that names it, not "a subcommand is required".
  if (argc >= 2 && argv[1][0] != '-') {
    const std::string cmd = argv[1];
    if (cmd != "run" && cmd != "check" && cmd != "compare" && cmd != "sweep" && cmd != "shrink") {
      std::cerr << "synod: unknown command '" << cmd
                << "' (expected run, compare, sweep, shrink or check; see synod --help)\n";
      return 2;
    }
  }

  auto* run = app.add_subcommand("run", "simulate a scenario file and report");
  std::string scenario_file, out_dir;
  std::string seed_text;
  bool quiet = false;
  run->add_option("scenario", scenario_file, "scenario YAML file")->required();
  run->add_option("--seed", seed_text, "seed, 0 .. 2^64-1 (overrides the scenario's)");
  run->add_option("--out", out_dir, "output directory (default: the scenario's report.out, or out/<name>)");
  run->add_flag("--quiet,-q", quiet, "print nothing on success");
  std::string run_check_timeout = "60s";
  run->add_option("--check-timeout", run_check_timeout,
                  "linearizability check budget (e.g. 60s); past it the verdict is unknown");

  synod::cli::CheckFlags check_flags;
  CLI::App* check = synod::cli::add_check_command(app, check_flags);

  auto* compare = app.add_subcommand(
      "compare", "run a scenario under several protocols, or values of one key, and many seeds");
  std::string compare_file, compare_protocols, compare_vary, compare_seeds = "1-20", compare_out;
  int jobs = 0;
  bool keep_runs = false;
  compare->add_option("scenario", compare_file, "scenario YAML file")->required();
  compare->add_option("--protocols", compare_protocols,
                      "comma-separated, e.g. raft,multipaxos,paxos (default: the scenario's)");
  compare->add_option("--vary", compare_vary,
                      "one key's values side by side, e.g. protocol.policy=round-robin,pull");
  compare->add_option("--seeds", compare_seeds, "e.g. 1-20 or 1,5,9")->capture_default_str();
  compare->add_option("--out", compare_out, "output directory (default: out/<name>-compare)");
  compare->add_option("--jobs,-j", jobs, "runs in parallel, 1..1024 (default: the number of cores)")
      ->check(CLI::Range(1, 1024));
  compare->add_flag("--keep-runs", keep_runs, "keep every run's history, events and timeline");

  CLI::App* sweep = app.add_subcommand(
      "sweep", "run a scenario under many seeds (in parallel) and report the ones that are unsafe");
  synod::cli::SweepFlags sweep_flags;
  sweep->add_option("scenario", sweep_flags.scenario_file, "scenario YAML file")->required();
  sweep->add_option("--seeds", sweep_flags.seeds, "e.g. 1-10000 or 1,5,9")->capture_default_str();
  sweep->add_option("--protocols", sweep_flags.protocols,
                    "comma-separated, e.g. raft,multipaxos (default: the scenario's)");
  sweep->add_option("--out", sweep_flags.out_dir, "output directory (default: out/<name>-sweep)");
  sweep->add_option("--jobs,-j", sweep_flags.jobs,
                    "runs in parallel, 1..1024 (default: the number of cores)")
      ->check(CLI::Range(1, 1024));
  sweep->add_flag("--stop-at-first", sweep_flags.stop_at_first,
                  "start no seed above the lowest unsafe one (all seeds below it still run)");
  sweep->add_flag("--slurm", sweep_flags.slurm,
                  "run the seeds as a Slurm job array (sbatch --wait), then merge the results here; "
                  "-j is the CPUs per task");
  sweep->add_option("--slurm-chunk", sweep_flags.slurm_chunk, "seeds per Slurm array task")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  sweep->add_option("--slurm-args", sweep_flags.slurm_args,
                    "more sbatch options, e.g. \"--partition=short --time=2:00:00\"");
  sweep->add_flag("--records-only", sweep_flags.records_only,
                  "write each run's record, no summary (what a Slurm task runs)")
      ->group("");

  CLI::App* shrink = app.add_subcommand(
      "shrink", "reduce a failing run (fewer faults, clients, operations, nodes, a shorter run) to "
                "the smallest scenario file that still fails the same way");
  synod::cli::ShrinkFlags shrink_flags;
  std::string shrink_seed;
  shrink->add_option("scenario", shrink_flags.scenario_file, "scenario YAML file")->required();
  shrink->add_option("--seed", shrink_seed, "the failing seed (from synod sweep)")->required();
  shrink->add_option("--out", shrink_flags.out_dir, "output directory (default: out/<name>-shrink)");
  shrink->add_option("--jobs,-j", shrink_flags.jobs,
                     "candidate runs in parallel, 1..1024 (default: the number of cores)")
      ->check(CLI::Range(1, 1024));
  shrink->add_option("--keep", shrink_flags.keep,
                     "the way it must still fail, e.g. invariant:state-machine-safety (default: any "
                     "of the ways the original run fails)");
  shrink->add_option("--other-seeds", shrink_flags.other_seeds,
                     "a candidate that no longer fails under the seed is tried under seeds 1..this")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  shrink->add_option("--max-runs", shrink_flags.max_runs, "stop after this many candidate runs")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  for (const std::string* file : {&scenario_file, &compare_file, &sweep_flags.scenario_file,
                                  &shrink_flags.scenario_file}) {
    if (!file->empty()) synod::sim::set_current_input(*file);
  }
  if (run->parsed()) {
    synod::cli::RunFlags f;
    f.scenario_file = scenario_file;
    if (!seed_text.empty()) {
      const auto seed = seed_flag(seed_text);
      if (!seed) return 2;
      f.seed = *seed;
    }
    f.out_dir = out_dir;
    f.quiet = quiet;
    auto t = synod::cli::duration_flag("--check-timeout", run_check_timeout);
    if (!t) return 2;
    f.check_timeout_s = *t;
    return synod::cli::run_command(f);
  }
  if (compare->parsed()) {
    synod::cli::CompareFlags f;
    f.scenario_file = compare_file;
    f.protocols = compare_protocols;
    f.vary = compare_vary;
    f.seeds = compare_seeds;
    f.out_dir = compare_out;
    f.jobs = jobs;
    f.keep_runs = keep_runs;
    auto t = synod::cli::duration_flag("--check-timeout", run_check_timeout);
    if (!t) return 2;
    f.check_timeout_s = *t;
    return synod::cli::compare_command(f);
  }
  if (sweep->parsed()) {
    auto t = synod::cli::duration_flag("--check-timeout", run_check_timeout);
    if (!t) return 2;
    sweep_flags.check_timeout_s = *t;
    return synod::cli::sweep_command(sweep_flags);
  }
  if (shrink->parsed()) {
    const auto seed = seed_flag(shrink_seed);
    if (!seed) return 2;
    shrink_flags.seed = *seed;
    if (shrink_flags.jobs == 0)
      shrink_flags.jobs = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
    auto t = synod::cli::duration_flag("--check-timeout", run_check_timeout);
    if (!t) return 2;
    shrink_flags.check_timeout_s = *t;
    return synod::cli::shrink_command(shrink_flags);
  }
  if (check->parsed()) return synod::cli::check_command(check_flags);
  return 2;
}

}  // namespace
