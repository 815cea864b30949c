// The tasks family's report section: the ledger's verdict (lost and duplicated tasks), response,
// wait and service time percentiles, throughput, each worker's utilisation and their imbalance,
// and — when the run is a textbook queue — what queueing theory predicts beside what was measured.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "analysis/queueing.hpp"
#include "sim/families/tasks.hpp"
#include "sim/report/svg.hpp"

namespace synod::sim {

namespace {

using ojson = nlohmann::ordered_json;

double round6(double v) { return std::round(v * 1e6) / 1e6; }

ojson percentiles_json(const tasks::Percentiles& p) {
  return {{"count", p.count},          {"mean_s", round6(p.mean)}, {"p50_s", round6(p.p50)},
          {"p90_s", round6(p.p90)},    {"p99_s", round6(p.p99)},   {"max_s", round6(p.max)}};
}

// The closed form this run is an instance of, if any: Poisson arrivals, no faults, identical
// one-core workers. Returns false (and says why in `model`) otherwise.
struct Theory {
  std::string model;
  std::string quantity;  // "mean wait" | "mean time in system"
  double expected = 0;
  double measured = 0;
  double expected_realized = 0;  // at the run's own arrival rate and service times
  double realized_rho = 0;
};
bool theory_for(const RunResult& r, const tasks::Config& c, const TasksWorkloadSection& w,
                const tasks::LedgerSummary& s, Theory* t) {
  const tasks::Arrivals& a = w.arrivals;
  if (a.process != tasks::Arrivals::Process::Poisson || !r.faults.empty()) return false;
  const int n = r.scenario.node_count();
  const int workers = n - 1;
  // Identical workers: the same cores and speed.
  HostSpec first = r.scenario.cluster.hosts.size() > 1 ? r.scenario.cluster.hosts[1] : HostSpec{};
  for (int i = 1; i < n; ++i) {
    const HostSpec h = static_cast<size_t>(i) < r.scenario.cluster.hosts.size() ? r.scenario.cluster.hosts[i] : HostSpec{};
    if (h.cores != first.cores || h.speed_flops != first.speed_flops) return false;
  }
  // Pull is one central queue in front of every core: M/M/c with c = workers x cores. The
  // per-worker models (random, power-of-d) are single-server queues: one core each.
  const int servers = workers * first.cores;
  if (c.policy != tasks::Policy::Pull && first.cores != 1) return false;
  const double mean_service = a.work.mean() * tasks::kReferenceFlops / first.speed_flops;
  const double rho = a.rate * mean_service / servers;
  if (!(rho > 0 && rho < 1) || !std::isfinite(a.work.scv())) return false;
  const bool exponential = a.work.kind == Distribution::Kind::Exponential;
  namespace q = analysis::queueing;
  // The closed form at an arrival rate, mean service time and SCV: the nominal ones, and the ones
  // this run realised (a run's own load differs from the nominal by sampling noise, and near
  // saturation the queue magnifies that: at rho 0.9, 0.5% more load is 5% more wait).
  std::function<double(double, double, double)> f;
  t->quantity = "mean wait";
  t->measured = s.wait.mean;
  if (c.policy == tasks::Policy::Pull && exponential) {
    t->model = fmt::format("M/M/{} (Erlang C), rho {:.3f}", servers, rho);
    f = [servers](double l, double es, double) { return q::mmc_mean_wait(servers, l, 1 / es); };
  } else if (c.policy == tasks::Policy::Pull && servers == 1) {
    t->model = fmt::format("M/G/1 (Pollaczek-Khinchine, SCV {:g}), rho {:.3f}", a.work.scv(), rho);
    f = [](double l, double es, double scv) { return q::mg1_mean_wait(l, es, scv); };
  } else if (c.policy == tasks::Policy::Random) {
    t->model = fmt::format("{} x M/G/1 (random split, Pollaczek-Khinchine, SCV {:g}), rho {:.3f}",
                           workers, a.work.scv(), rho);
    f = [workers](double l, double es, double scv) { return q::mg1_mean_wait(l / workers, es, scv); };
  } else if (c.policy == tasks::Policy::PowerOfD && exponential) {
    t->model = fmt::format("supermarket model, d = {}, n -> infinity (here n = {}), rho {:.3f}",
                           c.d, workers, rho);
    t->quantity = "mean time in system";
    t->measured = s.wait.mean + s.service.mean;
    const int d = c.d;
    f = [workers, d](double l, double es, double) {
      return q::supermarket_mean_response(l * es / workers, d) * es;
    };
  } else {
    return false;
  }
  t->expected = f(a.rate, mean_service, a.work.scv());
  const double realized_rho = s.arrival_rate * s.service.mean / servers;
  t->expected_realized =
      realized_rho > 0 && realized_rho < 1 ? f(s.arrival_rate, s.service.mean, s.service_scv) : 0;
  t->realized_rho = realized_rho;
  return true;
}

}  // namespace

void tasks_section(const RunResult& r, RunAnalysis* a) {
  const auto* x = dynamic_cast<const TasksExtra*>(r.extra.get());
  if (x == nullptr) return;
  const auto& c = r.scenario.protocol.config_as<TasksSection>().tasks;
  const auto* w = dynamic_cast<const TasksWorkloadSection*>(r.scenario.workload_config.get());
  const tasks::LedgerSummary s = tasks::summarize(*x->ledger, w->warmup);
  const bool exactly_once = c.delivery == tasks::Delivery::ExactlyOnce;
  size_t lost = 0;
  ojson unfinished = ojson::array();
  for (const Unfinished& u : x->unfinished) {
    lost += u.lost ? 1 : 0;
    if (unfinished.size() < 50) unfinished.push_back({{"task", u.id}, {"where", u.where}, {"lost", u.lost}});
  }
  const double window = to_seconds(w->arrivals.stop - w->arrivals.start);
  const double throughput = window > 0 ? static_cast<double>(s.completed) / window : 0;

  // Per worker: delivered executions and utilisation (busy time / (run length x cores)).
  ojson workers = ojson::array();
  std::vector<double> util;
  std::vector<std::pair<double, double>> util_points;
  std::vector<std::string> labels;
  const double run_s = to_seconds(r.simulated_ns);
  for (int i = 1; i < r.scenario.node_count(); ++i) {
    const tasks::WorkerUse& u = x->ledger->workers()[i];
    const HostSpec h = static_cast<size_t>(i) < r.scenario.cluster.hosts.size() ? r.scenario.cluster.hosts[i] : HostSpec{};
    const double busy = to_seconds(u.busy);
    const double uz = run_s > 0 ? busy / (run_s * h.cores) : 0;
    util.push_back(uz);
    util_points.push_back({static_cast<double>(i), uz});
    labels.push_back(r.scenario.cluster.node_names[i]);
    workers.push_back({{"node", r.scenario.cluster.node_names[i]},
                       {"cores", h.cores},
                       {"speed_gf", round6(h.speed_flops / 1e9)},
                       {"executions", u.executions},
                       {"busy_s", round6(busy)},
                       {"utilization", round6(uz)}});
  }
  double umax = 0, usum = 0;
  for (double u : util) {
    umax = std::max(umax, u);
    usum += u;
  }
  const double umean = util.empty() ? 0 : usum / static_cast<double>(util.size());
  const double imbalance = umean > 0 ? umax / umean : 0;

  ReportSection sec;
  sec.key = "tasks";
  sec.label = "tasks";
  ojson& j = sec.json;
  j["policy"] = tasks::policy_name(c.policy);
  if (c.policy == tasks::Policy::PowerOfD) j["d"] = c.d;
  j["delivery"] = exactly_once ? "exactly-once" : "at-least-once";
  j["redispatch"] = c.redispatch;
  j["arrived"] = s.arrived;
  j["completed"] = s.completed;
  j["unfinished"] = s.unfinished;
  j["lost"] = lost;
  j["unfinished_tasks"] = unfinished;
  j["duplicated_tasks"] = s.duplicated_tasks;
  j["duplicate_executions_delivered"] = s.duplicate_executions;
  j["duplicate_executions_dropped"] = x->master.duplicate_done;
  j["repeated_results"] = s.repeated_results;
  j["dispatched"] = x->master.dispatched;
  j["redispatched"] = x->master.redispatched;
  j["workers_declared_dead"] = x->master.workers_declared_dead;
  j["unknown_results"] = x->ledger->unknown_results();
  j["warmup_s"] = round6(to_seconds(w->warmup));
  j["throughput_per_s"] = round6(throughput);
  j["response"] = percentiles_json(s.response);
  j["wait"] = percentiles_json(s.wait);
  j["service"] = percentiles_json(s.service);
  j["mean_dispatch_s"] = round6(s.mean_dispatch);
  j["workers"] = workers;
  j["utilization_mean"] = round6(umean);
  j["utilization_imbalance"] = round6(imbalance);
  Theory t;
  if (theory_for(r, c, *w, s, &t)) {
    j["theory"] = {{"model", t.model},
                   {"quantity", t.quantity},
                   {"expected_s", round6(t.expected)},
                   {"measured_s", round6(t.measured)},
                   {"ratio", round6(t.expected > 0 ? t.measured / t.expected : 0)},
                   {"realized_rho", round6(t.realized_rho)},
                   {"expected_at_realized_load_s", round6(t.expected_realized)}};
    sec.more_lines.push_back(
        {"theory", fmt::format("{}: {} {:.4f} s measured, {:.4f} s expected ({:+.1f}%); at this "
                               "run's own load (rho {:.4f}) {:.4f} s ({:+.1f}%)",
                               t.model, t.quantity, t.measured, t.expected,
                               t.expected > 0 ? 100 * (t.measured / t.expected - 1) : 0,
                               t.realized_rho, t.expected_realized,
                               t.expected_realized > 0 ? 100 * (t.measured / t.expected_realized - 1) : 0)});
  }
  j["compare"] = {{"throughput /s", round6(throughput)},
                  {"response p50 s", round6(s.response.p50)},
                  {"response p99 s", round6(s.response.p99)},
                  {"mean wait s", round6(s.wait.mean)},
                  {"utilization max/mean", round6(imbalance)},
                  {"unfinished tasks", s.unfinished},
                  {"lost tasks", lost},
                  {"duplicated tasks", s.duplicated_tasks}};
  sec.unsafe = lost > 0 || x->ledger->unknown_results() > 0 || (exactly_once && s.duplicated_tasks > 0);
  sec.line = fmt::format("{}: {} arrived, {} completed, {} unfinished, {} lost, {} duplicated{}; "
                         "{:.3f}/s",
                         j["policy"].get<std::string>(), s.arrived, s.completed, s.unfinished, lost,
                         s.duplicated_tasks,
                         exactly_once && s.duplicated_tasks > 0 ? " (exactly-once BROKEN)" : "",
                         throughput);
  sec.more_lines.push_back(
      {"task times", fmt::format("response p50 {:.3f} s, p90 {:.3f} s, p99 {:.3f} s; mean wait "
                                 "{:.3f} s, mean service {:.3f} s",
                                 s.response.p50, s.response.p90, s.response.p99, s.wait.mean,
                                 s.service.mean)});
  sec.more_lines.push_back(
      {"workers", fmt::format("utilization mean {:.3f}, max/mean {:.3f}; {} re-dispatched, {} "
                              "declared dead",
                              umean, imbalance, x->master.redispatched,
                              x->master.workers_declared_dead)});
  if (lost > 0) {
    for (const Unfinished& u : x->unfinished)
      if (u.lost) {
        sec.more_lines.push_back({"LOST", fmt::format("task {}: {}", u.id, u.where)});
        break;
      }
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& wj : workers)
    rows.push_back({wj["node"].get<std::string>(), fmt::format("{}", wj["cores"].get<int>()),
                    fmt::format("{:g}", wj["speed_gf"].get<double>()),
                    fmt::format("{}", wj["executions"].get<uint64_t>()),
                    fmt::format("{:.3f}", wj["utilization"].get<double>())});
  // Response times of the measured tasks, 20 bins up to 1.2 x p99 (the rest in the last bin).
  std::vector<std::pair<double, double>> hist;
  std::vector<std::string> hist_labels;
  if (s.response.count > 0 && s.response.p99 > 0) {
    const double width = 1.2 * s.response.p99 / 20;
    std::vector<double> counts(20, 0);
    for (const tasks::LedgerEntry& e : x->ledger->entries()) {
      if (e.arrived == kNever || e.result_at == kNever || e.arrived < w->warmup) continue;
      const double rt = to_seconds(e.result_at - e.arrived);
      counts[std::min<size_t>(19, static_cast<size_t>(rt / width))]++;
    }
    for (size_t b = 0; b < counts.size(); ++b) {
      hist.push_back({static_cast<double>(b), counts[b]});
      hist_labels.push_back(fmt::format("{:.2g}", width * static_cast<double>(b)));
    }
  }
  sec.html = (hist.empty() ? std::string()
                           : svg_chart("response time (bin start, s)", {{"tasks", "#d29922", hist}}, "s",
                                       "tasks", /*bars=*/true, hist_labels)) +
             svg_chart("utilization per worker", {{"utilization", "#1f6feb", util_points}}, "worker",
                       "busy share", /*bars=*/true, labels) +
             html_table({"worker", "cores", "speed (Gf)", "executions", "utilization"}, rows) +
             html_table({"", "mean", "p50", "p90", "p99", "max"},
                        {{"response (s)", fmt::format("{:.4f}", s.response.mean),
                          fmt::format("{:.4f}", s.response.p50), fmt::format("{:.4f}", s.response.p90),
                          fmt::format("{:.4f}", s.response.p99), fmt::format("{:.4f}", s.response.max)},
                         {"wait (s)", fmt::format("{:.4f}", s.wait.mean), fmt::format("{:.4f}", s.wait.p50),
                          fmt::format("{:.4f}", s.wait.p90), fmt::format("{:.4f}", s.wait.p99),
                          fmt::format("{:.4f}", s.wait.max)},
                         {"service (s)", fmt::format("{:.4f}", s.service.mean),
                          fmt::format("{:.4f}", s.service.p50), fmt::format("{:.4f}", s.service.p90),
                          fmt::format("{:.4f}", s.service.p99), fmt::format("{:.4f}", s.service.max)}});
  a->sections.push_back(std::move(sec));
}

}  // namespace synod::sim
