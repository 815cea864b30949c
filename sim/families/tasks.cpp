// tasks as a family: a master and workers (protocols/tasks), task sources as the workload's
// clients, and the ledger checked at the end of every run (tasks_report.cpp writes the report
// section). The first node is the master; every other node is a worker, with the cores and speed
// the cluster's `hosts` give it.
#include <fmt/format.h>

#include <set>

#include "protocols/tasks/worker.hpp"
#include "sim/families/family.hpp"
#include "sim/families/readers.hpp"
#include "sim/families/tasks.hpp"

namespace synod::sim {

namespace {

std::shared_ptr<const ProtocolConfig> parse(const Reader& rd, const Fields& f) {
  auto c = std::make_shared<TasksSection>();
  tasks::Config& t = c->tasks;
  if (f.has("policy")) {
    const std::string p = rd.word(f.get("policy"), "policy", tasks::policy_names());
    tasks::parse_policy(p, &t.policy);
  }
  if (f.has("d")) {
    if (t.policy != tasks::Policy::PowerOfD) f.forbid("d", "applies to policy: power-of-d only");
    t.d = rd.count(f.get("d"), 64);
  }
  if (f.has("weights")) {
    const Item w = f.get("weights");
    rd.expect_map(w, "weights: {node: weight, ...}");
    for (const auto& kv : w.node) {
      const Item name = item_of(kv.first);
      const int node = rd.node_index(name);
      if (node == 0) rd.fail(name, "weights: the first node is the master, not a worker");
      const Item v = value_item(kv.first, kv.second);
      const double x = rd.number(v, "a weight > 0 like 2");
      if (x <= 0) rd.fail(v, fmt::format("a weight must be > 0, got '{}'", v.node.Scalar()));
      c->weights.push_back({node, x});
    }
  }
  if (f.has("heartbeat")) t.heartbeat = rd.positive_duration(f.get("heartbeat"));
  if (f.has("failure_timeout")) t.failure_timeout = rd.positive_duration(f.get("failure_timeout"));
  if (t.heartbeat * 2 > t.failure_timeout) {
    const Item at = f.has("heartbeat") ? f.get("heartbeat") : f.get("failure_timeout");
    rd.fail(at, fmt::format("heartbeat {} must be at most half the failure_timeout {}",
                            format_duration(t.heartbeat), format_duration(t.failure_timeout)));
  }
  if (f.has("delivery"))
    t.delivery = rd.word(f.get("delivery"), "delivery", {"at-least-once", "exactly-once"}) ==
                         "exactly-once"
                     ? tasks::Delivery::ExactlyOnce
                     : tasks::Delivery::AtLeastOnce;
  if (f.has("redispatch")) t.redispatch = rd.boolean(f.get("redispatch"));
  if (rd.node_names().size() < 2)
    rd.fail(f.item().mark, "protocol tasks needs at least 2 nodes: the first is the master, the "
                           "others are workers");
  return c;
}

std::shared_ptr<const ProtocolConfig> parse_workload(const Reader& rd, const Fields& f,
                                                     const ProtocolConfig&, WorkloadSpec* generic) {
  auto c = std::make_shared<TasksWorkloadSection>();
  tasks::Arrivals& a = c->arrivals;
  if (f.has("sources")) c->sources = rd.count(f.get("sources"), 1000);
  generic->clients = c->sources;
  if (f.has("start")) generic->start_ns = rd.duration(f.get("start"));
  if (f.has("stop")) generic->stop_ns = rd.duration(f.get("stop"));
  if (generic->stop_ns > rd.duration_ns())
    rd.fail(f.get("stop"), fmt::format("stop {} is after the end of the run (duration {})",
                                       format_duration(generic->stop_ns),
                                       format_duration(rd.duration_ns())));
  if (generic->stop_ns <= generic->start_ns) {
    const Item at = f.has("stop") ? f.get("stop") : f.get("start");
    rd.fail(at, fmt::format("stop {} must be after start {}", format_duration(generic->stop_ns),
                            format_duration(generic->start_ns)));
  }
  a.start = generic->start_ns;
  a.stop = generic->stop_ns;
  if (f.has("retry")) a.retry = rd.positive_duration(f.get("retry"));
  if (f.has("warmup")) {
    c->warmup = rd.duration(f.get("warmup"));
    if (c->warmup >= a.stop)
      rd.fail(f.get("warmup"), fmt::format("warmup {} leaves nothing of the load window (stop {})",
                                           format_duration(c->warmup), format_duration(a.stop)));
  }
  if (f.has("work")) a.work = read_distribution(rd, f.get("work"), "work");
  const Item arr = f.required("arrivals");
  Fields af(rd, arr, "workload.arrivals", {"process", "rate", "on", "off", "file"});
  const std::string process = af.has("process")
                                  ? rd.word(af.get("process"), "arrivals.process",
                                            {"poisson", "on-off", "trace"})
                                  : "poisson";
  if (process == "trace") {
    a.process = tasks::Arrivals::Process::Trace;
    for (const char* k : {"rate", "on", "off"})
      if (af.has(k)) af.forbid(k, "does not apply to process: trace (the file gives the times)");
    if (f.has("work")) f.forbid("work", "does not apply to arrivals from a trace (the file gives each task's work)");
    const auto rows = read_csv_numbers(rd, af.required("file"), 2, "time_s, work_s", &c->trace_file);
    Nanos last = 0;
    for (const CsvRow& row : rows) {
      const Nanos at = static_cast<Nanos>(std::llround(row.values[0] * 1e9));
      if (row.values[0] < 0 || row.values[1] < 0 || at < last)
        throw ScenarioError(c->trace_file, row.line, 0,
                            "times must be >= 0 and not decrease, work must be >= 0");
      last = at;
      if (at >= a.start && at < a.stop) a.trace.push_back({at, row.values[1]});
    }
    generic->arrival_rate_per_s =  // the size estimate's: the trace's tasks over the window
        static_cast<double>(a.trace.size()) / (static_cast<double>(a.stop - a.start) / 1e9);
    return c;
  }
  if (af.has("file")) af.forbid("file", "applies to process: trace only");
  a.rate = rd.rate(af.required("rate"));
  generic->arrival_rate_per_s = a.rate;
  if (process == "on-off") {
    a.process = tasks::Arrivals::Process::OnOff;
    a.on = rd.positive_duration(af.required("on"));
    a.off = rd.positive_duration(af.required("off"));
  } else {
    for (const char* k : {"on", "off"})
      if (af.has(k)) af.forbid(k, "applies to process: on-off only");
  }
  return c;
}

// Node 0 is the master over its table on disk; every other node a worker (nothing on disk).
class TasksFactory final : public ProtocolFactory {
 public:
  TasksFactory(int n, tasks::Config config) : n_(n), config_(std::move(config)) {}
  std::unique_ptr<ProtocolNode> make_node(NodeId id, Rng rng) override {
    if (id == 0) return std::make_unique<tasks::Master>(id, n_, config_, &master_disk_, rng);
    return std::make_unique<tasks::Worker>(id, n_, config_, rng);
  }
  uint64_t storage_writes() const override { return master_disk_.writes; }
  const tasks::MasterStorage& master_disk() const { return master_disk_; }
  const tasks::Config& config() const { return config_; }

