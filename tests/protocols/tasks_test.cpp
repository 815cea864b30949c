// Task scheduling (protocols/tasks) without SimGrid: a small event loop delivers messages after a
// fixed latency and finishes each compute after work / speed, so the policies, the failure
// handling and the ledger can be checked step by step.
#include <gtest/gtest.h>

#include <memory>

#include "protocols/tasks/ledger.hpp"
#include "protocols/tasks/master.hpp"
#include "protocols/tasks/source.hpp"
#include "protocols/tasks/worker.hpp"
#include "tests/protocols/event_loop.hpp"

namespace synod::tasks {
namespace {

constexpr Nanos kMs = kNanosPerMilli;

// Master = node 0, workers 1..w, the source is address w + 1.
class Sim {
 public:
  Sim(int workers, Config c, Arrivals a, uint64_t seed = 1)
      : n_(workers + 1), config_(with_cores(std::move(c), workers + 1)), arrivals_(std::move(a)),
        ledger_(n_),
        loop_(n_ + 1, [this, seed](int i, uint64_t boot) -> std::unique_ptr<ProtocolNode> {
          Rng rng = Rng::stream(seed, "node", static_cast<uint64_t>(i) * 1000 + boot);
          if (i == 0) return std::make_unique<Master>(0, n_, config_, &disk_, rng);
          if (i < n_) return std::make_unique<Worker>(i, n_, config_, rng);
          return std::make_unique<Source>(0, 1, arrivals_, &ledger_, rng);
        }) {
    loop_.on_send = [this](int, int to, const Message& m) {
      if (m.kind() == MsgKind::TaskRun) run_order.push_back(to);
    };
    loop_.run_until(0);
  }
  void crash(int i) { loop_.crash(i); }
  void restart(int i) { loop_.restart(i); }
  void cut(int a, int b, bool on) { loop_.cut(a, b, on); }
  void run_until(Nanos end) { loop_.run_until(end); }
  Master& master() { return static_cast<Master&>(loop_.node(0)); }
  Worker& worker(int i) { return static_cast<Worker&>(loop_.node(i)); }
  const Ledger& ledger() const { return ledger_; }
  const MasterStorage& disk() const { return disk_; }
  const std::vector<std::string>& violations() const { return loop_.violations; }
  std::vector<int> run_order;

