// `synod sweep ... --slurm`: the sweep as a Slurm job array. The seeds are cut into chunks of
// --slurm-chunk; task k of the array runs `synod sweep FILE --seeds <chunk k> --records-only
// --out DIR` on the node Slurm gives it, writing one record per run into DIR/runs/ as a local
// sweep does; `sbatch --wait` returns when every task has ended, and the caller then sweeps the
// whole range locally, which finds every record done (resumable sweeps) and writes the summary —
// running here whatever a failed task left undone. The binary, the scenario and DIR must be on a
// filesystem every node sees (they are named by absolute path).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"

namespace synod::cli {

namespace fs = std::filesystem;

namespace {

// 1,2,3,7,9,10 -> "1-3,7,9-10"
std::string seed_ranges(const std::vector<uint64_t>& seeds) {
  std::string out;
  for (size_t i = 0; i < seeds.size();) {
    size_t j = i;
    while (j + 1 < seeds.size() && seeds[j + 1] == seeds[j] + 1) ++j;
    out += (out.empty() ? "" : ",") +
           (j == i ? std::to_string(seeds[i]) : fmt::format("{}-{}", seeds[i], seeds[j]));
    i = j + 1;
  }
  return out;
}

std::string quoted(const std::string& s) {  // for a bash script
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

bool sweep_on_slurm(const SweepFlags& flags, const std::vector<uint64_t>& seeds,
                    const fs::path& out) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) {
    std::cerr << "synod: sweep --slurm: cannot find the synod binary: " << ec.message() << "\n";
    return false;
  }
  const fs::path dir = fs::absolute(out);
  const fs::path slurm = dir / "slurm";
  fs::create_directories(slurm);
  const size_t chunk = static_cast<size_t>(std::max(1, flags.slurm_chunk));
  std::vector<std::string> chunks;
  for (size_t i = 0; i < seeds.size(); i += chunk)
    chunks.push_back(seed_ranges({seeds.begin() + i, seeds.begin() + std::min(seeds.size(), i + chunk)}));
  const int cpus = flags.jobs > 0 ? flags.jobs : 1;

  std::string script = "#!/bin/bash\n";
  script += "# Written by synod sweep --slurm: one task per chunk of seeds.\n";
  script += "#SBATCH --job-name=synod-sweep\n";
  script += fmt::format("#SBATCH --array=0-{}\n", chunks.size() - 1);
  script += fmt::format("#SBATCH --cpus-per-task={}\n", cpus);
  script += fmt::format("#SBATCH --output={}\n", (slurm / "task-%a.log").string());
  script += "chunks=(\n";
  for (const auto& c : chunks) script += "  " + quoted(c) + "\n";
  script += ")\n";
  std::string cmd = fmt::format("exec {} sweep {} --records-only --seeds \"${{chunks[$SLURM_ARRAY_TASK_ID]}}\" "
                                "--out {} -j {}",
                                quoted(self.string()), quoted(fs::absolute(flags.scenario_file).string()),
                                quoted(dir.string()), cpus);
  if (!flags.protocols.empty()) cmd += " --protocols " + quoted(flags.protocols);
  if (flags.stop_at_first) cmd += " --stop-at-first";
  script += cmd + "\n";
  const fs::path script_file = slurm / "sweep.sbatch";
  std::ofstream(script_file) << script;

  std::vector<std::string> args = {"sbatch", "--wait"};
  std::stringstream extra(flags.slurm_args);
  for (std::string a; extra >> a;) args.push_back(a);
  args.push_back(script_file.string());
  std::cout << fmt::format("synod sweep: submitting {} seeds as a Slurm job array of {} task{} "
                           "({}), waiting for it\n",
                           seeds.size(), chunks.size(), chunks.size() == 1 ? "" : "s",
                           script_file.string());
  std::cout.flush();
  const pid_t pid = fork();
  if (pid < 0) {
    std::cerr << "synod: sweep --slurm: fork failed\n";
    return false;
  }
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("sbatch", argv.data());
    std::fprintf(stderr, "synod: sweep --slurm: cannot run sbatch (is Slurm installed?)\n");
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  if (code == 127) return false;
  if (code != 0)
    std::cerr << fmt::format("synod: sweep --slurm: sbatch --wait exited {} (a task failed: see "
                             "{}/task-*.log); the seeds left undone run here\n",
                             code, slurm.string());
  return true;
}

}  // namespace synod::cli
