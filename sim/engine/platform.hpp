// The SimGrid platform of a run: a host per node and per client, and links whose latencies are
// the topology's.
//
// Contract with the driver: construct `simgrid::s4u::Engine e(&argc, argv)`, set
// `network/model:CM02` (under the default LV08 a 1 ms link delivers in 13.01 ms), then call exactly
// one of build_platform() or load_platform_file(), once per process, before creating actors.
// Both throw std::logic_error if the model is not CM02 or a platform already exists.
//
// Hosts: node i is the host named names[i]; client k (0-based) is the host "client<k+1>".
// The transport reads latencies from TopologyGraph::latency; the SimGrid links and routes exist so
// that SimGrid comms (a later transport) and Host::route_to() agree with that matrix.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <simgrid/forward.h>

#include "protocols/common/types.hpp"
#include "sim/engine/topology.hpp"

namespace synod::sim {

struct Platform {
  std::vector<simgrid::s4u::Host*> node_hosts;    // [i] = node i
  std::vector<simgrid::s4u::Host*> client_hosts;  // [k] = client_host_name(k)
  // build_platform: whether node routes chain the topology's links (false: one link per pair,
  // see PlatformOptions::max_route_links). load_platform_file: the file's routes, always true.
  bool routes_follow_links = true;
};

struct PlatformOptions {
  std::string zone_name = "synod";
  std::string host_speed = "1Gf";        // CPU speed of every host (for this_actor::execute costs)
  std::vector<HostSpec> node_cpus;       // if not empty: [i] = node i's speed and cores
  std::string link_bandwidth = "10Gbps"; // of every link; only SimGrid comms feel it
  // SimGrid stores every route's link list in both directions. Long paths make that quadratic
  // blow up (a ring of 1000: 125M link references, 2 GB, 20 s), so when the node routes would hold
  // more links than this in total, each node pair gets one link of its path's latency instead.
  // Latencies stay the same; only bandwidth sharing along common links is lost.
  size_t max_route_links = 4'000'000;
};

// "client1" for k = 0: the host of the k-th client (0-based).
std::string client_host_name(int k);

// Builds one full zone: a host per node and per client, a SimGrid link per topology link, and
// for every pair of node hosts a route along topo.path_links() (switch vertices are just links
// chained; beyond options.max_route_links, one link per pair instead). Each client has its own
// link with client_latency_ns: client↔node routes cross it alone, client↔client routes cross both
// clients' links. Requires topo.has_paths(). Throws std::invalid_argument if two hosts would share
// a name.
Platform build_platform(simgrid::s4u::Engine& engine, const TopologyGraph& topo, int n_clients,
                        Nanos client_latency_ns, const PlatformOptions& options = {});

// Loads a SimGrid XML platform (any routing: Full, Floyd, Dijkstra, clusters, nested zones), seals
// it (Engine::seal_platform: Floyd and Dijkstra zones compute their routes only then) and finds the
// host named like each node. `out` (if not null) gets a TopologyGraph with the node vertices, no
// links (has_paths() is false) and the latency matrix read off SimGrid's routes (one-way; may be
// asymmetric).
// Client k is the file's host "client<k+1>" if it has one; otherwise a host of that name is added
// in an extra zone "synod_clients" with no SimGrid routes: the transport gives clients the
// scenario's client latency, and SimGrid comms to such a client host are not supported.
// Throws std::runtime_error naming the file when it cannot be read or parsed, lacks a node's host,
// or has no route between two node hosts.
Platform load_platform_file(simgrid::s4u::Engine& engine, const std::string& xml,
                            const std::vector<std::string>& node_names, int n_clients,
                            TopologyGraph* out);

// The summed latency of SimGrid's route a→b, rounded to the nanosecond; 0 when a == b.
// Without a route, a full zone silently gives an empty route (reads 0) while other zones throw
// std::invalid_argument; load_platform_file() checks every node pair for you.
Nanos route_latency_ns(const simgrid::s4u::Host* a, const simgrid::s4u::Host* b);

}  // namespace synod::sim