 private:
  static Config with_cores(Config c, int n) {
    c.cores.assign(static_cast<size_t>(n), 1);
    return c;
  }
  int n_;
  Config config_;
  Arrivals arrivals_;
  Ledger ledger_;
  MasterStorage disk_;
  testkit::EventLoop loop_;
};

Config config(Policy p) {
  Config c;
  c.policy = p;
  c.heartbeat = 100 * kMs;
  c.failure_timeout = 500 * kMs;
  return c;
}

Arrivals poisson(double rate, double work_s, Nanos stop) {
  Arrivals a;
  a.rate = rate;
  a.work = Distribution::exponential(work_s);
  a.stop = stop;
  a.retry = 1 * kNanosPerSecond;
  return a;
}

uint64_t completed(const Ledger& l) {
  uint64_t n = 0;
  for (const auto& e : l.entries()) n += e.result_at != kNever ? 1 : 0;
  return n;
}

TEST(Tasks, RoundRobinTakesTheWorkersInTurn) {
  Sim sim(3, config(Policy::RoundRobin), poisson(5, 0.05, 10 * kNanosPerSecond));
  sim.run_until(12 * kNanosPerSecond);
  ASSERT_GE(sim.run_order.size(), 30u);
  for (size_t k = 0; k < sim.run_order.size(); ++k)
    EXPECT_EQ(sim.run_order[k], static_cast<int>(k % 3) + 1) << "dispatch " << k;
  EXPECT_EQ(completed(sim.ledger()), summarize(sim.ledger(), 0).arrived);
  EXPECT_TRUE(sim.violations().empty());
}

TEST(Tasks, WeightedRoundRobinInterleavesByWeight) {
  Config c = config(Policy::WeightedRoundRobin);
  c.weights = {0, 5, 1, 1};
  Sim sim(3, c, poisson(5, 0.01, 20 * kNanosPerSecond));
  sim.run_until(22 * kNanosPerSecond);
  ASSERT_GE(sim.run_order.size(), 70u);
  // nginx's smooth weighted round-robin for 5, 1, 1: a a b a c a a, repeated.
  const int cycle[] = {1, 1, 2, 1, 3, 1, 1};
  for (size_t k = 0; k < sim.run_order.size(); ++k)
    EXPECT_EQ(sim.run_order[k], cycle[k % 7]) << "dispatch " << k;
}

TEST(Tasks, LeastLoadedHerdsOnStaleReports) {
  // Heartbeats every 2 s: between two reports every task goes to the one worker that reported
  // least, while jsq, which counts its own dispatches, spreads them.
  Config c = config(Policy::LeastLoaded);
  c.heartbeat = 2 * kNanosPerSecond;
  c.failure_timeout = 10 * kNanosPerSecond;
  Sim stale(4, c, poisson(20, 0.15, 30 * kNanosPerSecond));
  stale.run_until(60 * kNanosPerSecond);
  c.policy = Policy::Jsq;
  Sim exact(4, c, poisson(20, 0.15, 30 * kNanosPerSecond));
  exact.run_until(60 * kNanosPerSecond);
  // Longest run of consecutive dispatches to the same worker.
  auto longest = [](const std::vector<int>& v) {
    size_t best = 0, cur = 0;
    for (size_t k = 0; k < v.size(); ++k) {
      cur = k > 0 && v[k] == v[k - 1] ? cur + 1 : 1;
      best = std::max(best, cur);
    }
    return best;
  };
  EXPECT_GE(longest(stale.run_order), 15u);
  EXPECT_LE(longest(exact.run_order), 4u);
  const auto s = summarize(stale.ledger(), 0), e = summarize(exact.ledger(), 0);
  EXPECT_EQ(s.completed, s.arrived);
  EXPECT_GT(s.wait.mean, 3 * e.wait.mean) << "herding should queue tasks behind each other";
}

TEST(Tasks, PullNeverSendsMoreThanAWorkerHasCores) {
  Sim sim(3, config(Policy::Pull), poisson(50, 0.1, 5 * kNanosPerSecond));  // overloaded: rho 1.7
  sim.run_until(6 * kNanosPerSecond);
  EXPECT_GT(sim.master().queue_length(), 50u) << "the backlog waits at the master";
  for (int w = 1; w <= 3; ++w) EXPECT_LE(sim.worker(w).describe().find("queued=0"), 100u);
  EXPECT_TRUE(sim.violations().empty());
  sim.run_until(60 * kNanosPerSecond);
  const auto s = summarize(sim.ledger(), 0);
  EXPECT_EQ(s.completed, s.arrived);
}

TEST(Tasks, AWorkerCrashIsDetectedAndItsTasksRunElsewhere) {
  Sim sim(3, config(Policy::RoundRobin), poisson(10, 0.2, 20 * kNanosPerSecond));
  sim.run_until(5 * kNanosPerSecond);
  sim.crash(2);
  sim.run_until(12 * kNanosPerSecond);
  sim.restart(2);
  sim.run_until(40 * kNanosPerSecond);
  const auto s = summarize(sim.ledger(), 0);
  EXPECT_EQ(s.completed, s.arrived);
  EXPECT_GT(sim.disk().stats.redispatched, 0u);
  EXPECT_GE(sim.disk().stats.workers_declared_dead, 1u);
  EXPECT_EQ(s.duplicated_tasks, 0u) << "a crashed worker reports nothing: no second execution";
  EXPECT_TRUE(sim.violations().empty());
}

TEST(Tasks, WithoutRedispatchACrashLosesTasks) {
  Config c = config(Policy::RoundRobin);
  c.redispatch = false;
  Sim sim(3, c, poisson(10, 0.2, 20 * kNanosPerSecond));
  sim.run_until(5 * kNanosPerSecond);
  sim.crash(2);
  sim.run_until(40 * kNanosPerSecond);
  const auto s = summarize(sim.ledger(), 0);
  EXPECT_GT(s.unfinished, 0u);
  NodeId w = kNoNode;
  uint32_t attempt = 0;
  Nanos sent = 0;
  size_t stuck_on_2 = 0;
  for (size_t k = 0; k < sim.ledger().entries().size(); ++k)
    if (sim.ledger().entries()[k].result_at == kNever &&
        sim.master().holding(k + 1, sim.master().queued_ids(), &w, &attempt, &sent) ==
            Master::Holding::Assigned &&
        w == 2)
      stuck_on_2++;
  EXPECT_EQ(stuck_on_2, s.unfinished);
}

// A partition makes the master suspect a live worker: both copies run. At-least-once delivers
// both results; exactly-once delivers the first and drops the second.
void partition_run(Delivery delivery, LedgerSummary* s, MasterCounters* m) {
  Config c = config(Policy::RoundRobin);
  c.delivery = delivery;
  Sim sim(2, c, poisson(4, 1.0, 10 * kNanosPerSecond));
  sim.run_until(3 * kNanosPerSecond);
  sim.cut(0, 1, true);  // long enough to be declared dead, short enough that its queue remains
  sim.run_until(4 * kNanosPerSecond);
  sim.cut(0, 1, false);
  sim.run_until(200 * kNanosPerSecond);
  *s = summarize(sim.ledger(), 0);
  *m = sim.disk().stats;
  EXPECT_EQ(s->completed, s->arrived);
}

TEST(Tasks, AtLeastOnceDeliversDuplicatesExactlyOnceDropsThem) {
  LedgerSummary alo, exo;
  MasterCounters malo, mexo;
  partition_run(Delivery::AtLeastOnce, &alo, &malo);
  partition_run(Delivery::ExactlyOnce, &exo, &mexo);
  EXPECT_GT(alo.duplicated_tasks, 0u);
  EXPECT_EQ(malo.duplicate_done, 0u);
  EXPECT_EQ(exo.duplicated_tasks, 0u);
  EXPECT_GT(mexo.duplicate_done, 0u);
}

TEST(Tasks, ARestartedMasterSendsEveryUnfinishedTaskAgain) {
  Sim sim(3, config(Policy::Jsq), poisson(10, 0.3, 20 * kNanosPerSecond));
  sim.run_until(5 * kNanosPerSecond);
  sim.crash(0);
  sim.run_until(7 * kNanosPerSecond);
  sim.restart(0);
  sim.run_until(60 * kNanosPerSecond);
  const auto s = summarize(sim.ledger(), 0);
  EXPECT_EQ(s.completed, s.arrived) << "the table on disk and the sources' retries lose nothing";
  EXPECT_EQ(sim.disk().boots, 2u);
  EXPECT_TRUE(sim.violations().empty());
}

TEST(Tasks, OnOffArrivalsComeInBursts) {
  // On 10 s, off 30 s on average, 10/s while on: 2.5/s on average, and the count per second is
  // far more variable than Poisson's (variance = mean).
  Arrivals a = poisson(10, 0.01, 4000 * kNanosPerSecond);
  a.process = Arrivals::Process::OnOff;
  a.on = 10 * kNanosPerSecond;
  a.off = 30 * kNanosPerSecond;
  Sim sim(2, config(Policy::Jsq), a);
  sim.run_until(4001 * kNanosPerSecond);
  std::vector<double> per_second(4000, 0);
  uint64_t n = 0;
  for (const auto& e : sim.ledger().entries()) {
    if (e.arrived == kNever) continue;
    ++n;
    per_second[static_cast<size_t>(e.arrived / kNanosPerSecond)]++;
  }
  EXPECT_NEAR(static_cast<double>(n) / 4000, 2.5, 0.3);
  double mean = 0, var = 0;
  for (double c : per_second) mean += c / 4000;
  for (double c : per_second) var += (c - mean) * (c - mean) / 3999;
  EXPECT_GT(var / mean, 5) << "bursty: index of dispersion far above Poisson's 1";
}

TEST(Tasks, PercentilesAreNearestRank) {
  const Percentiles p = percentiles({5, 1, 4, 2, 3, 6, 7, 8, 9, 10});
  EXPECT_DOUBLE_EQ(p.mean, 5.5);
  EXPECT_DOUBLE_EQ(p.p50, 5);
  EXPECT_DOUBLE_EQ(p.p90, 9);
  EXPECT_DOUBLE_EQ(p.p99, 10);
}

}  // namespace
}  // namespace synod::tasks
