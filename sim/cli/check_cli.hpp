// `synod check FILE...` as a command: its flags, shared by the two binaries. The `synod` a user
// runs answers `check` itself, with no SimGrid loaded (it links only analysis/), and hands every
// other command to `synod-sim`, the simulator, installed next to it (launcher.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace synod::cli {

struct CheckFlags {
  std::string model = "register";
  std::string format;  // empty: guessed from each file's first line
  std::string timeout = "30s";
  bool all_keys = false;
  unsigned jobs = 0;  // 0: the number of cores
  bool json = false;
  std::vector<std::string> files;
};

// Adds the `check` subcommand to `app`, its flags bound to `flags`.
CLI::App* add_check_command(CLI::App& app, CheckFlags& flags);
// Runs it: the exit code of analysis::run_check_command, or 2 on a bad flag.
int check_command(const CheckFlags& flags);

// A duration flag ("--check-timeout 60s") in seconds, read by the program's one duration parser;
// on a mistake prints "synod: FLAG: <what is wrong>" and returns nullopt.
std::optional<double> duration_flag(const std::string& flag, const std::string& text);

}  // namespace synod::cli
