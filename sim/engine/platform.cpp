// Builds or loads the SimGrid platform of a run (see platform.hpp).
#include "sim/engine/platform.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>
#include <simgrid/s4u/NetZone.hpp>
#include <xbt/config.hpp>

#include "sim/scenario/scenario.hpp"

namespace sg4 = simgrid::s4u;

namespace synod::sim {
namespace {

void check_engine_ready(const sg4::Engine& engine) {
  const std::string& model = simgrid::config::get_value<std::string>("network/model");
  if (model != "CM02") {
    throw std::logic_error(fmt::format(
        "network/model is '{}', not CM02: set it before building the platform, or SimGrid's "
        "latencies will not be the scenario's",
        model));
  }
  if (engine.get_netzone_root() != nullptr) {
    throw std::logic_error("a SimGrid platform already exists in this process");
  }
}

// SimGrid keeps latencies as double seconds; nanosecond values survive the round trip exactly
// after rounding (a sum of a few links is off by far less than half a nanosecond).
double to_link_seconds(Nanos ns) { return static_cast<double>(ns) / 1e9; }
Nanos from_link_seconds(double s) { return static_cast<Nanos>(std::llround(s * 1e9)); }

// Returns the route's link count as well, so callers can tell "no route" apart: a full zone
// returns an empty route, other zones throw std::invalid_argument (caught by the caller).
Nanos route_latency(const sg4::Host* a, const sg4::Host* b, size_t* n_links) {
  std::vector<sg4::Link*> links;
  double latency_s = 0;  // route_to adds to it
  a->route_to(b, links, &latency_s);
  *n_links = links.size();
  return from_link_seconds(latency_s);
}

// The number of links the node routes would hold: the sum over pairs a < b of their path's length,
// from each source's predecessor tree (O(n · vertices), not O(pairs · path length)).
size_t total_route_links(const TopologyGraph& topo) {
  const size_t nv = static_cast<size_t>(topo.n_vertices());
  std::vector<int> depth(nv);
  std::vector<int> stack;
  size_t total = 0;
  for (int s = 0; s < topo.n_nodes; ++s) {
    const size_t row = static_cast<size_t>(s) * nv;
    std::fill(depth.begin(), depth.end(), -1);
    depth[static_cast<size_t>(s)] = 0;
    for (int t = s + 1; t < topo.n_nodes; ++t) {
      int v = t;
      while (depth[static_cast<size_t>(v)] < 0) {
        stack.push_back(v);
        v = topo.pred[row + static_cast<size_t>(v)];
      }
      for (; !stack.empty(); stack.pop_back()) {
        depth[static_cast<size_t>(stack.back())] = depth[static_cast<size_t>(v)] + 1;
        v = stack.back();
      }
      total += static_cast<size_t>(depth[static_cast<size_t>(t)]);
    }
  }
  return total;
}

}  // namespace

std::string client_host_name(int k) { return fmt::format("client{}", k + 1); }

Platform build_platform(sg4::Engine& engine, const TopologyGraph& topo, int n_clients,
                        Nanos client_latency_ns, const PlatformOptions& options) {
  check_engine_ready(engine);
  if (!topo.has_paths()) {
    throw std::logic_error("build_platform needs a built topology (one loaded from XML has no links)");
  }
  if (n_clients < 0 || client_latency_ns < 0) {
    throw std::invalid_argument(
        fmt::format("bad clients: {} clients, latency {} ns", n_clients, client_latency_ns));
  }
  std::set<std::string> host_names;
  auto claim = [&host_names](const std::string& name) {
    if (!host_names.insert(name).second) {
      throw std::invalid_argument(fmt::format("two hosts would be named '{}'", name));
    }
  };
  for (const auto& name : topo.names) claim(name);
  for (int k = 0; k < n_clients; ++k) claim(client_host_name(k));

  sg4::NetZone* zone = sg4::create_full_zone(options.zone_name);
  Platform platform;
  for (size_t i = 0; i < topo.names.size(); ++i) {
    if (i < options.node_cpus.size()) {
      const HostSpec& cpu = options.node_cpus[i];
      platform.node_hosts.push_back(
          zone->create_host(topo.names[i], cpu.speed_flops)->set_core_count(cpu.cores)->seal());
    } else {
      platform.node_hosts.push_back(zone->create_host(topo.names[i], options.host_speed)->seal());
    }
  }
  for (int k = 0; k < n_clients; ++k) {
    platform.client_hosts.push_back(zone->create_host(client_host_name(k), options.host_speed)->seal());
  }

  std::set<std::string> link_names;
  auto make_link = [&](const std::string& name, Nanos latency_ns) {
    if (!link_names.insert(name).second) {
      throw std::invalid_argument(fmt::format("two links would be named '{}'", name));
    }
    return zone->create_link(name, options.link_bandwidth)
        ->set_latency(to_link_seconds(latency_ns))
        ->seal();
  };
  // Full zones need one add_route per unordered pair: symmetrical=true adds the reverse route
  // (links reversed), and adding it twice is an error.
  auto add_node_route = [&](int a, int b, const std::vector<sg4::LinkInRoute>& route) {
    zone->add_route(platform.node_hosts[static_cast<size_t>(a)]->get_netpoint(),
                    platform.node_hosts[static_cast<size_t>(b)]->get_netpoint(), nullptr, nullptr,
                    route, true);
  };
  platform.routes_follow_links = total_route_links(topo) <= options.max_route_links;
  if (platform.routes_follow_links) {
    std::vector<const sg4::Link*> links;
    links.reserve(topo.links.size());
    for (const auto& link : topo.links) links.push_back(make_link(link.name, link.latency_ns));
    for (int a = 0; a < topo.n_nodes; ++a) {
      for (int b = a + 1; b < topo.n_nodes; ++b) {
        std::vector<sg4::LinkInRoute> route;
        for (int l : topo.path_links(a, b)) route.emplace_back(links[static_cast<size_t>(l)]);
        add_node_route(a, b, route);
      }
    }
  } else {
    for (int a = 0; a < topo.n_nodes; ++a) {
      for (int b = a + 1; b < topo.n_nodes; ++b) {
        const std::string name = fmt::format("{}~{}", topo.names[static_cast<size_t>(a)],
                                             topo.names[static_cast<size_t>(b)]);
        add_node_route(a, b, {sg4::LinkInRoute(make_link(name, topo.latency_ns(a, b)))});
      }
    }
  }

  std::vector<const sg4::Link*> client_links;
  for (int k = 0; k < n_clients; ++k) {
    client_links.push_back(make_link(client_host_name(k) + "-access", client_latency_ns));
  }
  for (int k = 0; k < n_clients; ++k) {
    auto* client = platform.client_hosts[static_cast<size_t>(k)]->get_netpoint();
    const sg4::LinkInRoute access(client_links[static_cast<size_t>(k)]);
    for (auto* node : platform.node_hosts) {
      zone->add_route(client, node->get_netpoint(), nullptr, nullptr, {access}, true);
    }
  }
  // No client-client routes: clients never talk to each other, and the transport takes its
  // delays from the latency matrix, not from SimGrid routes. They were n_clients^2 routes
  // (10,000 clients: 10^8, past 7 GB before the run started).
  zone->seal();
  return platform;
}

namespace {

// SimGrid 3.32 ends the process (xbt_die "Not a valid model!") on a zone routing it does not
// know; say which line instead. The names are sg_platf_create_zone's, compared without case.
void check_routing_names(const std::string& xml) {
  static const std::vector<std::string> kRoutings = {
      "cluster", "clusterdragonfly", "clustertorus", "clusterfattree", "dijkstra",
      "dijkstracache", "floyd", "full", "none", "vivaldi", "wifi"};
  std::ifstream in(xml);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    for (size_t at = line.find("routing"); at != std::string::npos;
         at = line.find("routing", at + 1)) {
      size_t p = at + 7;
      while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
      if (p >= line.size() || line[p] != '=') continue;
      ++p;
      while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
      if (p >= line.size() || (line[p] != '"' && line[p] != '\'')) continue;
      const size_t end = line.find(line[p], p + 1);
      if (end == std::string::npos) continue;
      const std::string value = line.substr(p + 1, end - p - 1);
      std::string lower = value;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (std::find(kRoutings.begin(), kRoutings.end(), lower) == kRoutings.end()) {
        throw std::runtime_error(fmt::format(
            "{}:{}: unknown routing '{}' (SimGrid knows Full, Floyd, Dijkstra, DijkstraCache, "
            "None, Vivaldi, Wifi, Cluster, ClusterTorus, ClusterFatTree, ClusterDragonfly)",
            xml, number, value));
      }
    }
  }
}

}  // namespace

