// `synod check FILE...`: read each history, check it, print the verdicts, return the exit code.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "analysis/linearizability.hpp"

namespace synod::analysis {
namespace {

int exit_code(Verdict verdict) {
  switch (verdict) {
    case Verdict::Linearizable: return 0;
    case Verdict::NotLinearizable: return 1;
    case Verdict::Unknown: return 2;
  }
  return 2;
}

// One file's check; nullopt (with the message in `error`) when it cannot be read or parsed.
std::optional<CheckResult> check_file(const CheckCommandOptions& options, const std::string& path,
                                      std::string& error) {
  std::error_code error_code;
  if (std::filesystem::is_directory(path, error_code)) {
    error = fmt::format("synod check: cannot read {}: it is a directory", path);
    return std::nullopt;
  }
  errno = 0;
  std::ifstream file(path, std::ios::binary);
  std::stringstream content;
  if (file) content << file.rdbuf();
  if (!file || file.bad()) {
    error = fmt::format("synod check: cannot read {}: {}", path,
                        errno != 0 ? std::strerror(errno) : "read error");
    return std::nullopt;
  }
  HistoryFormat format = HistoryFormat::Jsonl;
  if (options.format) {
    format = *options.format;
  } else {
    std::string line;
    while (std::getline(content, line) && line.find_first_not_of(" \t\r") == std::string::npos) {
    }
    format = sniff_history_format(line);
    content.clear();
    content.seekg(0);
  }
  try {
    const History history = parse_history(content, path, format);
    CheckOptions check_options;
    check_options.timeout_s = options.timeout_s;
    check_options.max_memory_bytes = options.max_memory_bytes;
    check_options.stop_at_first_violation = !options.all_keys;
    check_options.jobs = options.jobs;
    return check(history, options.model, check_options);
  } catch (const HistoryError& e) {
    error = e.what();
    return std::nullopt;
  }
}

}  // namespace

int run_check_command(const CheckCommandOptions& options, std::ostream& out, std::ostream& err) {
  int code = 0;
  nlohmann::json all = nlohmann::json::array();
  for (size_t i = 0; i < options.files.size(); ++i) {
    const std::string& path = options.files[i];
    std::string error;
    const std::optional<CheckResult> result = check_file(options, path, error);
    const int file_code = result ? exit_code(result->verdict) : 2;
    code = std::max(code, file_code);
    if (!result) err << error << "\n";
    if (options.json) {
      if (options.files.size() == 1) {
        if (result) out << to_json(*result, /*include_timing=*/true).dump(2) << "\n";
        continue;
      }
      nlohmann::json j = result ? to_json(*result, true) : nlohmann::json::object();
      j["file"] = path;
      if (!result) j["error"] = error;
      all.push_back(std::move(j));
    } else if (result) {
      if (i > 0) out << "\n";
      write_text_report(*result, out);
    }
  }
  if (options.json && options.files.size() != 1) out << all.dump(2) << "\n";
  return code;
}

}  // namespace synod::analysis
