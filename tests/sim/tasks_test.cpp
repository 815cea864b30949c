// The tasks family through the whole simulator (one synod process per run): the queueing models
// against their closed forms (docs/validation.md has the longer runs of bench/tasks-theory.sh),
// round-robin stalling on a slow worker, and the ledger under worker and master crashes.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "analysis/queueing.hpp"
#include "run_util.hpp"

namespace synod::test {
namespace {

namespace fs = std::filesystem;
namespace q = analysis::queueing;

struct SynodRun {
  int exit_code = -1;
  nlohmann::json report;
};

SynodRun run_text(const TempDir& dir, const std::string& name, const std::string& yaml, uint64_t seed) {
  const fs::path file = dir.path() / (name + ".yaml");
  std::ofstream(file) << yaml;
  const fs::path out = dir.path() / ("out-" + name);
  const CommandResult r = run_command(std::string(SYNOD_BINARY) + " run " + file.string() +
                                      " --quiet --seed " + std::to_string(seed) + " --out " +
                                      out.string());
  EXPECT_NE(r.exit_code, 2) << r.output;
  SynodRun run;
  run.exit_code = r.exit_code;
  if (fs::exists(out / "report.json")) run.report = read_json(out / "report.json");
  return run;
}

// A textbook queue: `workers` one-core 1 Gf workers, no network delay, Poisson arrivals.
std::string queue_yaml(int workers, const std::string& policy, double rate, const std::string& work,
                       int duration_s, int cores = 1) {
  std::string hosts;
  if (cores > 1) {
    hosts = "  hosts:\n    - {nodes: [";
    for (int i = 2; i <= workers + 1; ++i) hosts += (i > 2 ? ", n" : "n") + std::to_string(i);
    hosts += "], cores: " + std::to_string(cores) + "}\n";
  }
  return "name: q\nduration: " + std::to_string(duration_s) + "s\ncluster:\n  nodes: " +
         std::to_string(workers + 1) + "\n  latency: 0ms\n  client_latency: 0ms\n" + hosts +
         "protocol:\n  name: tasks\n  policy: " + policy +
         "\n  heartbeat: 10s\n  failure_timeout: 60s\nworkload:\n  arrivals: {process: poisson, "
         "rate: " + std::to_string(rate) + "/s}\n  work: " + work + "\n  stop: " +
         std::to_string(duration_s - 1) + "s\n  warmup: 100s\n  retry: 100000s\n" +
         "trace: {clock_check: false}\nreport: {formats: [json]}\n";
}

// Mean wait and mean time in system, pooled over seeds (weighted by tasks measured).
struct Pooled {
  double wait = 0, system = 0;
  uint64_t tasks = 0;
};
Pooled pooled(const TempDir& dir, const std::string& yaml, int seeds) {
  Pooled p;
  double wait = 0, system = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    const SynodRun r = run_text(dir, "queue", yaml, static_cast<uint64_t>(seed));
    EXPECT_EQ(r.exit_code, 0);
    const auto& t = r.report["tasks"];
    EXPECT_EQ(t["lost"], 0);
    const double n = t["wait"]["count"].get<double>();
    wait += n * t["wait"]["mean_s"].get<double>();
    system += n * (t["wait"]["mean_s"].get<double>() + t["service"]["mean_s"].get<double>());
    p.tasks += static_cast<uint64_t>(n);
  }
  p.wait = wait / static_cast<double>(p.tasks);
  p.system = system / static_cast<double>(p.tasks);
  return p;
}

constexpr const char* kExp = "{dist: exponential, mean: 1s}";

TEST(TasksTheory, MM1MeanWaitMatchesErlangC) {
  TempDir dir("tasks-mm1");
  for (double rho : {0.5, 0.8}) {
    const Pooled p = pooled(dir, queue_yaml(1, "pull", rho, kExp, 100000), rho < 0.6 ? 3 : 6);
    const double expected = q::mmc_mean_wait(1, rho, 1);
    EXPECT_NEAR(p.wait / expected, 1.0, 0.03) << "rho " << rho << ": " << p.wait << " s over "
                                              << p.tasks << " tasks, Erlang C " << expected;
  }
}

TEST(TasksTheory, MMcMeanWaitMatchesErlangC) {
  TempDir dir("tasks-mmc");
  const Pooled p = pooled(dir, queue_yaml(4, "pull", 3.2, kExp, 60000), 3);  // rho 0.8
  const double expected = q::mmc_mean_wait(4, 3.2, 1);
  EXPECT_NEAR(p.wait / expected, 1.0, 0.03) << p.wait << " s over " << p.tasks << " tasks, Erlang C "
                                            << expected;
}

TEST(TasksTheory, PullOnMultiCoreWorkersIsOneMMcOverEveryCore) {
  TempDir dir("tasks-mmc-cores");
  const std::string yaml = queue_yaml(2, "pull", 3.2, kExp, 60000, /*cores=*/2);  // M/M/4, rho 0.8
  const Pooled p = pooled(dir, yaml, 3);
  const double expected = q::mmc_mean_wait(4, 3.2, 1);
  EXPECT_NEAR(p.wait / expected, 1.0, 0.03) << p.wait << " s over " << p.tasks << " tasks, Erlang C "
                                            << expected;
  const SynodRun one = run_text(dir, "queue", yaml, 1);
  EXPECT_EQ(one.report["tasks"]["theory"]["model"], "M/M/4 (Erlang C), rho 0.800");
}

TEST(TasksTheory, MD1MeanWaitMatchesPollaczekKhinchine) {
  TempDir dir("tasks-md1");
  const Pooled p = pooled(dir, queue_yaml(1, "pull", 0.8, "1s", 100000), 3);
  const double expected = q::mg1_mean_wait(0.8, 1, 0);  // 2 s: half of M/M/1's
  EXPECT_NEAR(p.wait / expected, 1.0, 0.03) << p.wait << " s over " << p.tasks << " tasks, P-K "
                                            << expected;
}

TEST(TasksTheory, PowerOfTwoChoicesMatchesTheSupermarketModel) {
  TempDir dir("tasks-p2");
  const Pooled two = pooled(dir, queue_yaml(100, "power-of-d", 90, kExp, 1500), 3);
  const Pooled random = pooled(dir, queue_yaml(100, "random", 90, kExp, 1500), 3);
  const double expected_two = q::supermarket_mean_response(0.9, 2);  // 2.6141
  const double expected_random = q::supermarket_mean_response(0.9, 1);  // 10
  EXPECT_NEAR(two.system / expected_two, 1.0, 0.05) << two.system << " s over " << two.tasks;
  EXPECT_NEAR(random.system / expected_random, 1.0, 0.05) << random.system << " s over " << random.tasks;
}

TEST(Tasks, RoundRobinStallsOnASlowWorkerWhileQueueAwarePoliciesDoNot) {
  TempDir dir("tasks-balancers");
  const std::string text = scenario_text("tasks-balancers");
  const SynodRun rr = run_text(dir, "rr", text, 1);
  ASSERT_EQ(rr.exit_code, 0);
  EXPECT_GT(rr.report["tasks"]["unfinished"].get<int>(), 50) << "n6's queue grows all run";
  EXPECT_GT(rr.report["tasks"]["response"]["p99_s"].get<double>(), 60);
  for (const char* policy : {"least-loaded", "pull", "least-connections"}) {
    const SynodRun r = run_text(dir, policy, replaced(text, "policy: round-robin",
                                                 std::string("policy: ") + policy), 1);
    ASSERT_EQ(r.exit_code, 0) << policy;
    EXPECT_LT(r.report["tasks"]["unfinished"].get<int>(), 10) << policy;
    EXPECT_LT(r.report["tasks"]["response"]["p99_s"].get<double>(), 30) << policy;
  }
}

TEST(Tasks, WorkerCrashesLoseNoTaskAndExactlyOnceDeliversEachOnce) {
  TempDir dir("tasks-crash");
  const std::string alo = scenario_text("tasks-worker-crash");
  const std::string exo = replaced(alo, "delivery: at-least-once", "delivery: exactly-once");
  uint64_t duplicated = 0, dropped = 0, redispatched = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    for (const std::string* text : {&alo, &exo}) {
      const SynodRun r = run_text(dir, text == &alo ? "alo" : "exo", *text, seed);
      ASSERT_EQ(r.exit_code, 0) << "seed " << seed << " " << r.report["tasks"].dump();
      const auto& t = r.report["tasks"];
      EXPECT_EQ(t["lost"], 0) << "seed " << seed;
      EXPECT_EQ(t["unfinished"], 0) << "seed " << seed;
      EXPECT_EQ(t["arrived"], t["completed"]) << "seed " << seed;
      redispatched += t["redispatched"].get<uint64_t>();
      if (text == &alo) {
        duplicated += t["duplicated_tasks"].get<uint64_t>();
      } else {
        EXPECT_EQ(t["duplicated_tasks"], 0) << "seed " << seed;
        dropped += t["duplicate_executions_dropped"].get<uint64_t>();
      }
    }
  }
  // The faults did make work for the guarantees (or this test would prove nothing).
  EXPECT_GT(redispatched, 100u);
  EXPECT_GT(duplicated, 0u);
  EXPECT_GT(dropped, 0u);
}

