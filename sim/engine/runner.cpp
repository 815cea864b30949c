#include "sim/engine/runner.hpp"

#include <chrono>
#include <cmath>
#include <deque>
#include <memory>
#include <stdexcept>

#include <simgrid/s4u.hpp>
#include <fmt/format.h>

#include "protocols/lamport/clock.hpp"
#include "sim/engine/client.hpp"
#include "sim/engine/platform.hpp"
#include "sim/engine/topology.hpp"

namespace sg4 = simgrid::s4u;

#if defined(__SANITIZE_ADDRESS__)
#define SYNOD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SYNOD_ASAN 1
#endif
#endif
#ifndef SYNOD_ASAN
#define SYNOD_ASAN 0
#endif

namespace synod::sim {

namespace {

Nanos clock_ns() { return std::llround(sg4::Engine::get_clock() * 1e9); }

// A protocol whose timer does not move past `now` after firing would spin forever at one instant.
constexpr int kMaxTimerFiringsPerInstant = 10000;

class Runner final : public ClusterControl, public ArrivalContext {
 public:
  Runner(const Scenario& s, RunResult* result, std::unique_ptr<ProtocolFactory> factory,
         std::unique_ptr<Workload> workload)
      : s_(s),
        result_(result),
        recorder_(s.node_count()),
        factory_(std::move(factory)),
        workload_(std::move(workload)) {}

  void run();

  // ClusterControl
  Nanos now() const override { return clock_ns(); }
  void sleep_until(Nanos t) override { sg4::this_actor::sleep_until(to_seconds(t)); }
  void crash(NodeId n) override;
  void restart(NodeId n) override;
  bool is_up(NodeId n) const override { return network_->is_up(n); }
  void set_clock_offset(NodeId n, Nanos offset) override {
    clock_offset_[n] = offset;
    wake(n);  // its next wake-up was computed on the old clock
  }
  Nanos clock_offset(NodeId n) const override { return clock_offset_[n]; }
  Network& network() override { return *network_; }
  Recorder& recorder() override { return recorder_; }
  const std::vector<NodeId>& members() const override { return members_; }
  void set_members(std::vector<NodeId> members) override {
    members_ = std::move(members);
    for (NodeId i = 0; i < s_.node_count(); ++i) {
      slots_[i].membership_pending = true;
      wake(i);
    }
  }

  void transfer_leadership(NodeId leader, NodeId to) override {
    slots_[leader].transfer_to = to;
    wake(leader);
  }

  // ArrivalContext
  void wake_client(int index) override { wake(s_.node_count() + index); }

 private:
  // Outbox::compute() work of one incarnation: a FIFO served by one executor actor per core of
  // the host, each running SimGrid's CPU model (this_actor::execute). Executors are made at the
  // first compute of an incarnation (a run that never computes creates none); a crash kills them
  // with the host, and the restarted node gets a fresh queue.
  struct Executors {
    std::deque<Outbox::Compute> queue;
    std::deque<uint64_t> done;  // finished tokens, for the endpoint to hand to its node
    sg4::MutexPtr mutex;
    sg4::ConditionVariablePtr cv;
    bool started = false;
  };
  struct Slot {
    std::unique_ptr<ProtocolNode> endpoint;
    sg4::Host* host = nullptr;
    sg4::MutexPtr mutex;
    sg4::ConditionVariablePtr cv;
    bool is_node = false;
    bool membership_pending = false;  // tell the node the membership before its next input
    NodeId transfer_to = kNoNode;     // a transfer fault: hand leadership to this node
    std::shared_ptr<Executors> executors;
  };

  void start_endpoint(Address a);
  void endpoint_loop(Address a);
  void executor_loop(Address a, std::shared_ptr<Executors> ex);
  void submit_compute(Address a, Slot& slot, const Outbox::Compute& c);
  void flush(Address a, Slot& slot, Outbox& out, Nanos now);
  void on_receive(Address a, const Envelope& env, Nanos now);
  void wake(Address a) {
    if (slots_[a].cv) slots_[a].cv->notify_one();
  }

