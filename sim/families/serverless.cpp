// serverless as a family: a controller (the first node) and hosts (the others) with memory
// (protocols/serverless), invocation sources as the workload's clients, and a report section on
// cold starts, latency, instances over time, cost (instance-seconds) and waste (idle memory).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "protocols/serverless/host.hpp"
#include "protocols/serverless/source.hpp"
#include "protocols/tasks/ledger.hpp"
#include "sim/families/family.hpp"
#include "sim/families/readers.hpp"
#include "sim/report/svg.hpp"

namespace synod::sim {

namespace {

using ojson = nlohmann::ordered_json;

struct FaasSection final : ProtocolConfig {
  faas::Config platform;  // functions are filled in from the workload section
  double host_memory_mb = 4096;
};
struct FaasWorkload final : ProtocolConfig {
  std::vector<faas::Function> functions;
  int sources = 1;
  Nanos warmup = 0;
};

// "4096MB", "4GB" or a number of MB.
double megabytes(const Reader& rd, const Item& item) {
  std::string t = rd.text(item, "a memory size like 512MB or 4GB");
  double scale = 1;
  if (t.size() > 2 && (t.compare(t.size() - 2, 2, "GB") == 0 || t.compare(t.size() - 2, 2, "MB") == 0)) {
    scale = t.compare(t.size() - 2, 2, "GB") == 0 ? 1024 : 1;
    t.resize(t.size() - 2);
  }
  double v = 0;
  if (!parse_number(t, &v) || v <= 0)
    rd.fail(item, fmt::format("expected a memory size > 0 like 512MB or 4GB, got '{}'", item.node.Scalar()));
  return v * scale;
}

// One function's row of the Azure Functions 2019 invocation counts
// (invocations_per_function_md.anon.dNN.csv: HashOwner, HashApp, HashFunction, Trigger, then one
// count per minute): {file: ..., function: <HashFunction>} or {file: ..., row: <n>} (1 = the
// first row after the header).
std::vector<uint32_t> read_azure_row(const Reader& rd, const Item& item) {
  Fields f(rd, item, "trace", {"file", "function", "row"});
  if (f.has("function") == f.has("row"))
    rd.fail(item, "trace: give exactly one of 'function' (its HashFunction) or 'row' (its number)");
  const std::string name = rd.text(f.required("file"), "a CSV file name");
  std::filesystem::path p(name);
  if (p.is_relative()) p = std::filesystem::path(rd.file()).parent_path() / p;
  std::ifstream in(p);
  if (!in) rd.fail(f.get("file"), fmt::format("trace file '{}' not found (looked for {})", name, p.string()));
  const std::string shown = p.lexically_normal().string();
  const std::string want = f.has("function") ? rd.text(f.get("function"), "a HashFunction") : "";
  const int want_row = f.has("row") ? rd.count(f.get("row"), 100000000) : 0;
  std::string line;
  int n = 0, data_row = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (n == 1 && line.rfind("HashOwner", 0) == 0) continue;  // the header
    if (line.empty()) continue;
    ++data_row;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (cells.size() < 5)
      throw ScenarioError(shown, n, 0, "expected HashOwner, HashApp, HashFunction, Trigger and per-minute counts");
    if (want_row ? data_row != want_row : cells[2] != want) continue;
    std::vector<uint32_t> counts;
    for (size_t k = 4; k < cells.size(); ++k) {
      uint64_t v = 0;
      if (!parse_uint64(cells[k], &v) || v > 1000000)
        throw ScenarioError(shown, n, 0, fmt::format("minute {}: expected a count of invocations (0..1000000), got '{}'",
                                                     k - 3, cells[k]));
      counts.push_back(static_cast<uint32_t>(v));
    }
    return counts;
  }
  rd.fail(item, want_row ? fmt::format("{} has {} rows, not {}", shown, data_row, want_row)
                         : fmt::format("no row for function '{}' in {}", want, shown));
}

std::shared_ptr<const ProtocolConfig> parse(const Reader& rd, const Fields& f) {
  auto c = std::make_shared<FaasSection>();
  faas::Config& p = c->platform;
  if (f.has("host_memory")) c->host_memory_mb = megabytes(rd, f.get("host_memory"));
  if (f.has("keep_alive"))
    p.keep_alive = rd.word(f.get("keep_alive"), "keep_alive", {"fixed", "histogram"}) == "histogram"
                       ? faas::KeepAlive::Histogram
                       : faas::KeepAlive::Fixed;
  if (f.has("ttl")) p.ttl = rd.positive_duration(f.get("ttl"));
  if (f.has("histogram_min_samples")) p.histogram_min_samples = rd.count(f.get("histogram_min_samples"), 1000000);
  if (f.has("target_concurrency")) {
    const Item t = f.get("target_concurrency");
    p.target_concurrency = rd.number(t, "a number of in-flight invocations per instance like 1");
    if (p.target_concurrency <= 0) rd.fail(t, "target_concurrency must be > 0");
  }
  for (const char* k : {"autoscale_interval", "autoscale_window"})
    if (f.has(k) && p.target_concurrency <= 0) f.forbid(k, "applies only with target_concurrency (the autoscaler)");
  if (f.has("autoscale_interval")) p.autoscale_interval = rd.positive_duration(f.get("autoscale_interval"));
  if (f.has("autoscale_window")) p.autoscale_window = rd.positive_duration(f.get("autoscale_window"));
  if (p.autoscale_window < p.autoscale_interval)
    rd.fail(f.get("autoscale_window"), "autoscale_window must be at least autoscale_interval");
  if (rd.node_names().size() < 2)
    rd.fail(f.item().mark, "protocol serverless needs at least 2 nodes: the first is the controller, "
                           "the others are hosts");
  return c;
}

std::shared_ptr<const ProtocolConfig> parse_workload(const Reader& rd, const Fields& f,
                                                     const ProtocolConfig& pc, WorkloadSpec* generic) {
  const auto& platform = dynamic_cast<const FaasSection&>(pc);
  auto c = std::make_shared<FaasWorkload>();
  if (f.has("sources")) c->sources = rd.count(f.get("sources"), 1000);
  generic->clients = c->sources;
  if (f.has("start")) generic->start_ns = rd.duration(f.get("start"));
  if (f.has("stop")) generic->stop_ns = rd.duration(f.get("stop"));
  if (generic->stop_ns > rd.duration_ns() || generic->stop_ns <= generic->start_ns)
    rd.fail(f.has("stop") ? f.get("stop") : f.get("start"),
            "the load window must be start < stop <= duration");
  if (f.has("warmup")) c->warmup = rd.duration(f.get("warmup"));
  if (c->warmup >= generic->stop_ns) rd.fail(f.get("warmup"), "warmup leaves nothing of the load window");
  const Item list = f.required("functions");
  for (const Item& fi : rd.list_items(list, "functions")) {
    Fields ff(rd, fi, "a functions entry",
              {"name", "rate", "schedule", "trace", "memory", "warm", "cold", "boot", "max_instances"});
    faas::Function fn;
    fn.name = rd.text(ff.required("name"), "a function name");
    if (!is_valid_name(fn.name)) rd.fail(ff.get("name"), "a function name is letters, digits, '_', '.', '-'");
    for (const auto& other : c->functions)
      if (other.name == fn.name) rd.fail(ff.get("name"), "duplicate function name '" + fn.name + "'");
    if (ff.has("trace")) {
      if (ff.has("rate")) ff.forbid("rate", "a function with a trace takes its invocations from the trace");
      if (ff.has("schedule")) ff.forbid("schedule", "a function with a trace takes its invocations from the trace");
      fn.per_minute = read_azure_row(rd, ff.get("trace"));
    } else {
      fn.rate = rd.rate(ff.required("rate"));
    }
    if (ff.has("schedule")) {
      Nanos last = -1;
      for (const Item& si : rd.list_items(ff.get("schedule"), "schedule")) {
        Fields sf(rd, si, "a schedule entry", {"at", "rate"});
        const Nanos at = rd.duration(sf.required("at"));
        if (at <= last) rd.fail(sf.get("at"), "schedule entries must be in increasing time");
        last = at;
        const Item ri = sf.required("rate");
        const std::string t = rd.text(ri, "a rate like 5/s, or 0");
        fn.schedule.push_back({at, t == "0" || t == "0/s" ? 0.0 : rd.rate(ri)});
      }
    }
    if (ff.has("memory")) fn.memory_mb = megabytes(rd, ff.get("memory"));
    if (fn.memory_mb > platform.host_memory_mb)
      rd.fail(ff.get("memory"), fmt::format("{} needs {} MB, more than a host has ({} MB)", fn.name,
                                            fn.memory_mb, platform.host_memory_mb));
    fn.warm = read_distribution(rd, ff.required("warm"), "warm");
    fn.cold = read_distribution(rd, ff.required("cold"), "cold");
    fn.boot = ff.has("boot") ? read_distribution(rd, ff.get("boot"), "boot")
                             : Distribution::fixed(std::max(0.0, fn.cold.mean() - fn.warm.mean()));
    if (ff.has("max_instances")) fn.max_instances = rd.count(ff.get("max_instances"), 1000000);
    c->functions.push_back(std::move(fn));
  }
  if (c->functions.empty()) rd.fail(list, "functions: at least one function");
  for (const auto& fn : c->functions) {  // the peak arrivals, for the run's size estimate
    double peak = fn.rate;
    for (const auto& step : fn.schedule) peak = std::max(peak, step.second);
    for (const uint32_t m : fn.per_minute) peak = std::max(peak, m / 60.0);
    generic->arrival_rate_per_s += peak;
  }
  return c;
}

faas::Config platform_of(const Scenario& s) {
  faas::Config p = s.protocol.config_as<FaasSection>().platform;
  const auto& w = dynamic_cast<const FaasWorkload&>(*s.workload_config);
  p.functions = w.functions;
  p.warmup = w.warmup;
  p.host_memory_mb.assign(static_cast<size_t>(s.node_count()), s.protocol.config_as<FaasSection>().host_memory_mb);
  return p;
}

class FaasFactory final : public ProtocolFactory {
 public:
  FaasFactory(const Scenario& s) : n_(s.node_count()), config_(platform_of(s)), sample_(s.duration_ns / 200) {}
  std::unique_ptr<ProtocolNode> make_node(NodeId id, Rng rng) override {
    if (id != 0) return std::make_unique<faas::Host>(id, n_, config_, rng);
    auto c = std::make_unique<faas::Controller>(id, n_, config_, &stats_, rng);
    c->set_sample_interval(std::max<Nanos>(sample_, kNanosPerMilli));
    return c;
  }
  uint64_t storage_writes() const override { return 0; }
  const faas::Stats& stats() const { return stats_; }

