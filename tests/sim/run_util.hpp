// Helpers for tests that run the synod binary as a user would: one simulation per process
// (SimGrid allows one engine per process), output captured, files read back.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace synod::test {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline nlohmann::json read_json(const std::filesystem::path& p) {
  return nlohmann::json::parse(read_file(p));
}

// A fresh directory under the system temp dir, removed when the object goes.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ = std::filesystem::temp_directory_path() /
            ("synod-" + tag + "-" + std::to_string(getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string synod_run(const std::string& scenario, uint64_t seed,
                             const std::filesystem::path& out) {
  return std::string(SYNOD_BINARY) + " run " + std::string(SYNOD_SOURCE_DIR) + "/scenarios/" +
         scenario + ".yaml --quiet --seed " + std::to_string(seed) + " --out " + out.string();
}

// The text of a shipped scenario, for tests that run it with an edit.
inline std::string scenario_text(const std::string& name) {
  return read_file(std::string(SYNOD_SOURCE_DIR) + "/scenarios/" + name + ".yaml");
}

// `text` with the first `from` replaced by `to`; a missing `from` fails the test.
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "not in the scenario: " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// A gtest parameter name from a scenario name ("raft-basic" → "raft_basic").
struct ScenarioParamName {
  template <class Info>
  std::string operator()(const Info& info) const {
    std::string n = info.param;
    for (char& ch : n)
      if (ch == '-' || ch == '@' || ch == '=') ch = '_';
    return n;
  }
};

}  // namespace synod::test
