// Bad input to the workload and storage families is a clear error naming the file, the line and
// what is wrong — scenario keys and the CSV trace a tasks workload reads; and a good trace loads.
#include <gtest/gtest.h>

#include <fstream>

#include "run_util.hpp"
#include "sim/families/registry.hpp"

namespace synod::sim {
namespace {

namespace fs = std::filesystem;

const char* kTasks = R"(name: t
duration: 100s
cluster: {nodes: 3}
protocol: {name: tasks, policy: round-robin}
workload:
  arrivals: {process: poisson, rate: 2/s}
  work: {dist: exponential, mean: 1s}
)";

std::string error_of(const std::string& yaml, const fs::path& file) {
  std::ofstream(file) << yaml;
  try {
    registry::load(file.string());
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(FamilyInput, TasksKeysAreChecked) {
  test::TempDir dir("family-input");
  const fs::path f = dir.path() / "t.yaml";
  EXPECT_EQ(error_of(kTasks, f), "(no error)");
  EXPECT_NE(error_of(test::replaced(kTasks, "policy: round-robin", "policy: fastest"), f)
                .find("t.yaml:4:33: unknown policy 'fastest' (expected one of: round-robin, weighted-round-robin"),
            std::string::npos)
      << error_of(test::replaced(kTasks, "policy: round-robin", "policy: fastest"), f);
  EXPECT_NE(error_of(test::replaced(kTasks, "policy: round-robin", "policy: random, d: 3"), f)
                .find("'d' applies to policy: power-of-d only"),
            std::string::npos);
  EXPECT_NE(error_of(test::replaced(kTasks, "mean: 1s}", "mean: 1s, alpha: 2}"), f)
                .find("'alpha' does not apply to dist: exponential"),
            std::string::npos);
  EXPECT_NE(error_of(test::replaced(kTasks, "cluster: {nodes: 3}", "cluster: {nodes: 1}"), f)
                .find("needs at least 2 nodes"),
            std::string::npos);
  EXPECT_NE(error_of(test::replaced(kTasks, "  arrivals: {process: poisson, rate: 2/s}\n", ""), f)
                .find("missing required key 'arrivals'"),
            std::string::npos);
}

TEST(FamilyInput, ATaskTraceLoadsAndABadRowNamesItsLine) {
  test::TempDir dir("family-trace");
  const fs::path f = dir.path() / "t.yaml";
  const std::string yaml = test::replaced(test::replaced(kTasks, "{process: poisson, rate: 2/s}", "{process: trace, file: tasks.csv}"),
                                "  work: {dist: exponential, mean: 1s}\n", "");
  std::ofstream(dir.path() / "tasks.csv") << "time_s,work_s\n0.5,1\n1.0,0.25\n# a comment\n2.5,3\n";
  EXPECT_EQ(error_of(yaml, f), "(no error)");
  std::ofstream(dir.path() / "tasks.csv") << "time_s,work_s\n0.5,1\n1.0,lots\n";
  const std::string e = error_of(yaml, f);
  EXPECT_NE(e.find("tasks.csv:3: expected 2 numbers (time_s, work_s), got '1.0,lots'"), std::string::npos) << e;
  std::ofstream(dir.path() / "tasks.csv") << "2,1\n1,1\n";
  EXPECT_NE(error_of(yaml, f).find("tasks.csv:2: times must be >= 0 and not decrease"), std::string::npos)
      << error_of(yaml, f);
  fs::remove(dir.path() / "tasks.csv");
  EXPECT_NE(error_of(yaml, f).find("CSV file 'tasks.csv' not found"), std::string::npos);
}

TEST(FamilyInput, ATaskTraceRunsEveryRow) {
  test::TempDir dir("family-trace-run");
  const fs::path f = dir.path() / "t.yaml";
  std::string yaml = test::replaced(test::replaced(kTasks, "{process: poisson, rate: 2/s}", "{process: trace, file: tasks.csv}"),
                          "  work: {dist: exponential, mean: 1s}\n", "");
  std::ofstream(f) << yaml;
  std::ofstream csv(dir.path() / "tasks.csv");
  csv << "time_s,work_s\n";
  for (int k = 0; k < 50; ++k) csv << k * 1.5 << "," << (k % 5) * 0.2 << "\n";
  csv.close();
  const test::CommandResult r = test::run_command(std::string(SYNOD_BINARY) + " run " + f.string() +
                                                  " --quiet --out " + (dir.path() / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = test::read_json(dir.path() / "out" / "report.json")["tasks"];
  EXPECT_EQ(j["arrived"], 50);
  EXPECT_EQ(j["completed"], 50);
  // Work 0, 0.2, ... 0.8 s on 1 Gf cores, well apart: service equals the work, no wait.
  EXPECT_NEAR(j["service"]["mean_s"].get<double>(), 0.4, 1e-6);
  EXPECT_NEAR(j["wait"]["mean_s"].get<double>(), 0.001, 1e-4) << "one 1 ms hop to the worker";
}

TEST(FamilyInput, ServerlessAndQuorumKeysAreChecked) {
  test::TempDir dir("family-input-2");
  const fs::path f = dir.path() / "s.yaml";
  const std::string faas = R"(name: s
duration: 100s
cluster: {nodes: 2}
protocol: {name: serverless, host_memory: 1GB}
workload:
  functions:
    - {name: f, rate: 1/s, memory: 2GB, warm: 1s, cold: 2s}
)";
  EXPECT_NE(error_of(faas, f).find("s.yaml:7:36: f needs 2048 MB, more than a host has (1024 MB)"),
            std::string::npos)
      << error_of(faas, f);
  EXPECT_NE(error_of(test::replaced(faas, "protocol: {name: serverless, host_memory: 1GB}",
                          "protocol: {name: serverless, autoscale_window: 10s}"), f)
                .find("'autoscale_window' applies only with target_concurrency"),
            std::string::npos);
  const std::string quorum = R"(name: q
duration: 10s
cluster: {nodes: 3}
protocol: {name: quorum, n: 3, r: 4}
)";
  EXPECT_NE(error_of(quorum, f).find("r 4 is more than n 3"), std::string::npos) << error_of(quorum, f);
  EXPECT_NE(error_of(test::replaced(quorum, "n: 3, r: 4", "n: 5"), f).find("n 5 is more replicas than the cluster's 3 nodes"),
            std::string::npos);
}

TEST(FamilyInput, AnAzureFunctionsTraceDrivesAFunction) {
  test::TempDir dir("family-azure");
  const fs::path f = dir.path() / "s.yaml";
  std::ofstream(dir.path() / "azure.csv")
      << "HashOwner,HashApp,HashFunction,Trigger,1,2,3\n"
      << "o1,a1,fa,http,5,0,10\n"
      << "o1,a1,fb,timer,1,1,1\n";
  const std::string yaml = R"(name: s
duration: 300s
cluster: {nodes: 2, latency: 0ms, client_latency: 0ms}
protocol: {name: serverless}
workload:
  functions:
    - {name: a, trace: {file: azure.csv, function: fa}, warm: 100ms, cold: 500ms}
    - {name: b, trace: {file: azure.csv, row: 2}, warm: 100ms, cold: 500ms}
)";
  std::ofstream(f) << yaml;
  const test::CommandResult r = test::run_command(std::string(SYNOD_BINARY) + " run " + f.string() +
                                                  " --quiet --out " + (dir.path() / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = test::read_json(dir.path() / "out" / "report.json")["serverless"];
  EXPECT_EQ(j["invocations"], 18) << "5 + 0 + 10 of fa, 1 + 1 + 1 of fb";
  EXPECT_EQ(j["completed"], 18);
  std::ofstream(dir.path() / "azure.csv") << "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,fa,http,3,x\n";
  EXPECT_NE(error_of(yaml, f).find("azure.csv:2: minute 2: expected a count of invocations"), std::string::npos)
      << error_of(yaml, f);
  std::ofstream(dir.path() / "azure.csv") << "HashOwner,HashApp,HashFunction,Trigger,1\no,a,fz,http,3\n";
  EXPECT_NE(error_of(yaml, f).find("no row for function 'fa'"), std::string::npos) << error_of(yaml, f);
}

}  // namespace
}  // namespace synod::sim
