// `synod check`: exit codes 0 (linearizable), 1 (not), 2 (unknown, or an unreadable file), the
// text and JSON outputs, and the one-line summary.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "analysis/linearizability.hpp"

namespace synod::analysis {
namespace {

std::string data(const std::string& name) { return std::string(SYNOD_TEST_DATA) + "/" + name; }

struct CommandRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

CommandRun run(CheckCommandOptions options) {
  std::ostringstream out;
  std::ostringstream err;
  CommandRun r;
  r.exit_code = run_check_command(options, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

CheckCommandOptions on(const std::string& file, Model model = Model::Register) {
  CheckCommandOptions options;
  options.files = {file};
  options.model = model;
  return options;
}

TEST(CheckCommand, LinearizableExitsZero) {
  const CommandRun r = run(on(data("healthy_two_keys.jsonl")));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("healthy_two_keys.jsonl: linearizable (register model)"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(CheckCommand, NotLinearizableExitsOneWithTheExplanation) {
  const CommandRun r = run(on(data("stale_read.jsonl")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("NOT linearizable (register model): 1 of 1 key"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("key x: read of x returned 3 at 1.204 s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("longest linearizable prefix: 2 operations"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("could not be placed (1):"), std::string::npos) << r.out;
}

TEST(CheckCommand, JepsenFormatIsSniffedOrGiven) {
  EXPECT_EQ(run(on(data("stale_read.edn"))).exit_code, 1);
  CheckCommandOptions options = on(data("stale_read.edn"));
  options.format = HistoryFormat::Edn;
  EXPECT_EQ(run(options).exit_code, 1);
  options.format = HistoryFormat::Jsonl;  // the wrong format: a parse error
  const CommandRun wrong = run(options);
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("stale_read.edn:1: invalid JSON"), std::string::npos) << wrong.err;
}

TEST(CheckCommand, MalformedFileExitsTwoWithTheLine) {
  const CommandRun r = run(on(data("malformed.jsonl")));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind(data("malformed.jsonl") + ":3: invalid JSON", 0), 0u) << r.err;
}

TEST(CheckCommand, UnreadableFileExitsTwo) {
  const CommandRun missing = run(on(data("no_such_file.jsonl")));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cannot read"), std::string::npos) << missing.err;
  const CommandRun directory = run(on(SYNOD_TEST_DATA));
  EXPECT_EQ(directory.exit_code, 2);
  EXPECT_NE(directory.err.find("it is a directory"), std::string::npos) << directory.err;
}

TEST(CheckCommand, WrongModelExitsTwo) {
  const CommandRun r = run(on(data("kv_stale_append.jsonl"), Model::Register));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'append' is not an operation of the register model"), std::string::npos);
  EXPECT_EQ(run(on(data("kv_stale_append.jsonl"), Model::Kv)).exit_code, 1);
}

TEST(CheckCommand, BudgetExhaustedExitsTwo) {
  // 24 concurrent writes and a read of a value none of them wrote (see budget_test.cpp).
  const std::string path = ::testing::TempDir() + "synod_hard_history.jsonl";
  {
    std::ofstream out(path);
    for (int p = 0; p < 24; ++p) {
      out << nlohmann::json{{"process", p}, {"type", "invoke"}, {"f", "write"}, {"value", p}}.dump()
          << "\n";
    }
    out << R"({"process": 99, "type": "invoke", "f": "read"})" << "\n";
    out << R"({"process": 99, "type": "ok", "f": "read", "value": 999})" << "\n";
    for (int p = 0; p < 24; ++p) {
      out << nlohmann::json{{"process", p}, {"type", "ok"}, {"f", "write"}, {"value", p}}.dump()
          << "\n";
    }
  }
  CheckCommandOptions options = on(path);
  options.timeout_s = 0.05;
  const CommandRun r = run(options);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("unknown (time budget ran out)"), std::string::npos) << r.out;
  std::remove(path.c_str());
}

TEST(CheckCommand, JsonOutput) {
  CheckCommandOptions options = on(data("stale_read.jsonl"));
  options.json = true;
  const CommandRun r = run(options);
  EXPECT_EQ(r.exit_code, 1);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["verdict"], "not-linearizable");
  EXPECT_EQ(j["model"], "register");
  EXPECT_EQ(j["keys_checked"], 1);
  EXPECT_EQ(j["ops_checked"], 3);
  EXPECT_TRUE(j.contains("elapsed_s"));
  EXPECT_EQ(j["keys"][0]["explanation"]["blocking"]["complete_time"], 1.204);
}

TEST(Summary, OneLine) {
  std::ifstream healthy(data("healthy_two_keys.jsonl"));
  const CheckResult ok = check(parse_history_jsonl(healthy, "healthy"), Model::Register);
  EXPECT_EQ(summary_line(ok).rfind("linearizable: 2 keys, 6 ops checked in ", 0), 0u)
      << summary_line(ok);
  std::ifstream stale(data("stale_read.jsonl"));
  const CheckResult bad = check(parse_history_jsonl(stale, "stale"), Model::Register);
  EXPECT_EQ(summary_line(bad).rfind("NOT linearizable: key x: read of x returned 3 at 1.204 s", 0), 0u)
      << summary_line(bad);
}

TEST(Summary, TimingStaysOutOfTheDeterministicJson) {
  std::ifstream in(data("stale_read.jsonl"));
  const nlohmann::json j = to_json(check(parse_history_jsonl(in, "stale"), Model::Register), false);
  EXPECT_FALSE(j.contains("elapsed_s"));
  EXPECT_FALSE(j.contains("peak_memory_bytes"));
  EXPECT_FALSE(j["keys"][0].contains("elapsed_s"));
}

// Many files in one call: each gets its report, an unreadable one its error without stopping the
// others, and the exit code is the largest of theirs.
TEST(CheckCommand, ManyFilesInOneCall) {
  CheckCommandOptions options = on(data("healthy_two_keys.jsonl"));
  options.files.push_back(data("stale_read.jsonl"));
  CommandRun r = run(options);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("healthy_two_keys.jsonl: linearizable"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stale_read.jsonl: NOT linearizable"), std::string::npos) << r.out;

  options.files.push_back(data("no_such_file.jsonl"));
  options.files.push_back(data("healthy_two_keys.jsonl"));
  r = run(options);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot read " + data("no_such_file.jsonl")), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("healthy_two_keys.jsonl: linearizable"),
            r.out.rfind("healthy_two_keys.jsonl: linearizable"));  // the file after the error too

  options.json = true;
  r = run(options);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 4u);
  EXPECT_EQ(j[0]["verdict"], "linearizable");
  EXPECT_EQ(j[1]["verdict"], "not-linearizable");
  EXPECT_EQ(j[1]["file"], data("stale_read.jsonl"));
  EXPECT_NE(j[2]["error"].get<std::string>().find("cannot read"), std::string::npos);
  EXPECT_EQ(j[3]["verdict"], "linearizable");
}

TEST(ParseModel, NamesAndErrors) {
  EXPECT_EQ(parse_model("kv"), Model::Kv);
  EXPECT_EQ(parse_model("register"), Model::Register);
  EXPECT_EQ(parse_model("set"), std::nullopt);
}

}  // namespace
}  // namespace synod::analysis
