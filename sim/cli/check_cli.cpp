// `synod check FILE...`: flags to analysis::run_check_command (see check_cli.hpp).
#include "sim/cli/check_cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "analysis/linearizability.hpp"
#include "protocols/common/duration.hpp"

namespace synod::cli {

std::optional<double> duration_flag(const std::string& flag, const std::string& text) {
  Nanos ns = 0;
  if (!parse_duration(text, &ns)) {
    std::cerr << fmt::format("synod: {}: {}\n", flag, duration_problem(text));
    return std::nullopt;
  }
  return to_seconds(ns);
}

CLI::App* add_check_command(CLI::App& app, CheckFlags& flags) {
  CLI::App* check = app.add_subcommand(
      "check", "check histories for linearizability (exit 0 all linearizable, 1 one is not, "
               "2 undecided or unreadable)");
  check->add_option("--model", flags.model, "register | kv")->capture_default_str();
  check->add_option("--format", flags.format, "jsonl | jepsen (default: guessed from the first line)");
  check->add_option("--timeout", flags.timeout,
                    "a hard deadline per file, e.g. 30s; past it the verdict is unknown")
      ->capture_default_str();
  check->add_flag("--all-keys", flags.all_keys,
                  "decide every key (default: stop once a key is found not linearizable)");
  check->add_option("--jobs,-j", flags.jobs,
                    "keys checked at once, 1..1024 (default: the number of cores); the verdict "
                    "does not depend on it")
      ->check(CLI::Range(1, 1024));
  check->add_flag("--json", flags.json, "print the result as JSON (an array for several files)");
  check->add_option("history", flags.files, "history files (JSON Lines or Jepsen EDN)")->required();
  return check;
}

int check_command(const CheckFlags& flags) {
  analysis::CheckCommandOptions o;
  const auto model = analysis::parse_model(flags.model);
  if (!model) {
    std::cerr << "synod: --model: expected register or kv, got '" << flags.model << "'\n";
    return 2;
  }
  o.model = *model;
  if (flags.format == "jsonl") {
    o.format = analysis::HistoryFormat::Jsonl;
  } else if (flags.format == "jepsen" || flags.format == "edn") {
    o.format = analysis::HistoryFormat::Edn;
  } else if (!flags.format.empty()) {
    std::cerr << "synod: --format: expected jsonl or jepsen, got '" << flags.format << "'\n";
    return 2;
  }
  const auto timeout = duration_flag("--timeout", flags.timeout);
  if (!timeout) return 2;
  o.timeout_s = *timeout;
  o.all_keys = flags.all_keys;
  o.jobs = flags.jobs != 0 ? flags.jobs
                           : static_cast<unsigned>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  o.json = flags.json;
  o.files = flags.files;
  return analysis::run_check_command(o, std::cout, std::cerr);
}

}  // namespace synod::cli