 private:
  int n_;
  tasks::Config config_;
  tasks::MasterStorage master_disk_;
};

class TaskWorkload final : public Workload {
 public:
  explicit TaskWorkload(const Scenario& s)
      : spec_(s.workload_config ? dynamic_cast<const TasksWorkloadSection*>(s.workload_config.get())
                                : nullptr),
        names_(s.cluster.node_names),
        ledger_(std::make_shared<tasks::Ledger>(s.node_count())) {}
  int client_count() const override { return spec_->sources; }
  std::unique_ptr<ProtocolNode> make_client(int index, Recorder*, Rng rng) override {
    return std::make_unique<tasks::Source>(index, spec_->sources, spec_->arrivals, ledger_.get(), rng);
  }
  std::shared_ptr<const RunExtra> finish(Nanos end, const std::vector<const ProtocolNode*>& nodes,
                                         const ProtocolFactory& factory) override;

 private:
  const TasksWorkloadSection* spec_;
  std::vector<std::string> names_;
  std::shared_ptr<tasks::Ledger> ledger_;
};

// Where each unfinished task stands. Lost: nothing holds it and nothing will send it again — the
// master forgot it, or it is assigned to a worker that no longer has it while the master will
// not dispatch it again (redispatch off). A task whose Run left less than a failure timeout ago
// may be on the wire: it counts as held.
std::shared_ptr<const RunExtra> TaskWorkload::finish(Nanos end,
                                                     const std::vector<const ProtocolNode*>& nodes,
                                                     const ProtocolFactory& factory) {
  auto x = std::make_shared<TasksExtra>();
  const auto& tf = dynamic_cast<const TasksFactory&>(factory);
  x->ledger = ledger_;
  x->master = tf.master_disk().stats;
  const auto* master = dynamic_cast<const tasks::Master*>(nodes.empty() ? nullptr : nodes[0]);
  x->master_up = master != nullptr;
  const auto& entries = ledger_->entries();
  const std::set<uint64_t> queued = master != nullptr ? master->queued_ids() : std::set<uint64_t>{};
  for (size_t k = 0; k < entries.size(); ++k) {
    const tasks::LedgerEntry& e = entries[k];
    if (e.arrived == kNever || e.result_at != kNever) continue;
    Unfinished u;
    u.id = k + 1;
    const auto rec = tf.master_disk().tasks.find(u.id);
    if (rec == tf.master_disk().tasks.end()) {
      u.where = "not yet accepted by the master (its source keeps sending it)";
    } else if (rec->second.done) {
      u.where = "done, its result on the way (its source keeps asking)";
    } else if (master == nullptr) {
      u.where = "on the master's disk; the master is down";
    } else {
      NodeId w = kNoNode;
      uint32_t attempt = 0;
      Nanos sent = 0;
      switch (master->holding(u.id, queued, &w, &attempt, &sent)) {
        case tasks::Master::Holding::Queued:
          u.where = "queued at the master";
          break;
        case tasks::Master::Holding::Assigned: {
          const auto* worker = dynamic_cast<const tasks::Worker*>(
              w >= 0 && static_cast<size_t>(w) < nodes.size() ? nodes[w] : nullptr);
          const std::string name = names_.at(static_cast<size_t>(w));
          if (worker != nullptr && worker->holds(u.id, attempt)) {
            u.where = "at " + name;
          } else if (end - sent < tf.config().failure_timeout) {
            u.where = "on its way to " + name;
          } else if (!tf.config().redispatch) {
            u.where = "assigned to " + name + ", which lost it (redispatch is off)";
            u.lost = true;
          } else if (worker != nullptr && master->trusts(w, worker->boot())) {
            // The Run never arrived (lost on the wire) and the worker is alive as the master
            // sees it: nothing will ever send the task again.
            u.where = "assigned to " + name +
                      ", which never got it (its Run was lost; the master waits for it forever)";
            u.lost = true;
          } else {
            u.where = name + " lost it; the master will send it again";
          }
          break;
        }
        default:
          u.where = "forgotten by the master";
          u.lost = true;
      }
    }
    x->unfinished.push_back(std::move(u));
  }
  return x;
}

}  // namespace

Family tasks_family() {
  Family f;
  f.name = "tasks";
  f.summary = "task scheduling: a master dispatches tasks to workers by a policy (round-robin, "
              "least-loaded, power-of-d, pull, ...)";
  f.keys = {"policy", "d", "weights", "heartbeat", "failure_timeout", "delivery", "redispatch"};
  f.parse = parse;
  f.workload_keys = {"sources", "arrivals", "work", "start", "stop", "retry", "warmup"};
  f.parse_workload = parse_workload;
  f.make_factory = [](const Scenario& s) {
    const auto& section = s.protocol.config_as<TasksSection>();
    tasks::Config c = section.tasks;
    const int n = s.node_count();
    c.cores.assign(static_cast<size_t>(n), 1);
    c.weights.assign(static_cast<size_t>(n), 1.0);
    for (int i = 0; i < n; ++i) {
      const HostSpec h = static_cast<size_t>(i) < s.cluster.hosts.size() ? s.cluster.hosts[i] : HostSpec{};
      c.cores[i] = h.cores;
      c.weights[i] = h.cores * h.speed_flops / tasks::kReferenceFlops;  // capacity, by default
    }
    for (const auto& [node, w] : section.weights) c.weights[node] = w;
    return std::make_unique<TasksFactory>(n, std::move(c));
  };
  f.make_workload = [](const Scenario& s) { return std::make_unique<TaskWorkload>(s); };
  f.analysis.traits.kv_clients = false;
  f.analysis.sections = tasks_section;
  return f;
}

}  // namespace synod::sim
