// What a run will cost before it starts: an upper bound on its operations and an estimate of its
// memory, measured on the runs in docs/performance.md. A scenario past the machine's memory is
// refused at load time with the numbers, rather than swapping or being killed an hour in.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "sim/scenario/sections.hpp"

namespace synod::sim {

namespace {

// Measured (bench/long-run.sh, a 5-node Raft hour at 100 ops/s: 360,000 operations, 1.68 GB
// peak): about 1 KB per operation in the history and the client records, and 0.8 KB per
// operation and node in the events and the nodes' logs; about 2 KB per node and simulated second
// of heartbeats and timers.
constexpr double kBytesPerOp = 1024;
constexpr double kBytesPerOpAndNode = 800;
constexpr double kBytesPerNodeSecond = 2048;
// SimGrid's full-zone routing table: one pointer per ordered pair of hosts; the routes and links
// between nodes and the latency matrix (fitted to bench/shards-1000.yaml cut to 1 s and 1 op/s:
// 500 nodes 203 MB, 1000 nodes 628 MB peak); each actor's context and the stack it touches; and
// the process itself (SimGrid, the libraries).
constexpr double kBytesPerHostPair = 8;
constexpr double kBytesPerNodePair = 570;
constexpr double kBytesPerActor = 64 * 1024;
constexpr double kBaseBytes = 60e6;

std::string gigabytes(double bytes) {
  if (bytes >= 1e15) return fmt::format("{:.3g} PB", bytes / 1e15);
  if (bytes >= 1e12) return fmt::format("{:.3g} TB", bytes / 1e12);
  return fmt::format("{:.2f} GB", bytes / 1e9);
}

}  // namespace

RunSize estimate_run_size(const Scenario& s) {
  RunSize r;
  const double nodes = s.node_count();
  const double clients = std::max(s.workload.clients, 0);
  const double window_s =
      static_cast<double>(std::max<Nanos>(0, s.workload.stop_ns - s.workload.start_ns)) / 1e9;
  if (s.workload_config) {
    r.ops = s.workload.arrival_rate_per_s * window_s;  // the family's own sources
  } else if (s.workload.rate_per_s > 0) {
    r.ops = s.workload.rate_per_s * window_s;  // open loop: arrivals (busy clients skip some)
  } else {
    // Closed loop: no client issues more than one operation per think time plus a round trip to
    // a node, the fastest an operation can complete.
    const double round_trip_s =
        std::max(2.0 * static_cast<double>(s.cluster.client_latency_ns) / 1e9, 1e-5);
    r.ops = clients * window_s / (static_cast<double>(s.workload.think_ns) / 1e9 + round_trip_s);
  }
  r.hosts = nodes + clients;
  // Sharded: an operation reaches one group's replicas, and each node keeps the timers of every
  // group it is in.
  const ShardSpec& shards = s.protocol.shards;
  const double op_nodes = shards.count > 0 ? std::min<double>(shards.replication, nodes) : nodes;
  const double timer_nodes =
      shards.count > 0 ? static_cast<double>(shards.count) * op_nodes : nodes;
  r.bytes = r.ops * (kBytesPerOp + kBytesPerOpAndNode * op_nodes) +
            kBytesPerNodeSecond * timer_nodes * static_cast<double>(s.duration_ns) / 1e9 +
            kBytesPerHostPair * r.hosts * r.hosts + kBytesPerNodePair * nodes * nodes +
            kBytesPerActor * r.hosts + kBaseBytes;
  return r;
}

namespace {
char g_current_input[4096] = "(no file)";
}  // namespace

void set_current_input(const std::string& file) {
  std::strncpy(g_current_input, file.c_str(), sizeof g_current_input - 1);
  g_current_input[sizeof g_current_input - 1] = '\0';
}

const char* current_input() { return g_current_input; }

void check_fits_in_memory(const Scenario& s, double memory_bytes) {
  const RunSize r = estimate_run_size(s);
  if (!(r.bytes <= memory_bytes)) {  // also catches NaN
    throw ScenarioError(
        s.file, 0, 0,
        fmt::format("this run would need about {} of memory, more than this machine's {} "
                    "(up to {:.3g} operations in {:.3g} s of load, {} nodes, {:.0f} hosts); shorten "
                    "the duration, or lower the rate, the clients or the nodes (docs/scenarios.md, "
                    "\"Limits\")",
                    gigabytes(r.bytes), gigabytes(memory_bytes), r.ops,
                    static_cast<double>(s.workload.stop_ns - s.workload.start_ns) / 1e9,
                    s.node_count(), r.hosts));
  }
}

}  // namespace synod::sim
