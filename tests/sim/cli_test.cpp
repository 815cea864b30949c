// The synod command line as a user meets it: bad scenario files give one clear error naming
// file:line:column and exit code 2; a good run exits 0 and writes its three files.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "run_util.hpp"

namespace synod::test {
namespace {

namespace fs = std::filesystem;

TEST(Cli, EveryBadScenarioFileExitsTwoWithFileAndLine) {
  int checked = 0;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(SYNOD_TEST_DATA) / "bad")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.string());
    TempDir out("cli-bad");
    CommandResult r = run_command(std::string(SYNOD_BINARY) + " run " + f.string() + " --out " +
                                  out.path().string());
    EXPECT_EQ(r.exit_code, 2) << r.output;
    // "synod: /path/file.yaml:12:5: what is wrong" (line 0 only for an unreadable file).
    std::regex shape("^synod: " + std::regex_replace(f.string(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                     R"(:[0-9]+:[0-9]+: .+\n$)");
    EXPECT_TRUE(std::regex_match(r.output, shape)) << r.output;
    EXPECT_TRUE(fs::is_empty(out.path())) << "a rejected scenario must not write any output";
    checked++;
  }
  EXPECT_GE(checked, 10);
}

TEST(Cli, MissingFileIsAnErrorNotACrash) {
  CommandResult r = run_command(std::string(SYNOD_BINARY) + " run /nonexistent/x.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("/nonexistent/x.yaml"), std::string::npos) << r.output;
}

// A platform file SimGrid would stop the process on: the routing name is checked first (with
// its line); a mistake only SimGrid's assertions see ends in exit 2 naming the platform file,
// not a bare abort. Nothing is written in either case.
TEST(Cli, PlatformFilesSimGridAbortsOnExitTwoNamingThem) {
  const std::string platforms = std::string(SYNOD_TEST_DATA) + "/platforms/";
  for (const auto& [xml, phrase] : std::vector<std::pair<std::string, std::string>>{
           {"unknown_routing.xml", "unknown_routing.xml:6: unknown routing 'Bogus'"},
           {"empty_trace.xml",
            "empty_trace.xml: the simulation stopped on the message above (from "
            "SimGrid)"}}) {
    SCOPED_TRACE(xml);
    TempDir dir("cli-platform");
    const fs::path scenario = dir.path() / "s.yaml";
    std::ofstream(scenario) << "duration: 1s\ncluster:\n  nodes: 2\n  topology: platform\n"
                            << "  platform: " << platforms << xml << "\n";
    const fs::path out = dir.path() / "out";
    CommandResult r = run_command(std::string(SYNOD_BINARY) + " run " + scenario.string() +
                                  " --out " + out.string());
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(phrase), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out)) << "nothing may be written";
  }
}

// --out: a user's file of an output's name is never overwritten (checked before the run); an
// earlier run's outputs are replaced, and the summary says so; other files are left alone.
TEST(Cli, OutputDirectoryKeepsTheUsersFiles) {
  const std::string run = std::string(SYNOD_BINARY) + " run " + SYNOD_SOURCE_DIR +
                          "/tests/sim/data/good/minimal.yaml --out ";
  TempDir dir("cli-out");
  const fs::path theirs = dir.path() / "theirs";
  fs::create_directories(theirs);
  std::ofstream(theirs / "history.jsonl") << "{\"mine\": 1}\n";
  CommandResult refused = run_command(run + theirs.string());
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("holds history.jsonl, not from a synod run"), std::string::npos)
      << refused.output;
  std::ifstream kept(theirs / "history.jsonl");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "{\"mine\": 1}\n");
  EXPECT_FALSE(fs::exists(theirs / "report.json"));

  const fs::path ours = dir.path() / "ours";
  fs::create_directories(ours);
  std::ofstream(ours / "notes.txt") << "keep\n";
  CommandResult first = run_command(run + ours.string());
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(first.output.find("replacing"), std::string::npos) << first.output;
  CommandResult again = run_command(run + ours.string());
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("(replacing an earlier run's)"), std::string::npos) << again.output;
  EXPECT_TRUE(fs::exists(ours / "notes.txt"));

  std::ofstream(dir.path() / "afile") << "x\n";
  CommandResult file = run_command(run + (dir.path() / "afile").string());
  EXPECT_EQ(file.exit_code, 2);
  EXPECT_NE(file.output.find("exists and is not a directory"), std::string::npos) << file.output;
  CommandResult scenario_dir =
      run_command(std::string(SYNOD_BINARY) + " run " + dir.path().string());
  EXPECT_EQ(scenario_dir.exit_code, 2);
  EXPECT_NE(scenario_dir.output.find("is a directory, not a scenario file"), std::string::npos);
}

TEST(Cli, UnknownSubcommandOrOptionExitsTwo) {
  EXPECT_EQ(run_command(std::string(SYNOD_BINARY) + " frobnicate").exit_code, 2);
  EXPECT_EQ(run_command(std::string(SYNOD_BINARY) + " run --no-such-flag x.yaml").exit_code, 2);
}

