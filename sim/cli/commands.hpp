// The subcommands of `synod`, each a function from its parsed flags to an exit code:
// 0 success; 1 the run found a safety problem (invariant violation, lost acknowledged write,
// non-linearizable history); 2 bad input (scenario, history, arguments) or an I/O error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/cli/check_cli.hpp"
#include "sim/scenario/scenario.hpp"

namespace synod::cli {

struct RunFlags {
  std::string scenario_file;
  std::optional<uint64_t> seed;
  std::string out_dir;  // empty: the scenario's report.out, else out/<name>
  bool quiet = false;
  double check_timeout_s = 60;
};
int run_command(const RunFlags& flags);

struct CompareFlags {
  std::string scenario_file;
  std::string protocols;  // comma-separated; empty: the scenario's own (unless `vary`)
  std::string vary;       // "protocol.policy=a,b,c": one row per value
  std::string seeds = "1-20";
  std::string out_dir;  // empty: out/<name>-compare
  int jobs = 0;         // 0: the number of cores
  bool keep_runs = false;
  double check_timeout_s = 60;
};
int compare_command(const CompareFlags& flags);

// --protocols a,b (empty: the scenario's own): the scenario carried over to each, by label, in
// order. On a mistake prints "synod: ..." and returns false.
bool protocol_variants(const std::string& file, const sim::Scenario& s, const std::string& protocols,
                       std::map<std::string, sim::Scenario>* variants,
                       std::vector<std::string>* labels);

struct SweepFlags {
  std::string scenario_file;
  std::string protocols;  // comma-separated; empty: the scenario's own
  std::string seeds = "1-100";
  std::string out_dir;  // empty: out/<name>-sweep
  int jobs = 0;         // 0: the number of cores
  bool stop_at_first = false;
  double check_timeout_s = 60;
  bool slurm = false;         // submit as a Slurm job array, then merge (sweep_slurm.cpp)
  int slurm_chunk = 100;      // seeds per array task
  std::string slurm_args;     // more sbatch options, e.g. "--partition=short --time=1:00:00"
  bool records_only = false;  // a Slurm task: write the runs' records, no summary
};
int sweep_command(const SweepFlags& flags);
// Runs the sweep's seeds as a Slurm job array writing records into `out`; false if it could not
// be submitted (the message printed).
bool sweep_on_slurm(const SweepFlags& flags, const std::vector<uint64_t>& seeds,
                    const std::filesystem::path& out);

struct ShrinkFlags {
  std::string scenario_file;
  uint64_t seed = 0;
  std::string out_dir;  // empty: out/<name>-shrink
  int jobs = 0;         // 0: the number of cores
  int max_runs = 2000;  // candidate runs at most
  int other_seeds = 8;  // a candidate that passes under the current seed is tried under 1..this
  std::string keep;     // the unsafe kind that must remain; empty: any of the original's
  double check_timeout_s = 60;
};
// 0: a shrunk scenario written (it still fails); 2: bad input, or the seed does not fail.
int shrink_command(const ShrinkFlags& flags);

// Loads a scenario with the registered families; on a mistake prints "synod: file:line:col: ..."
// and returns false.
bool load_scenario_flag(const std::string& file, sim::Scenario* out);

}  // namespace synod::cli
