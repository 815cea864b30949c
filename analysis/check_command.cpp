// `synod check FILE`: read a history, check it, print the verdict, return the exit code.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "analysis/linearizability.hpp"

namespace synod::analysis {

int run_check_command(const CheckCommandOptions& options, std::ostream& out, std::ostream& err) {
  std::error_code error_code;
  if (std::filesystem::is_directory(options.file, error_code)) {
    err << fmt::format("synod check: cannot read {}: it is a directory\n", options.file);
    return 2;
  }
  errno = 0;
  std::ifstream file(options.file, std::ios::binary);
  std::stringstream content;
  if (file) content << file.rdbuf();
  if (!file || file.bad()) {
    err << fmt::format("synod check: cannot read {}: {}\n", options.file,
                       errno != 0 ? std::strerror(errno) : "read error");
    return 2;
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
  CheckResult result;
  try {
    const History history = parse_history(content, options.file, format);
    CheckOptions check_options;
    check_options.timeout_s = options.timeout_s;
    check_options.max_memory_bytes = options.max_memory_bytes;
    result = check(history, options.model, check_options);
  } catch (const HistoryError& error) {
    err << error.what() << "\n";
    return 2;
  }
  if (options.json) {
    out << to_json(result, /*include_timing=*/true).dump(2) << "\n";
  } else {
    write_text_report(result, out);
  }
  switch (result.verdict) {
    case Verdict::Linearizable: return 0;
    case Verdict::NotLinearizable: return 1;
    case Verdict::Unknown: return 2;
  }
  return 2;
}

}  // namespace synod::analysis