 private:
  int n_;
  faas::Config config_;
  Nanos sample_;
  faas::Stats stats_;
};

struct FaasExtra final : RunExtra {
  std::shared_ptr<const faas::Ledger> ledger;
  faas::Stats stats;
  int instances_at_end = 0;
};

class FaasLoad final : public Workload {
 public:
  explicit FaasLoad(const Scenario& s)
      : config_(platform_of(s)), sources_(dynamic_cast<const FaasWorkload&>(*s.workload_config).sources),
        start_(s.workload.start_ns), stop_(s.workload.stop_ns), ledger_(std::make_shared<faas::Ledger>()) {}
  int client_count() const override { return sources_; }
  std::unique_ptr<ProtocolNode> make_client(int index, Recorder*, Rng rng) override {
    return std::make_unique<faas::Source>(index, sources_, config_, start_, stop_, ledger_.get(), rng);
  }
  std::shared_ptr<const RunExtra> finish(Nanos end, const std::vector<const ProtocolNode*>& nodes,
                                         const ProtocolFactory& factory) override {
    auto x = std::make_shared<FaasExtra>();
    auto* controller = const_cast<faas::Controller*>(dynamic_cast<const faas::Controller*>(nodes.empty() ? nullptr : nodes[0]));
    if (controller != nullptr) {
      controller->account(end);  // the integrals up to the end of the run
      x->instances_at_end = controller->instances();
    }
    x->stats = dynamic_cast<const FaasFactory&>(factory).stats();
    x->ledger = ledger_;
    return x;
  }