Platform load_platform_file(sg4::Engine& engine, const std::string& xml,
                            const std::vector<std::string>& node_names, int n_clients,
                            TopologyGraph* out) {
  check_engine_ready(engine);
  if (!std::ifstream(xml).good()) {
    throw std::runtime_error(fmt::format("{}: cannot read the platform file", xml));
  }
  check_routing_names(xml);
  // SimGrid ends the process on some mistakes in the file (xbt_die, xbt_assert): the last-resort
  // message then names the platform file rather than the scenario.
  const std::string scenario_file = current_input();
  set_current_input(xml);
  try {
    engine.load_platform(xml);
  } catch (const std::exception& e) {
    set_current_input(scenario_file);
    throw std::runtime_error(fmt::format("{}: SimGrid could not load it: {}", xml, e.what()));
  }
  set_current_input(scenario_file);

  Platform platform;
  for (const auto& name : node_names) {
    sg4::Host* host = engine.host_by_name_or_null(name);
    if (host == nullptr) {
      std::set<std::string> present;  // sorted, so the message is the same on every run
      for (const auto* h : engine.get_all_hosts()) present.insert(h->get_name());
      std::string listed;
      for (const auto& p : present) listed += (listed.empty() ? "" : ", ") + p;
      throw std::runtime_error(fmt::format(
          "{}: no host named '{}' (every node needs a host of its name; the file has: {})", xml,
          name, listed));
    }
    platform.node_hosts.push_back(host);
  }

  // The loaded zones may use any routing; adding hosts to them could break it, so missing client
  // hosts go to a zone of their own (no routing: nothing routes to them).
  sg4::NetZone* client_zone = nullptr;
  for (int k = 0; k < n_clients; ++k) {
    const std::string name = client_host_name(k);
    sg4::Host* host = engine.host_by_name_or_null(name);
    if (host == nullptr) {
      if (client_zone == nullptr) {
        client_zone = sg4::create_empty_zone("synod_clients");
        client_zone->set_parent(engine.get_netzone_root());
      }
      host = client_zone->create_host(name, PlatformOptions{}.host_speed)->seal();
    }
    platform.client_hosts.push_back(host);
  }
  if (client_zone != nullptr) client_zone->seal();
  // Zones loaded from XML stay unsealed until Engine::run(), and Floyd or Dijkstra zones compute
  // their routes only when sealed: before this, route_to() finds no route in them.
  engine.seal_platform();

  const int n = static_cast<int>(node_names.size());
  std::vector<Nanos> matrix(static_cast<size_t>(n) * static_cast<size_t>(n), 0);
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (a == b) continue;
      size_t n_links = 0;
      Nanos latency = 0;
      try {
        latency = route_latency(platform.node_hosts[static_cast<size_t>(a)],
                                platform.node_hosts[static_cast<size_t>(b)], &n_links);
      } catch (const std::invalid_argument&) {
        n_links = 0;  // SimGrid's message says the same with less context
      }
      if (n_links == 0) {
        throw std::runtime_error(fmt::format("{}: no route from host '{}' to host '{}'", xml,
                                             node_names[static_cast<size_t>(a)],
                                             node_names[static_cast<size_t>(b)]));
      }
      matrix[static_cast<size_t>(a) * static_cast<size_t>(n) + static_cast<size_t>(b)] = latency;
    }
  }

  if (out != nullptr) {
    *out = TopologyGraph{};
    out->n_nodes = n;
    out->names = node_names;
    for (const auto& name : node_names) boost::add_vertex(TopoVertexProps{name}, out->graph);
    out->latency = std::move(matrix);
  }
  return platform;
}

Nanos route_latency_ns(const sg4::Host* a, const sg4::Host* b) {
  if (a == b) return 0;
  size_t n_links = 0;
  return route_latency(a, b, &n_links);
}

}  // namespace synod::sim
