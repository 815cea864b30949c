// synod: what a user runs. `synod check` is answered here, by a binary that links only the
// checker (analysis/), so checking a history loads no SimGrid or ns-3 library (~30-60 ms of
// start-up each call otherwise). Every other command, and --help / --version, is handed to the
// simulator, synod-sim, by exec (same arguments, same process id): it lives next to this binary
// in the build tree, or in ../libexec/synod/ once installed.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sim/cli/check_cli.hpp"

namespace {

int check_main(int argc, char** argv) {
  CLI::App app{"synod: simulate clusters running consensus protocols, check what happened"};
  app.name("synod");
  app.require_subcommand(1);
  synod::cli::CheckFlags flags;
  synod::cli::add_check_command(app, flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return synod::cli::check_command(flags);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "check") return check_main(argc, argv);
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    candidates.push_back(self.parent_path() / "synod-sim");
    candidates.push_back(self.parent_path().parent_path() / "libexec" / "synod" / "synod-sim");
  }
  std::string tried;
  for (const fs::path& candidate : candidates) {
    execv(candidate.c_str(), argv);  // returns only on failure
    tried += "\n  " + candidate.string() + ": " + std::strerror(errno);
  }
  std::cerr << "synod: cannot start the simulator, synod-sim (it is built next to synod, or "
               "installed in ../libexec/synod/); tried:"
            << (tried.empty() ? std::string("\n  (cannot read /proc/self/exe)") : tried) << "\n";
  return 2;
}
