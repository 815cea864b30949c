// The serverless platform (protocols/serverless) without SimGrid, on the test event loop: routing
// to the newest idle instance, keep-alive expiry, eviction and rejection when memory runs out,
// the histogram policy's windows, and the autoscaler scaling to zero.
#include <gtest/gtest.h>

#include <memory>

#include "protocols/serverless/host.hpp"
#include "protocols/serverless/source.hpp"
#include "tests/protocols/event_loop.hpp"

namespace synod::faas {
namespace {

constexpr Nanos kS = kNanosPerSecond;

Function fixed_function(const std::string& name, double rate, double memory, double warm_s, double cold_s) {
  Function f;
  f.name = name;
  f.rate = rate;
  f.memory_mb = memory;
  f.warm = Distribution::fixed(warm_s);
  f.cold = Distribution::fixed(cold_s);
  f.boot = Distribution::fixed(cold_s - warm_s);
  return f;
}

// Controller = 0, hosts 1..h, one source at h + 1.
class Platform {
 public:
  Platform(int hosts, double host_mb, Config c, Nanos stop, uint64_t seed = 1)
      : config_(std::move(c)), n_(hosts + 1),
        loop_(hosts + 2, [this, host_mb, stop, seed](int i, uint64_t boot) -> std::unique_ptr<ProtocolNode> {
          config_.host_memory_mb.assign(static_cast<size_t>(n_), host_mb);
          Rng rng = Rng::stream(seed, "node", static_cast<uint64_t>(i) * 1000 + boot);
          if (i == 0) return std::make_unique<Controller>(0, n_, config_, &stats_, rng);
          if (i < n_) return std::make_unique<Host>(i, n_, config_, rng);
          return std::make_unique<Source>(0, 1, config_, 0, stop, &ledger_, rng);
        }) {
    loop_.on_send = [this](int from, int to, const Message& m) {
      if (m.kind() == MsgKind::FaasRun) runs.push_back({loop_.now(), static_cast<const Run&>(m).instance});
      if (m.kind() == MsgKind::FaasStop) stops.push_back(static_cast<const Stop&>(m).instance);
      (void)from;
      (void)to;
    };
  }
  void run_until(Nanos t) { loop_.run_until(t); }
  Controller& controller() { return static_cast<Controller&>(loop_.node(0)); }
  const Stats& stats() const { return stats_; }
  const Ledger& ledger() const { return ledger_; }
  const std::vector<std::string>& violations() const { return loop_.violations; }
  std::vector<std::pair<Nanos, uint64_t>> runs;
  std::vector<uint64_t> stops;

 private:
  Config config_;
  int n_;
  Stats stats_;
  Ledger ledger_;
  testkit::EventLoop loop_;
};

TEST(Serverless, EveryInvocationIsAnsweredOnceAndTheFirstIsCold) {
  Config c;
  c.functions = {fixed_function("f", 2, 128, 0.1, 0.5)};
  Platform p(2, 1024, c, 50 * kS);
  p.run_until(60 * kS);
  uint64_t n = 0, cold = 0;
  for (const auto& e : p.ledger().entries()) {
    if (e.arrived == kNever) continue;
    ++n;
    EXPECT_EQ(e.results, 1u);
    cold += e.cold ? 1 : 0;
  }
  EXPECT_GT(n, 60u);
  EXPECT_GE(cold, 1u);
  EXPECT_TRUE(p.ledger().entries()[0].cold) << "the very first call finds no instance";
  EXPECT_EQ(p.stats().cold + p.stats().warm, n);
  EXPECT_TRUE(p.violations().empty());
}

TEST(Serverless, WarmCallsGoToTheNewestIdleInstance) {
  // 8 calls/s of 1 s each: several instances; at low load afterwards, the oldest are never used
  // again and expire, the newest keep serving.
  Config c;
  c.functions = {fixed_function("f", 8, 128, 1.0, 1.2)};
  c.functions[0].schedule = {{10 * kS, 0.5}};
  c.ttl = 20 * kS;
  Platform p(1, 4096, c, 100 * kS);
  p.run_until(9 * kS);
  const int peak = p.controller().instances();
  EXPECT_GE(peak, 6);
  p.run_until(120 * kS);
  EXPECT_LE(p.controller().instances(), 3) << "instances left idle past the ttl are gone";
  EXPECT_GT(p.stats().expired, 3u);
  // Once the load dropped, the oldest instances were never chosen again: warm calls went to the
  // newest idle ones, so the old ones sat idle until they expired.
  size_t late = 0;
  for (const auto& [t, instance] : p.runs) {
    if (t < 15 * kS) continue;
    ++late;
    EXPECT_GT(instance, static_cast<uint64_t>(peak / 2)) << "at " << to_seconds(t) << " s";
  }
  EXPECT_GT(late, 20u);
}

TEST(Serverless, FullMemoryEvictsTheLeastRecentlyUsedIdleInstanceOrRejects) {
  // Host of 512 MB: two functions of 256 MB each fill it; a third function's cold start must
  // evict one idle instance; with both busy it is rejected.
  Config c;
  c.functions = {fixed_function("a", 0.5, 256, 0.2, 0.3), fixed_function("b", 0.5, 256, 0.2, 0.3),
                 fixed_function("c", 0.5, 256, 0.2, 0.3)};
  Platform p(1, 512, c, 200 * kS);
  p.run_until(210 * kS);
  EXPECT_GT(p.stats().evicted, 10u);
  EXPECT_TRUE(p.violations().empty()) << p.violations()[0];
  c.functions = {fixed_function("slow", 3, 256, 5, 5)};  // 15 in flight wanted, room for 2
  Platform q(1, 512, c, 20 * kS);
  q.run_until(40 * kS);
  EXPECT_GT(q.stats().rejected, 20u);
  EXPECT_TRUE(q.violations().empty());
}

// Invokes function 0 every `period`, exactly (the histogram policy's favourite case).
class Periodic final : public ProtocolNode {
 public:
  explicit Periodic(Nanos period) : period_(period) {}
  void start(Nanos now, Outbox&) override { next_ = now + period_; }
  void on_message(Nanos, Address, const Message& m, Outbox&) override {
    if (m.kind() == MsgKind::FaasResult) cold += static_cast<const Result&>(m).cold ? 1 : 0;
  }
  void on_timer(Nanos now, Outbox& out) override {
    auto m = std::make_shared<Invoke>();
    m->id = ++sent;
    out.send(0, std::move(m));
    next_ = now + period_;
  }
  Nanos next_timer() const override { return next_; }
  std::vector<std::string> check_invariants() override { return {}; }
  std::string describe() const override { return "periodic"; }
  uint64_t sent = 0, cold = 0;