  const Scenario& s_;
  RunResult* result_;
  Recorder recorder_;
  std::unique_ptr<Network> network_;
  std::unique_ptr<ProtocolFactory> factory_;
  std::unique_ptr<Workload> workload_;
  std::vector<Slot> slots_;
  // Per endpoint: what its clock reads minus true time (skew faults). A node is handed local time
  // (now + offset) in every input, and its timer deadline, in local time, is true time - offset.
  std::vector<Nanos> clock_offset_;
  uint64_t steps_ = 0;
  // Logical clocks per endpoint, kept by the transport (they survive a node's restart, as if
  // persisted, so a node's trace stays one process with a monotonic clock).
  std::vector<lamport::LamportClock> clocks_;
  std::vector<lamport::VectorClock> vclocks_;  // empty unless scenario.trace.vector_clocks
  int64_t next_message_id_ = 0;
  std::vector<analysis::TraceEvent> trace_;
  std::vector<RunResult::TraceDetail> trace_detail_;
  std::vector<NodeId> members_;  // sorted
  bool membership_used_ = false;
};

void Runner::start_endpoint(Address a) {
  Slot& slot = slots_[a];
  // A fresh mutex and condition variable per incarnation: the old ones may still be referenced
  // by the killed actor's unwinding stack.
  slot.mutex = sg4::Mutex::create();
  slot.cv = sg4::ConditionVariable::create();
  slot.executors = std::make_shared<Executors>();
  sg4::ActorPtr actor =
      sg4::Actor::create(slot.host->get_name(), slot.host, [this, a] { endpoint_loop(a); });
  actor->daemonize();
}

void Runner::endpoint_loop(Address a) {
  Slot& slot = slots_[a];
  ProtocolNode* ep = slot.endpoint.get();
  sg4::MutexPtr mutex = slot.mutex;
  sg4::ConditionVariablePtr cv = slot.cv;
  std::unique_lock<sg4::Mutex> lock(*mutex);
  Outbox out;
  Nanos now = clock_ns();
  // The endpoint's own clock (skew faults); every input gets it, the records keep true time.
  auto local = [this, a](Nanos t) { return t + clock_offset_[a]; };
  ep->start(local(now), out);
  flush(a, slot, out, now);
  // Told only in runs that use membership (members or join/leave), so the others take no step.
  if (slot.is_node && membership_used_) slot.membership_pending = true;
  Envelope env;
  Nanos last_timer_at = -1;
  int timer_firings = 0;
  while (true) {
    now = clock_ns();
    if (slot.membership_pending) {
      slot.membership_pending = false;
      ep->on_membership(local(now), members_, out);
      flush(a, slot, out, now);
    }
    if (slot.transfer_to != kNoNode) {
      const NodeId to = slot.transfer_to;
      slot.transfer_to = kNoNode;
      ep->on_transfer_leadership(local(now), to, out);
      flush(a, slot, out, now);
    }
    while (!slot.executors->done.empty()) {
      const uint64_t token = slot.executors->done.front();
      slot.executors->done.pop_front();
      ep->on_compute_done(local(now), token, out);
      flush(a, slot, out, now);
    }
    while (network_->pop_due(a, now, &env)) {
      on_receive(a, env, now);
      ep->on_message(local(now), env.src, *env.message, out);
      flush(a, slot, out, now);
    }
    if (ep->next_timer() <= local(now)) {
      timer_firings = now == last_timer_at ? timer_firings + 1 : 0;
      last_timer_at = now;
      if (timer_firings > kMaxTimerFiringsPerInstant) {
        recorder_.node_invariant_violation(
            now, a, fmt::format("{}: timer keeps firing at {} s without advancing; endpoint stopped",
                                ep->describe(), to_seconds(now)));
        return;
      }
      ep->on_timer(local(now), out);
      flush(a, slot, out, now);
      continue;
    }
    if (!slot.executors->done.empty()) continue;
    const Nanos timer = ep->next_timer();
    const Nanos timer_true = timer == kNever ? kNever : timer - clock_offset_[a];
    const Nanos wake_at = std::min(network_->next_due(a), timer_true);
    network_->set_wake_time(a, wake_at);
    if (wake_at == kNever)
      cv->wait(lock);
    else
      cv->wait_until(lock, to_seconds(wake_at));
  }
}

void Runner::flush(Address a, Slot& slot, Outbox& out, Nanos now) {
  if (slot.is_node) {
    steps_++;
    const uint32_t inc = network_->incarnation(a);
    for (const ProtocolEvent& e : out.events) recorder_.protocol_event(now, a, inc, e);
    for (const std::string& v : slot.endpoint->check_invariants())
      recorder_.node_invariant_violation(now, a, v);
  }
  for (Outbox::Send& m : out.messages) {
    Stamp stamp;
    stamp.id = next_message_id_++;
    stamp.lamport = clocks_[a].tick();
    analysis::TraceEvent t;
    t.node = a;
    t.kind = analysis::TraceKind::Send;
    t.message = stamp.id;
    t.lamport = stamp.lamport;
    if (!vclocks_.empty()) {
      vclocks_[a].tick(a);
      stamp.vector = std::make_shared<const std::vector<int64_t>>(vclocks_[a].entries());
      t.vector = *stamp.vector;
    }
    if (s_.trace.clock_check) trace_.push_back(std::move(t));
    if (s_.trace.messages) trace_detail_.push_back({now, m.to, m.message->describe()});
    network_->send(now, a, m.to, std::move(m.message), std::move(stamp));
  }
  for (const Outbox::Compute& c : out.computes) submit_compute(a, slot, c);
  out.clear();
}

void Runner::submit_compute(Address a, Slot& slot, const Outbox::Compute& c) {
  std::shared_ptr<Executors> ex = slot.executors;
  if (!ex->started) {
    ex->started = true;
    ex->mutex = sg4::Mutex::create();
    ex->cv = sg4::ConditionVariable::create();
    const int cores = slot.host->get_core_count();
    for (int k = 0; k < cores; ++k) {
      sg4::Actor::create(slot.host->get_name() + "-cpu" + std::to_string(k), slot.host,
                         [this, a, ex] { executor_loop(a, ex); })
          ->daemonize();
    }
  }
  ex->queue.push_back(c);
  ex->cv->notify_one();
}

// One core: takes the oldest waiting work, runs it on the host's CPU, hands the token back.
void Runner::executor_loop(Address a, std::shared_ptr<Executors> ex) {
  std::unique_lock<sg4::Mutex> lock(*ex->mutex);
  while (true) {
    while (ex->queue.empty()) ex->cv->wait(lock);
    const Outbox::Compute job = ex->queue.front();
    ex->queue.pop_front();
    lock.unlock();
    sg4::this_actor::execute(job.flops);
    lock.lock();
    ex->done.push_back(job.token);
    wake(a);
  }
}

// Lamport 1978, IR2: on receipt the clock moves past the message's timestamp.
void Runner::on_receive(Address a, const Envelope& env, Nanos now) {
  analysis::TraceEvent t;
  t.node = a;
  t.kind = analysis::TraceKind::Receive;
  t.message = env.stamp.id;
  t.lamport = clocks_[a].receive(env.stamp.lamport);
  if (!vclocks_.empty() && env.stamp.vector) {
    vclocks_[a].receive(a, lamport::VectorClock(*env.stamp.vector));
    t.vector = vclocks_[a].entries();
  }
  if (s_.trace.clock_check) trace_.push_back(std::move(t));
  if (s_.trace.messages) trace_detail_.push_back({now, env.src, env.message->describe()});
}

void Runner::crash(NodeId n) {
  network_->set_up(n, false);  // bumps the incarnation: in-flight messages to it vanish
  recorder_.set_down(n);
  slots_[n].host->turn_off();  // kills its actor; the protocol object is replaced at restart
}

void Runner::restart(NodeId n) {
  Slot& slot = slots_[n];
  slot.host->turn_on();
  network_->set_up(n, true);
  recorder_.set_restarted(n);
  slot.endpoint = factory_->make_node(n, Rng::stream(s_.seed, "node", n * 100003ULL + network_->incarnation(n)));
  start_endpoint(n);
}

void Runner::run() {
  const int n = s_.node_count();
  if (!workload_) workload_ = std::make_unique<KvWorkload>(s_.workload, n);
  const int c = workload_->client_count();
  TopologyGraph topo;
  Platform platform;
  sg4::Engine* engine = sg4::Engine::get_instance();
  if (s_.cluster.topology == Topology::Platform) {
    // At least one client host: the nemesis and the load generator run there, safe from crashes.
    platform = load_platform_file(*engine, s_.cluster.platform_file, s_.cluster.node_names,
                                  std::max(c, 1), &topo);
  } else {
    topo = build_topology(s_.cluster, s_.seed);
    PlatformOptions options;
    options.node_cpus = s_.cluster.hosts;
    platform = build_platform(*engine, topo, std::max(c, 1), s_.cluster.client_latency_ns, options);
  }

  Network::Config nc;
  nc.n_nodes = n;
  nc.n_clients = c;
  nc.node_latency = topo.latency;
  nc.client_latency = s_.cluster.client_latency_ns;
  nc.jitter = s_.cluster.jitter_ns;
  nc.jitter_exponential = s_.cluster.jitter_exponential;
  nc.loss = s_.cluster.loss;
  nc.duplicate = s_.cluster.duplicate;
  network_ = std::make_unique<Network>(nc, Rng::stream(s_.seed, "network"),
                                       [this](Address dst) { wake(dst); });

  slots_.resize(n + c);
  membership_used_ = !s_.cluster.members.empty();
  for (const FaultSpec& f : s_.faults)
    membership_used_ |= f.kind == FaultKind::Join || f.kind == FaultKind::Leave;
  if (s_.cluster.members.empty()) {
    for (NodeId i = 0; i < n; ++i) members_.push_back(i);
  } else {
    members_.assign(s_.cluster.members.begin(), s_.cluster.members.end());
  }
  clock_offset_.assign(n + c, 0);
  clocks_.resize(n + c);
  if (s_.trace.vector_clocks) vclocks_.assign(n + c, lamport::VectorClock(n + c));
  for (NodeId i = 0; i < n; ++i) {
    slots_[i].host = platform.node_hosts[i];
    slots_[i].is_node = true;
    slots_[i].endpoint = factory_->make_node(i, Rng::stream(s_.seed, "node", i * 100003ULL));
  }
  for (int i = 0; i < c; ++i) {
    slots_[n + i].host = platform.client_hosts[i];
    slots_[n + i].endpoint = workload_->make_client(i, &recorder_, Rng::stream(s_.seed, "client", i));
  }
  for (Address a = 0; a < n + c; ++a) start_endpoint(a);

  if (workload_->has_arrivals()) {
    sg4::Actor::create("load", platform.client_hosts[0], [this] {
      workload_->run_arrivals(*this, Rng::stream(s_.seed, "arrivals"));
    })->daemonize();
  }

  Nemesis nemesis(s_, this, Rng::stream(s_.seed, "nemesis"));
  sg4::Actor::create("nemesis", platform.client_hosts[0], [&nemesis] { nemesis.run(); });

  auto wall_start = std::chrono::steady_clock::now();
  engine->run();
  result_->wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  result_->simulated_ns = s_.duration_ns;
  result_->history = recorder_.take_history();
  result_->events = recorder_.take_events();
  result_->node_violations = recorder_.node_violations();
  result_->faults = nemesis.records();
  result_->random_fired = nemesis.random_fired();
  result_->messages = network_->counters();
  result_->elections_started = recorder_.elections_started();
  result_->leaders_elected = recorder_.leaders_elected();
  result_->skipped_arrivals = workload_->skipped_arrivals();
  result_->storage_writes = factory_->storage_writes();
  result_->protocol_steps = steps_;
  result_->trace = std::move(trace_);
  result_->trace_detail = std::move(trace_detail_);
  std::vector<const ProtocolNode*> live(n, nullptr);
  for (NodeId i = 0; i < n; ++i)
    if (network_->is_up(i)) live[i] = slots_[i].endpoint.get();
  result_->extra = workload_->finish(s_.duration_ns, live, *factory_);
  for (NodeId i = 0; i < n; ++i) {
    if (!network_->is_up(i)) continue;
    std::string d = slots_[i].endpoint->state_digest();
    if (!d.empty()) result_->final_digests.push_back({i, std::move(d)});
  }
}

}  // namespace

RunResult run_scenario(const Scenario& scenario, uint64_t seed,
                       std::unique_ptr<ProtocolFactory> factory,
                       std::unique_ptr<Workload> workload) {
  if (!factory) throw std::invalid_argument("run_scenario: no protocol factory");
  RunResult result;
  result.scenario = scenario;
  result.scenario.seed = seed;
  if (result.scenario.workload.stop_ns <= 0) result.scenario.workload.stop_ns = scenario.duration_ns;
  // SimGrid reads its options from argv; keep its own logging quiet unless something is wrong.
  int argc = 2;
  char arg0[] = "synod";
  char arg1[] = "--log=root.thresh:warning";
  char* argv[] = {arg0, arg1, nullptr};
  sg4::Engine engine(&argc, argv);
  // LV08 (the default) multiplies link latencies by 13.01; CM02 keeps them as given.
  engine.set_config("network/model:CM02");
#if SYNOD_ASAN
  // Under AddressSanitizer (the sanitize preset): SimGrid's own stack switching (raw contexts)
  // hides the actors' stacks from ASan, which then reports false errors; system threads do not.
  engine.set_config("contexts/factory:thread");
#endif
  Runner runner(result.scenario, &result, std::move(factory), std::move(workload));
  runner.run();
  for (size_t k = 0; k < static_cast<size_t>(MsgKind::kCount); ++k)
    result.message_kind_names.push_back(message_kind_name(static_cast<MsgKind>(k)));
  return result;
}

}  // namespace synod::sim