TEST(Tasks, WithoutRedispatchTheLedgerFindsTheLostTasks) {
  TempDir dir("tasks-lost");
  std::string text = replaced(scenario_text("tasks-worker-crash"), "  - {at: 60s, crash: n1, for: 2s}\n", "");
  text = replaced(text, "delivery: at-least-once", "delivery: at-least-once\n  redispatch: false");
  const SynodRun r = run_text(dir, "lost", text, 1);
  EXPECT_EQ(r.exit_code, 1) << "a lost task is a safety failure";
  EXPECT_GT(r.report["tasks"]["lost"].get<int>(), 0);
  EXPECT_NE(r.report["tasks"]["unfinished_tasks"][0]["where"].get<std::string>().find("redispatch is off"),
            std::string::npos);
}

// A known gap, caught by the ledger: the master learns of a lost Run only through the worker's
// death, so under message loss a task can wait forever at a live worker that never got it. The
// run is marked unsafe and the task named (a fix — Runs acknowledged, or reconciled from the
// heartbeats — is future work; see the closing note of the session that found it).
TEST(Tasks, UnderMessageLossTheLedgerNamesTasksWhoseRunWasLost) {
  TempDir dir("tasks-loss");
  // Without the master's crash at 60 s, whose restart would send every unfinished task again.
  const std::string text =
      replaced(replaced(scenario_text("tasks-worker-crash"), "  - {at: 60s, crash: n1, for: 2s}\n", ""),
               "faults:\n", "faults:\n  - {at: 30s, loss: {targets: all, p: 0.2}, for: 10s}\n");
  int caught = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const SynodRun r = run_text(dir, "loss", text, seed);
    const auto& t = r.report["tasks"];
    if (t["lost"].get<int>() == 0) {
      EXPECT_EQ(r.exit_code, 0) << "seed " << seed;
      continue;
    }
    ++caught;
    EXPECT_EQ(r.exit_code, 1) << "seed " << seed;
    bool named = false;
    for (const auto& u : t["unfinished_tasks"])
      named |= u["lost"].get<bool>() &&
               u["where"].get<std::string>().find("its Run was lost") != std::string::npos;
    EXPECT_TRUE(named) << t["unfinished_tasks"].dump();
  }
  EXPECT_GT(caught, 0) << "20% loss for 10 s loses some Run on some seed";
}

}  // namespace
}  // namespace synod::test
