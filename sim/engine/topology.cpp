// Builds the topology graph of each kind and its all-pairs latency matrix (see topology.hpp).
#include "sim/engine/topology.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <set>
#include <stdexcept>
#include <utility>

#include <boost/graph/connected_components.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <fmt/format.h>

namespace synod::sim {
namespace {

void check_dist(const LatencyDist& dist, const std::string& what) {
  if (dist.min_ns < 0 || dist.max_ns < dist.min_ns) {
    throw std::invalid_argument(fmt::format("{}: latency range [{}, {}] ns is not 0 <= min <= max",
                                            what, dist.min_ns, dist.max_ns));
  }
}

// Adds vertices and links while keeping graph edges and TopologyGraph::links in step.
class Builder {
 public:
  explicit Builder(TopologyGraph* topo) : topo_(topo) {}

  int add_vertex(const std::string& name) {
    return static_cast<int>(boost::add_vertex(TopoVertexProps{name}, topo_->graph));
  }

  void add_link(int u, int v, Nanos latency_ns) {
    assert(latency_ns >= 0);
    const std::string base =
        fmt::format("{}-{}", topo_->graph[static_cast<size_t>(u)].name,
                    topo_->graph[static_cast<size_t>(v)].name);
    // Parallel links (Edges may list a pair twice) and a node named like a switch would collide;
    // SimGrid link names must be unique.
    std::string name = base;
    for (int k = 2; used_names_.count(name) > 0; ++k) name = fmt::format("{}#{}", base, k);
    used_names_.insert(name);
    const int index = static_cast<int>(topo_->links.size());
    topo_->links.push_back(TopoLink{u, v, latency_ns, name});
    boost::add_edge(static_cast<size_t>(u), static_cast<size_t>(v), TopoEdgeProps{latency_ns, index},
                    topo_->graph);
  }