 private:
  Nanos period_;
  Nanos next_ = kNever;
};

struct PeriodicRun {
  Stats stats;
  uint64_t sent = 0, cold = 0;
};
PeriodicRun periodic_run(KeepAlive policy, Nanos period, Nanos until) {
  Config c;
  c.functions = {fixed_function("f", 0, 128, 0.5, 2)};
  c.host_memory_mb = {0, 1024};
  c.ttl = 60 * kS;
  c.keep_alive = policy;
  PeriodicRun r;
  testkit::EventLoop loop(3, [&](int i, uint64_t) -> std::unique_ptr<ProtocolNode> {
    Rng rng = Rng::stream(1, "node", static_cast<uint64_t>(i));
    if (i == 0) return std::make_unique<Controller>(0, 2, c, &r.stats, rng);
    if (i == 1) return std::make_unique<Host>(1, 2, c, rng);
    return std::make_unique<Periodic>(period);
  });
  loop.run_until(until);
  const auto& src = static_cast<const Periodic&>(loop.node(2));
  r.sent = src.sent;
  r.cold = src.cold;
  EXPECT_TRUE(loop.violations.empty());
  return r;
}

TEST(Serverless, HistogramPolicyPrewarmsBeforeTheNextCallAndUnloadsBetween) {
  // A call every 5 minutes: a fixed 60 s ttl makes every call cold. The histogram learns the
  // idle time (in the 4-5 minute bin) after 10 calls: it unloads each instance at once, pre-warms
  // one at 90% of 4 minutes, and keeps it to 110% of 5 minutes — the next call is warm.
  const Nanos period = 300 * kS;
  const PeriodicRun fixed = periodic_run(KeepAlive::Fixed, period, 100 * period);
  const PeriodicRun hist = periodic_run(KeepAlive::Histogram, period, 100 * period);
  EXPECT_GE(fixed.cold + 1, fixed.sent) << "every call cold (the last may still be running)";
  EXPECT_LE(hist.cold, 12u) << "cold only while the histogram has under 10 samples";
  EXPECT_GT(hist.stats.prewarmed, 80u);
  // Idle memory paid: the histogram keeps an instance ~1.1 minutes per call (from 3.6 to ~5.5
  // minutes after the last call minus the calls' ~4.6), the fixed ttl 1 minute per call.
  EXPECT_LT(hist.stats.idle_mb_s, 1.6 * fixed.stats.idle_mb_s);
}

TEST(Serverless, HistogramPolicyKeepsPoissonCallsWarmForTheirP99) {
  // Poisson calls every 3 minutes on average: the 5th percentile is under a minute (no
  // pre-warm) and the 99th about 14 minutes: instances stay that long and most calls are warm.
  Config c;
  c.functions = {fixed_function("f", 1.0 / 180, 128, 0.5, 2)};
  c.ttl = 60 * kS;
  Platform fixed(1, 1024, c, 40000 * kS);
  fixed.run_until(40000 * kS);
  c.keep_alive = KeepAlive::Histogram;
  Platform hist(1, 1024, c, 40000 * kS);
  hist.run_until(40000 * kS);
  const double fixed_cold = static_cast<double>(fixed.stats().cold) / fixed.stats().invocations;
  const double hist_cold = static_cast<double>(hist.stats().cold) / hist.stats().invocations;
  EXPECT_GT(fixed_cold, 0.6);  // P(idle > 60 s) = e^(-1/3) = 0.72
  EXPECT_LT(hist_cold, 0.1);
  EXPECT_EQ(hist.stats().prewarmed, 0u);
}

TEST(Serverless, TheAutoscalerFollowsLoadAndScalesToZero) {
  Config c;
  c.functions = {fixed_function("f", 20, 128, 0.5, 1.5)};
  c.target_concurrency = 1;
  c.autoscale_interval = 2 * kS;
  c.autoscale_window = 10 * kS;
  Platform p(2, 8192, c, 60 * kS);
  p.run_until(59 * kS);
  EXPECT_GE(p.controller().instances(), 9) << "about 20 x 0.5 = 10 in flight";
  p.run_until(100 * kS);
  EXPECT_EQ(p.controller().instances(), 0) << "no load for a whole window: scale to zero";
  EXPECT_GT(p.stats().autoscaled_down, 0u);
  EXPECT_TRUE(p.violations().empty());
}

}  // namespace
}  // namespace synod::faas
