// sim_bench: how fast the simulator runs, measured in one invocation so the numbers compare.
//
//   transport  the bare transport: N nodes, each keeping K "Ping" messages in flight to random
//              peers (every delivery triggers one new send), through the same actors, queues and
//              network object a protocol run uses. Reports delivered messages per wall second.
//   raft, multipaxos
//              a 5-node run under an open-loop load (10 clients, 500 ops/s, 20 keys), no
//              faults. Reports protocol messages per wall second and simulated seconds per wall
//              second, with and without the analysis and file output that `synod run` adds, and
//              the protocol's messages/s as a share of the 5-node transport's in the same run.
//
// SimGrid allows one engine per process, so each case runs in a forked child that writes its
// result to a pipe. Usage: sim_bench [--quick]
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "protocols/common/node.hpp"
#include "sim/engine/runner.hpp"
#include "sim/families/registry.hpp"
#include "sim/report/report.hpp"

using namespace synod;
using namespace synod::sim;

namespace {

class PingMessage final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::Ping; }
  const char* type_name() const override { return "Ping"; }
  size_t size_bytes() const override { return 16; }
  std::string describe() const override { return "Ping"; }
};

// Keeps `in_flight` messages moving: every delivery sends one new message to a random peer.
class FloodNode final : public ProtocolNode {
 public:
  FloodNode(NodeId id, int n, int in_flight, Rng rng) : id_(id), n_(n), in_flight_(in_flight), rng_(rng) {}
  void start(Nanos, Outbox& out) override {
    for (int i = 0; i < in_flight_; ++i) send(out);
  }
  void on_message(Nanos, Address, const Message&, Outbox& out) override { send(out); }
  void on_timer(Nanos, Outbox&) override {}
  Nanos next_timer() const override { return kNever; }
  std::vector<std::string> check_invariants() override { return {}; }
  std::string describe() const override { return "flood"; }

 private:
  void send(Outbox& out) {
    NodeId to = static_cast<NodeId>(rng_.below(n_ - 1));
    if (to >= id_) to++;
    out.send(to, std::make_shared<PingMessage>());
  }
  NodeId id_;
  int n_;
  int in_flight_;
  Rng rng_;
};

class FloodFactory final : public ProtocolFactory {
 public:
  FloodFactory(int n, int in_flight) : n_(n), in_flight_(in_flight) {}
  std::unique_ptr<ProtocolNode> make_node(NodeId id, Rng rng) override {
    return std::make_unique<FloodNode>(id, n_, in_flight_, rng);
  }
  uint64_t storage_writes() const override { return 0; }

 private:
  int n_, in_flight_;
};

// The scenario file the cases would be written as; loading it gives every default its value.
Scenario base_scenario(int nodes, Nanos duration, const std::string& protocol = "raft") {
  Scenario s = registry::parse(
      fmt::format("name: bench\nduration: {}\ncluster:\n  nodes: {}\n"
                  "  latency: {{dist: uniform, min: 1ms, max: 5ms}}\nprotocol: {{name: {}}}\n",
                  format_duration(duration), nodes, protocol),
      "(bench)");
  return s;
}

struct Measure {
  double wall_s = 0;
  double messages = 0;
  double simulated_s = 0;
  double total_wall_s = 0;  // including analysis and output
};

Measure run_transport(int nodes, int in_flight, Nanos duration) {
  Scenario s = base_scenario(nodes, duration);
  s.workload.clients = 1;
  s.workload.start_ns = s.workload.stop_ns = duration;  // no client operations
  RunResult r = run_scenario(s, 1, std::make_unique<FloodFactory>(nodes, in_flight));
  return {r.wall_seconds, static_cast<double>(r.messages[static_cast<size_t>(MsgKind::Ping)].delivered),
          to_seconds(duration), r.wall_seconds};
}

Measure run_protocol(const std::string& protocol, Nanos duration, bool with_output) {
  Scenario s = base_scenario(5, duration, protocol);
  s.cluster.latency = {LatencyDist::Kind::Constant, 2 * kNanosPerMilli, 2 * kNanosPerMilli};
  s.workload.clients = 10;
  s.workload.rate_per_s = 500;
  s.workload.keys = 20;
  auto t0 = std::chrono::steady_clock::now();
  RunResult r = registry::run(s, 1);
  uint64_t sent = 0;
  for (size_t k = 0; k < r.messages.size(); ++k) {
    auto kind = static_cast<MsgKind>(k);
    if (kind != MsgKind::ClientRequest && kind != MsgKind::ClientReply) sent += r.messages[k].sent;
  }
  if (with_output) {
    RunAnalysis a = registry::analyze(r);
    auto report = build_report(r, a);
    write_outputs("/tmp/synod-bench-out", r, a, report);
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {r.wall_seconds, static_cast<double>(sent), to_seconds(duration), total};
}

// Runs `fn` in a child process (one SimGrid engine each) and returns its Measure.
template <class F>
Measure in_child(F fn) {
  std::fflush(stdout);  // or the child would print the parent's buffered lines again
  int fd[2];
  if (pipe(fd) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    Measure m = fn();
    ssize_t w = write(fd[1], &m, sizeof m);
    _exit(w == sizeof m ? 0 : 1);
  }
  close(fd[1]);
  Measure m;
  ssize_t got = read(fd[0], &m, sizeof m);
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != sizeof m || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fmt::print(stderr, "sim_bench: a case failed\n");
    std::exit(1);
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const Nanos transport_s = (quick ? 2 : 10) * kNanosPerSecond;
  const Nanos protocol_s = (quick ? 10 : 60) * kNanosPerSecond;

  fmt::print("{:<40} {:>14} {:>14} {:>12}\n", "case", "messages", "msg/wall-s", "sim-s/wall-s");
  double transport5 = 0;  // the 5-node transport's delivered messages per wall second
  for (auto [nodes, in_flight] : {std::pair{5, 4}, {20, 4}, {100, 4}}) {
    Measure m = in_child([&] { return run_transport(nodes, in_flight, transport_s); });
    if (nodes == 5) transport5 = m.messages / m.wall_s;
    fmt::print("{:<40} {:>14.0f} {:>14.0f} {:>12.1f}\n",
               fmt::format("transport {} nodes, {} in flight each", nodes, in_flight), m.messages,
               m.messages / m.wall_s, m.simulated_s / m.wall_s);
  }
  for (const char* protocol : {"raft", "multipaxos"}) {
    Measure sim = in_child([&] { return run_protocol(protocol, protocol_s, false); });
    fmt::print("{:<40} {:>14.0f} {:>14.0f} {:>12.1f}   {:.0f}% of the transport\n",
               fmt::format("{} 5 nodes, 500 ops/s (simulation)", protocol), sim.messages,
               sim.messages / sim.wall_s, sim.simulated_s / sim.wall_s,
               100 * sim.messages / sim.wall_s / transport5);
    Measure full = in_child([&] { return run_protocol(protocol, protocol_s, true); });
    fmt::print("{:<40} {:>14.0f} {:>14.0f} {:>12.1f}   {:.0f}% of the transport\n",
               fmt::format("{} 5 nodes, + analysis and output", protocol), full.messages,
               full.messages / full.total_wall_s, full.simulated_s / full.total_wall_s,
               100 * full.messages / full.total_wall_s / transport5);
  }
  return 0;
}