// One duration parser for the whole program: a flag reads durations as a scenario file does.
TEST(Cli, SeedJobsVersionAndAMistypedCommand) {
  const std::string synod = SYNOD_BINARY;
  const std::string scenario = std::string(SYNOD_SOURCE_DIR) + "/scenarios/raft-basic.yaml";
  CommandResult neg = run_command(synod + " run " + scenario + " --seed -1 --quiet");
  EXPECT_EQ(neg.exit_code, 2);
  EXPECT_NE(neg.output.find("--seed: expected a whole number from 0 to 18446744073709551615, got '-1'"),
            std::string::npos) << neg.output;
  CommandResult big = run_command(synod + " run " + scenario + " --seed 18446744073709551616 --quiet");
  EXPECT_EQ(big.exit_code, 2);
  CommandResult j0 = run_command(synod + " compare " + scenario + " --seeds 1 -j 0");
  EXPECT_EQ(j0.exit_code, 2) << j0.output;
  CommandResult v = run_command(synod + " --version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.output.rfind("synod ", 0), 0u) << v.output;
  CommandResult typo = run_command(synod + " rnu " + scenario);
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.output.find("unknown command 'rnu' (expected run, compare, sweep, shrink or check"), std::string::npos)
      << typo.output;
}

TEST(Cli, DurationFlagsFollowTheScenarioRules) {
  const std::string scenario = std::string(SYNOD_SOURCE_DIR) + "/scenarios/raft-basic.yaml";
  for (const char* command : {"run --check-timeout 60 --out /dev/null/x", "check --timeout 30"}) {
    SCOPED_TRACE(command);
    CommandResult r = run_command(std::string(SYNOD_BINARY) + " " + command + " " + scenario);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("a bare number is ambiguous as a duration, got '"), std::string::npos)
        << r.output;
  }
  TempDir out("cli-timeout");
  CommandResult ok = run_command(std::string(SYNOD_BINARY) + " run " + scenario +
                                 " --check-timeout 1.5m --quiet --out " + out.path().string());
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST(Cli, GoodRunWritesReportHistoryAndEvents) {
  TempDir out("cli-good");
  CommandResult r = run_command(synod_run("raft-basic", 3, out.path()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(r.output.empty()) << "--quiet prints nothing on success: " << r.output;
  for (const char* name : {"report.json", "history.jsonl", "events.jsonl"})
    EXPECT_TRUE(fs::exists(out.path() / name)) << name;
  auto report = read_json(out.path() / "report.json");
  EXPECT_EQ(report["seed"], 3);
  EXPECT_EQ(report["scenario"], "raft-basic");
  EXPECT_EQ(report["schema_version"], 1);
}

TEST(Cli, OutputPathThatIsAFileIsRefused) {
  TempDir dir("cli-file");
  fs::path file = dir.path() / "not-a-dir";
  std::ofstream(file) << "keep me";
  CommandResult r = run_command(synod_run("raft-basic", 1, file));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(read_file(file), "keep me");
}

}  // namespace
}  // namespace synod::test

namespace synod::test {
namespace {

// `synod check` as a user runs it on a history from elsewhere, and on one synod wrote.
TEST(CliCheck, ExitCodesFollowTheVerdict) {
  const std::string data = std::string(SYNOD_SOURCE_DIR) + "/tests/analysis/data/";
  const std::string check = std::string(SYNOD_BINARY) + " check --model register ";
  CommandResult stale = run_command(check + data + "stale_read.jsonl");
  EXPECT_EQ(stale.exit_code, 1) << stale.output;
  EXPECT_NE(stale.output.find("NOT linearizable"), std::string::npos) << stale.output;
  EXPECT_EQ(run_command(check + "--format jepsen " + data + "stale_read.edn").exit_code, 1);
  EXPECT_EQ(run_command(check + data + "healthy_two_keys.jsonl").exit_code, 0);
  CommandResult bad = run_command(check + data + "malformed.jsonl");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("malformed.jsonl:"), std::string::npos) << bad.output;
  EXPECT_EQ(run_command(check + "/nonexistent.jsonl").exit_code, 2);
  EXPECT_EQ(run_command(std::string(SYNOD_BINARY) + " check --model graph x.jsonl").exit_code, 2);
  // A history written by `synod run` checks the same way on its own.
  TempDir out("cli-check");
  ASSERT_EQ(run_command(synod_run("raft-leader-crash", 2, out.path())).exit_code, 0);
  CommandResult own = run_command(check + "--json " + (out.path() / "history.jsonl").string());
  EXPECT_EQ(own.exit_code, 0) << own.output;
  EXPECT_EQ(nlohmann::json::parse(own.output)["verdict"], "linearizable");
}

}  // namespace
}  // namespace synod::test