 private:
  TopologyGraph* topo_;
  std::set<std::string> used_names_;
};

void build_full(const ClusterSpec& spec, Rng& rng, Builder& b, int n) {
  check_dist(spec.latency, "full topology");
  for (int a = 0; a < n; ++a) {
    for (int c = a + 1; c < n; ++c) b.add_link(a, c, sample_latency(spec.latency, rng));
  }
}

void build_star(const ClusterSpec& spec, Rng& rng, Builder& b, int n) {
  check_dist(spec.latency, "star topology");
  const int hub = b.add_vertex("hub");
  for (int a = 0; a < n; ++a) b.add_link(a, hub, sample_latency(spec.latency, rng));
}

void build_ring(const ClusterSpec& spec, Rng& rng, Builder& b, int n) {
  check_dist(spec.latency, "ring topology");
  if (n == 2) {
    // n1-n2-n1 would be two parallel links; one is the same ring.
    b.add_link(0, 1, sample_latency(spec.latency, rng));
    return;
  }
  if (n < 3) return;
  for (int a = 0; a < n; ++a) b.add_link(a, (a + 1) % n, sample_latency(spec.latency, rng));
}

void build_regions(const ClusterSpec& spec, Rng& rng, Builder& b, int n) {
  check_dist(spec.wan_latency, "regions topology: wan_latency");
  std::vector<int> region_of(static_cast<size_t>(n), -1);
  for (size_t r = 0; r < spec.regions.size(); ++r) {
    const Region& region = spec.regions[r];
    check_dist(region.latency, fmt::format("region '{}'", region.name));
    for (int node : region.nodes) {
      if (node < 0 || node >= n) {
        throw std::invalid_argument(
            fmt::format("region '{}': node index {} out of range [0, {})", region.name, node, n));
      }
      const int prev = region_of[static_cast<size_t>(node)];
      if (prev >= 0) {
        throw std::invalid_argument(fmt::format(
            "node {} is in two regions: '{}' and '{}'", spec.node_names[static_cast<size_t>(node)],
            spec.regions[static_cast<size_t>(prev)].name, region.name));
      }
      region_of[static_cast<size_t>(node)] = static_cast<int>(r);
    }
  }
  for (int a = 0; a < n; ++a) {
    if (region_of[static_cast<size_t>(a)] < 0) {
      throw std::invalid_argument(
          fmt::format("node {} is in no region", spec.node_names[static_cast<size_t>(a)]));
    }
  }
  for (int a = 0; a < n; ++a) {
    for (int c = a + 1; c < n; ++c) {
      const int ra = region_of[static_cast<size_t>(a)];
      const int rc = region_of[static_cast<size_t>(c)];
      const LatencyDist& dist =
          ra == rc ? spec.regions[static_cast<size_t>(ra)].latency : spec.wan_latency;
      b.add_link(a, c, sample_latency(dist, rng));
    }
  }
}

void build_edges(const ClusterSpec& spec, Builder& b, int n) {
  for (size_t i = 0; i < spec.edges.size(); ++i) {
    const EdgeSpec& e = spec.edges[i];
    if (e.a < 0 || e.a >= n || e.b < 0 || e.b >= n) {
      throw std::invalid_argument(fmt::format("edge #{}: node index out of range [0, {}): {} - {}",
                                              i + 1, n, e.a, e.b));
    }
    if (e.a == e.b) {
      throw std::invalid_argument(fmt::format("edge #{}: links {} to itself", i + 1,
                                              spec.node_names[static_cast<size_t>(e.a)]));
    }
    if (e.latency_ns < 0) {
      throw std::invalid_argument(fmt::format("edge #{}: negative latency {} ns", i + 1, e.latency_ns));
    }
    b.add_link(e.a, e.b, e.latency_ns);
  }
}

constexpr Nanos kUnreached = std::numeric_limits<Nanos>::max();

// Meshes (full, regions): every pair has exactly one link of its own, and takes it.
void use_direct_links(TopologyGraph* topo) {
  const size_t n = static_cast<size_t>(topo->n_nodes);
  const size_t nv = static_cast<size_t>(topo->n_vertices());
  assert(nv == n);
  topo->latency.assign(n * n, 0);
  topo->pred.assign(n * nv, -1);
  for (const TopoLink& link : topo->links) {
    const auto u = static_cast<size_t>(link.u);
    const auto v = static_cast<size_t>(link.v);
    topo->latency[u * n + v] = link.latency_ns;
    topo->latency[v * n + u] = link.latency_ns;
    topo->pred[u * nv + v] = link.u;
    topo->pred[v * nv + u] = link.v;
  }
}

// Forwarding topologies (star, ring, edges): one Dijkstra per node fills the matrix and the
// predecessor table.
void use_shortest_paths(TopologyGraph* topo) {
  const int n = topo->n_nodes;
  const size_t nv = static_cast<size_t>(topo->n_vertices());
  topo->latency.assign(static_cast<size_t>(n) * static_cast<size_t>(n), 0);
  topo->pred.assign(static_cast<size_t>(n) * nv, -1);
  std::vector<Nanos> dist(nv);
  std::vector<size_t> parent(nv);
  const auto index = boost::get(boost::vertex_index, topo->graph);
  for (int s = 0; s < n; ++s) {
    boost::dijkstra_shortest_paths(
        topo->graph, static_cast<size_t>(s),
        boost::weight_map(boost::get(&TopoEdgeProps::latency_ns, topo->graph))
            .distance_map(boost::make_iterator_property_map(dist.begin(), index))
            .predecessor_map(boost::make_iterator_property_map(parent.begin(), index)));
    for (int t = 0; t < n; ++t) {
      if (dist[static_cast<size_t>(t)] == kUnreached) {
        throw std::invalid_argument(fmt::format("the topology does not connect {} and {}",
                                                topo->names[static_cast<size_t>(s)],
                                                topo->names[static_cast<size_t>(t)]));
      }
      topo->latency[static_cast<size_t>(s) * static_cast<size_t>(n) + static_cast<size_t>(t)] =
          dist[static_cast<size_t>(t)];
    }
    for (size_t v = 0; v < nv; ++v) {
      // Boost marks the source and unreached vertices as their own parent.
      if (parent[v] != v) topo->pred[static_cast<size_t>(s) * nv + v] = static_cast<int>(parent[v]);
    }
  }
}

}  // namespace

Nanos sample_latency(const LatencyDist& dist, Rng& rng) {
  assert(dist.min_ns >= 0);
  assert(dist.min_ns <= dist.max_ns);
  if (dist.kind == LatencyDist::Kind::Constant) return dist.min_ns;
  return rng.between(dist.min_ns, dist.max_ns);
}

TopologyGraph build_topology(const ClusterSpec& spec, uint64_t seed) {
  const int n = static_cast<int>(spec.node_names.size());
  if (n < 1) throw std::invalid_argument("a topology needs at least one node");
  if (spec.topology == Topology::Platform) {
    throw std::invalid_argument(
        "a platform topology is read from its XML file by load_platform_file(), not built");
  }
  TopologyGraph topo;
  topo.n_nodes = n;
  topo.names = spec.node_names;
  Builder b(&topo);
  for (int a = 0; a < n; ++a) b.add_vertex(spec.node_names[static_cast<size_t>(a)]);

  Rng rng = Rng::stream(seed, "topology");
  switch (spec.topology) {
    case Topology::Full: build_full(spec, rng, b, n); break;
    case Topology::Star: build_star(spec, rng, b, n); break;
    case Topology::Ring: build_ring(spec, rng, b, n); break;
    case Topology::Regions: build_regions(spec, rng, b, n); break;
    case Topology::Edges: build_edges(spec, b, n); break;
    case Topology::Platform: break;  // rejected above
  }
  if (spec.topology == Topology::Full || spec.topology == Topology::Regions) {
    use_direct_links(&topo);
  } else {
    use_shortest_paths(&topo);
  }
  return topo;
}

std::vector<int> TopologyGraph::path_vertices(int a, int b) const {
  assert(has_paths());
  assert(a >= 0 && a < n_nodes);
  assert(b >= 0 && b < n_nodes);
  const size_t row = static_cast<size_t>(a) * static_cast<size_t>(n_vertices());
  std::vector<int> path{b};
  for (int v = b; v != a;) {
    v = pred[row + static_cast<size_t>(v)];
    assert(v >= 0);  // build_topology() rejected disconnected graphs
    path.push_back(v);
  }
  return {path.rbegin(), path.rend()};
}

std::vector<int> TopologyGraph::path_links(int a, int b) const {
  const std::vector<int> vertices = path_vertices(a, b);
  std::vector<int> result;
  for (size_t i = 0; i + 1 < vertices.size(); ++i) {
    const auto u = static_cast<size_t>(vertices[i]);
    const auto v = static_cast<size_t>(vertices[i + 1]);
    int best = -1;
    for (auto [it, end] = boost::out_edges(u, graph); it != end; ++it) {
      if (boost::target(*it, graph) != v) continue;
      const int link = graph[*it].link;
      const auto& cand = links[static_cast<size_t>(link)];
      if (best < 0 || cand.latency_ns < links[static_cast<size_t>(best)].latency_ns ||
          (cand.latency_ns == links[static_cast<size_t>(best)].latency_ns && link < best)) {
        best = link;
      }
    }
    assert(best >= 0);
    result.push_back(best);
  }
  return result;
}

std::vector<std::vector<int>> components(int n_nodes, const CanTalk& can_talk) {
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  Graph g(static_cast<size_t>(n_nodes));
  for (int a = 0; a < n_nodes; ++a) {
    for (int b = a + 1; b < n_nodes; ++b) {
      if (can_talk(a, b) && can_talk(b, a)) {
        boost::add_edge(static_cast<size_t>(a), static_cast<size_t>(b), g);
      }
    }
  }
  std::vector<int> comp(static_cast<size_t>(n_nodes));
  const int count = n_nodes == 0 ? 0 : boost::connected_components(g, comp.data());
  // Renumber by first appearance so the order is "by smallest node" whatever Boost's numbering.
  std::vector<int> order(static_cast<size_t>(count), -1);
  std::vector<std::vector<int>> result;
  for (int a = 0; a < n_nodes; ++a) {
    int& slot = order[static_cast<size_t>(comp[static_cast<size_t>(a)])];
    if (slot < 0) {
      slot = static_cast<int>(result.size());
      result.emplace_back();
    }
    result[static_cast<size_t>(slot)].push_back(a);
  }
  return result;
}

bool connected_under(int n_nodes, const CanTalk& can_talk, int a, int b) {
  assert(a >= 0 && a < n_nodes);
  assert(b >= 0 && b < n_nodes);
  for (const auto& component : components(n_nodes, can_talk)) {
    bool has_a = false;
    bool has_b = false;
    for (int v : component) {
      has_a = has_a || v == a;
      has_b = has_b || v == b;
    }
    if (has_a || has_b) return has_a && has_b;
  }
  return false;
}

std::vector<int> majority_component(int n_nodes, const CanTalk& can_talk) {
  for (auto& component : components(n_nodes, can_talk)) {
    if (2 * static_cast<int>(component.size()) > n_nodes) return component;
  }
  return {};
}

}  // namespace synod::sim
