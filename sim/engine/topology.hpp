// The cluster's network as a graph, and the one-way latency between every pair of nodes.
//
// build_topology() turns a scenario's ClusterSpec into a TopologyGraph: one vertex per node
// (vertex i is node i), extra vertices for switches (the star's hub), and one undirected edge per
// physical link, weighted by its latency. The SimGrid platform built from the graph (platform.hpp)
// routes every pair along the path chosen here, so SimGrid and the matrix agree.
//
// Which path a pair takes:
//   Meshes (full, regions) give every pair a link of its own, and the pair uses it: its latency is
//   that link's, as drawn, even where a detour through other nodes would be faster. Nodes of a mesh
//   do not forward; otherwise `{dist: uniform, min: 1ms, max: 20ms}` would yield pair latencies
//   bunched near the minimum, and every cross-region pair would ride the luckiest WAN draw.
//   Star, ring and edges forward: a pair takes the latency-shortest path (Dijkstra), through the
//   hub, the shorter way round, or through intermediate nodes (also when that beats a direct edge).
//
// Per topology (see docs/scenarios.md for the keys):
//   Full     a link per pair, each latency drawn from `latency`.
//   Star     one hub vertex; a link node↔hub per node, latency drawn per link. Pair = sum of two links.
//   Ring     links n1-n2, ..., nN-n1, latency drawn per link; a pair takes the shorter way round.
//   Regions  a full mesh inside each region (drawn from the region's `latency`) and a WAN link
//            between every cross-region pair (drawn from `wan_latency`). There is no gateway vertex:
//            its access links would add to every cross-region pair, which would then no longer see
//            `wan_latency`; and with a WAN link per pair each pair draws its own WAN latency.
//   Edges    the listed links, latency-shortest paths.
//   Platform not built here: load_platform_file() (platform.hpp) reads the matrix off SimGrid.
//
// Link latencies are drawn in a fixed order (pairs (a, b) with a < b in lexicographic order; ring
// and star links by node index) from Rng::stream(seed, "topology"), so a seed gives one topology.
//
// The partition helpers (components, connected_under, majority_component) work on nodes only: our
// transport delivers node to node with the matrix's latency, so a partition is just the relation
// "these two nodes can talk".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "protocols/common/rng.hpp"
#include "protocols/common/types.hpp"
#include "sim/scenario/scenario.hpp"

namespace synod::sim {

// One physical link: an undirected cable between two graph vertices.
struct TopoLink {
  int u = 0;
  int v = 0;
  Nanos latency_ns = 0;
  std::string name;  // "n1-n2", "n3-hub"; unique within a topology (a "#k" suffix if needed)
};

struct TopoVertexProps {
  std::string name;  // the node's name, or the switch's ("hub")
};
struct TopoEdgeProps {
  Nanos latency_ns = 0;
  int link = -1;  // index into TopologyGraph::links
};
using TopoGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS,
                                        TopoVertexProps, TopoEdgeProps>;

// Named TopologyGraph, not Topology: scenario.hpp's enum Topology (the kind) lives in this namespace.
struct TopologyGraph {
  int n_nodes = 0;
  std::vector<std::string> names;  // node names, size n_nodes
  // Vertices 0..n_nodes-1 are the nodes, the rest switches. graph's edges mirror `links`, in order.
  TopoGraph graph;
  std::vector<TopoLink> links;
  // One-way latency a→b at [a * n_nodes + b]; diagonal 0. Symmetric for built topologies; a loaded
  // XML platform may have asymmetric routes.
  std::vector<Nanos> latency;
  // pred[s * n_vertices() + v]: the vertex before v on the chosen path from node s (-1 for s
  // itself). Empty for a topology read from an XML platform (no graph to walk).
  std::vector<int> pred;

  int n_vertices() const { return static_cast<int>(boost::num_vertices(graph)); }
  Nanos latency_ns(int a, int b) const {
    return latency[static_cast<size_t>(a) * static_cast<size_t>(n_nodes) + static_cast<size_t>(b)];
  }
  bool has_paths() const { return !pred.empty(); }
  // Vertices from a to b inclusive, along the chosen path ({a} when a == b).
  // Requires has_paths().
  std::vector<int> path_vertices(int a, int b) const;
  // Indexes into `links`, in travel order from a to b (empty when a == b). Between two vertices
  // joined by parallel links, the fastest (then the lowest index) is taken. Requires has_paths().
  std::vector<int> path_links(int a, int b) const;
};

// Builds the graph and its latency matrix. Throws std::invalid_argument if the spec cannot be
// built (no nodes, a bad latency range, regions that do not cover every node exactly once, an edge
// naming an unknown node or a node twice, a graph that does not connect every pair, or
// Topology::Platform, which load_platform_file() handles). The scenario loader should have caught
// these already; this is the backstop, and the message names the nodes involved.
TopologyGraph build_topology(const ClusterSpec& spec, uint64_t seed);

// Samples one link latency: Constant → min_ns (no draw); Uniform → uniform integer in [min, max].
Nanos sample_latency(const LatencyDist& dist, Rng& rng);

// can_talk(from, to): whether a message from `from` to `to` gets through.
using CanTalk = std::function<bool(int from, int to)>;

// Connected components of the nodes 0..n_nodes-1, where a and b are joined when they can talk both
// ways (every protocol exchange is a request and a reply, so a one-way cut separates them).
// Each component's nodes ascend; components are ordered by their smallest node.
std::vector<std::vector<int>> components(int n_nodes, const CanTalk& can_talk);

// Whether a and b are in the same component (some chain of nodes could relay between them).
bool connected_under(int n_nodes, const CanTalk& can_talk, int a, int b);

// The component holding a strict majority of the n_nodes nodes, or empty if there is none.
std::vector<int> majority_component(int n_nodes, const CanTalk& can_talk);

}  // namespace synod::sim