 private:
  faas::Config config_;
  int sources_;
  Nanos start_, stop_;
  std::shared_ptr<faas::Ledger> ledger_;
};

double round6(double v) { return std::round(v * 1e6) / 1e6; }

ojson pct_json(const tasks::Percentiles& p) {
  return {{"count", p.count}, {"mean_s", round6(p.mean)}, {"p50_s", round6(p.p50)},
          {"p90_s", round6(p.p90)}, {"p99_s", round6(p.p99)}, {"max_s", round6(p.max)}};
}

void section(const RunResult& r, RunAnalysis* a) {
  const auto* x = dynamic_cast<const FaasExtra*>(r.extra.get());
  if (x == nullptr) return;
  const faas::Config p = platform_of(r.scenario);
  const faas::Stats& st = x->stats;
  std::vector<double> all, cold, warm;
  uint64_t arrived = 0, completed = 0, rejected = 0, ncold = 0, repeated = 0;
  std::vector<uint64_t> by_fn(p.functions.size()), cold_by_fn(p.functions.size());
  for (const faas::InvocationRecord& e : x->ledger->entries()) {
    if (e.arrived == kNever) continue;
    arrived++;
    if (e.results > 1) repeated++;
    if (e.result_at == kNever || e.arrived < p.warmup) continue;
    if (e.rejected) {
      rejected++;
      continue;
    }
    completed++;
    by_fn[e.function]++;
    const double lat = to_seconds(e.result_at - e.arrived);
    all.push_back(lat);
    (e.cold ? cold : warm).push_back(lat);
    if (e.cold) ncold++, cold_by_fn[e.function]++;
  }
  const double span = to_seconds(st.last - st.since);
  const double avg_instances = span > 0 ? st.instance_s / span : 0;
  const double avg_busy = span > 0 ? st.busy_s / span : 0;
  const double avg_idle = span > 0 ? st.idle_s / span : 0;
  const double p_cold = completed > 0 ? static_cast<double>(ncold) / completed : 0;
  // Little's law: instances busy on average = sum over functions of the rate of completed calls
  // over the measured span x the mean time of a call (cold or warm, in the proportion seen).
  double littles = 0;
  for (size_t f = 0; f < p.functions.size() && span > 0; ++f) {
    const double pc = by_fn[f] > 0 ? static_cast<double>(cold_by_fn[f]) / by_fn[f] : 0;
    littles += static_cast<double>(by_fn[f]) / span *
               (pc * p.functions[f].cold.mean() + (1 - pc) * p.functions[f].warm.mean());
  }
  ReportSection s;
  s.key = "serverless";
  s.label = "serverless";
  ojson& j = s.json;
  j["keep_alive"] = p.keep_alive == faas::KeepAlive::Fixed ? "fixed" : "histogram";
  j["ttl_s"] = round6(to_seconds(p.ttl));
  j["autoscaler"] = p.target_concurrency > 0;
  j["measured_from_s"] = round6(to_seconds(st.since));
  j["invocations"] = arrived;
  j["completed"] = completed;
  j["rejected"] = rejected;
  j["cold_starts"] = ncold;
  j["cold_fraction"] = round6(p_cold);
  j["latency"] = pct_json(tasks::percentiles(all));
  j["latency_cold"] = pct_json(tasks::percentiles(cold));
  j["latency_warm"] = pct_json(tasks::percentiles(warm));
  j["instances"] = {{"average", round6(avg_instances)}, {"busy_average", round6(avg_busy)},
                    {"idle_average", round6(avg_idle)}, {"at_end", x->instances_at_end},
                    {"created", st.created}, {"expired", st.expired}, {"evicted", st.evicted},
                    {"prewarmed", st.prewarmed}, {"autoscaled_up", st.autoscaled_up},
                    {"autoscaled_down", st.autoscaled_down}};
  j["instance_seconds"] = round6(st.instance_s);
  j["idle_memory_mb_seconds"] = round6(st.idle_mb_s);
  j["busy_littles_law"] = round6(littles);
  j["results_delivered_twice"] = repeated;
  j["unknown_results"] = x->ledger->unknown_results;
  j["compare"] = {{"cold fraction", round6(p_cold)}, {"latency p50 s", round6(tasks::percentiles(all).p50)},
                  {"latency p99 s", round6(tasks::percentiles(all).p99)}, {"instances avg", round6(avg_instances)},
                  {"idle MB-s", round6(st.idle_mb_s)}, {"rejected", rejected}};
  s.unsafe = repeated > 0 || x->ledger->unknown_results > 0;
  s.line = fmt::format("{} invocations, {} completed, {} rejected; {} cold ({:.4f}); instances avg "
                       "{:.4f} (busy {:.4f}, idle {:.4f})",
                       arrived, completed, rejected, ncold, p_cold, avg_instances, avg_busy, avg_idle);
  s.more_lines.push_back({"latency", fmt::format("cold p50 {:.3f} s p99 {:.3f} s; warm p50 {:.3f} s p99 {:.3f} s",
                                                 tasks::percentiles(cold).p50, tasks::percentiles(cold).p99,
                                                 tasks::percentiles(warm).p50, tasks::percentiles(warm).p99)});
  s.more_lines.push_back({"cost", fmt::format("{:.1f} instance-seconds, {:.1f} idle MB-seconds; busy "
                                              "average {:.4f} vs Little's law {:.4f}",
                                              st.instance_s, st.idle_mb_s, avg_busy, littles)});
  std::vector<std::pair<double, double>> inst, busy;
  for (const auto& [t, v] : st.instances_over_time) inst.push_back({t, static_cast<double>(v)});
  for (const auto& [t, v] : st.busy_over_time) busy.push_back({t, static_cast<double>(v)});
  s.html = svg_chart("instances over time", {{"instances", "#1f6feb", inst}, {"busy", "#d29922", busy}}, "s",
                     "instances");
  a->sections.push_back(std::move(s));
}

}  // namespace

Family serverless_family() {
  Family f;
  f.name = "serverless";
  f.summary = "serverless functions: cold and warm starts, keep-alive (fixed TTL or histogram), "
              "autoscaling, host memory and eviction";
  f.keys = {"host_memory", "keep_alive", "ttl", "histogram_min_samples", "target_concurrency",
            "autoscale_interval", "autoscale_window"};
  f.parse = parse;
  f.workload_keys = {"sources", "functions", "start", "stop", "warmup"};
  f.parse_workload = parse_workload;
  f.make_factory = [](const Scenario& s) { return std::make_unique<FaasFactory>(s); };
  f.make_workload = [](const Scenario& s) { return std::make_unique<FaasLoad>(s); };
  f.analysis.traits.kv_clients = false;
  f.analysis.sections = section;
  return f;
}

}  // namespace synod::sim
