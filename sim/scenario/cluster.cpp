// The cluster section: nodes, topology, link latencies, network-wide faults (jitter, loss,
// duplication) and the client link. Keys in docs/scenarios.md, "cluster".
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "sim/scenario/sections.hpp"

namespace synod::sim {

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kClusterKeys = {
    "nodes",          "topology", "latency",     "jitter", "loss",    "duplicate",
    "client_latency", "regions",  "wan_latency", "edges",  "platform", "hosts", "members"};
const std::vector<std::string> kHostKeys = {"nodes", "speed", "cores"};
constexpr int kMaxCores = 1024;
const std::vector<std::string> kLatencyKeys = {"dist", "value", "min", "max"};
const std::vector<std::string> kRegionKeys = {"name", "nodes", "latency"};

// `nodes: 5` names them n1..n5; a list gives the names.
std::vector<std::string> node_names(const Reader& rd, const Item& item) {
  std::vector<std::string> names;
  if (item.node.IsScalar()) {
    const int n = rd.count(item, kMaxNodes);
    for (int i = 1; i <= n; ++i) names.push_back(fmt::format("n{}", i));
    return names;
  }
  if (!item.node.IsSequence()) {
    rd.fail(item, "expected a node count like 5 or a list of names like [a, b, c], got " +
                   describe(item.node));
  }
  for (const Item& i : rd.list_items(item, "nodes")) {
    const std::string s = rd.text(i, "a node name like n1");
    if (!is_valid_name(s)) {
      rd.fail(i,
           fmt::format("a node name may hold only letters, digits, '_', '.' and '-', got '{}'", s));
    }
    // Fault targets mix node names with these words; a node called "leader" would be ambiguous.
    if (contains(kTargetWords, s) || contains(kRestartWords, s)) {
      rd.fail(i, fmt::format("'{}' cannot name a node: it is a fault target word", s));
    }
    if (contains(names, s)) rd.fail(i, fmt::format("duplicate node name '{}'", s));
    names.push_back(s);
  }
  if (names.empty()) rd.fail(item, "a cluster needs at least one node");
  if (static_cast<int>(names.size()) > kMaxNodes) {
    rd.fail(item, fmt::format("a cluster may have at most {} nodes", kMaxNodes));
  }
  return names;
}

// `2ms`, `{dist: constant, value: 2ms}` or `{dist: uniform, min: 2ms, max: 8ms}`.
LatencyDist latency(const Reader& rd, const Item& item, const std::string& context) {
  LatencyDist d;
  if (item.node.IsScalar()) {
    d.min_ns = d.max_ns = rd.duration(item);
    return d;
  }
  if (!item.node.IsMap()) {
    rd.fail(item, fmt::format("expected a latency like 2ms or {{dist: uniform, min: 2ms, max: 8ms}} "
                           "for {}, got {}",
                           context, describe(item.node)));
  }
  Fields f(rd, item, context, kLatencyKeys);
  const std::string dist =
      rd.word(f.required("dist"), "latency distribution", {"constant", "uniform"});
  if (dist == "constant") {
    f.forbid("min", "does not apply to dist: constant (use value)");
    f.forbid("max", "does not apply to dist: constant (use value)");
    d.min_ns = d.max_ns = rd.duration(f.required("value"));
    return d;
  }
  f.forbid("value", "does not apply to dist: uniform (use min and max)");
  d.kind = LatencyDist::Kind::Uniform;
  d.min_ns = rd.duration(f.required("min"));
  d.max_ns = rd.duration(f.required("max"));
  if (d.min_ns > d.max_ns) {
    rd.fail(f.get("min"), fmt::format("latency min {} is greater than max {}",
                                   format_duration(d.min_ns), format_duration(d.max_ns)));
  }
  return d;
}

// Every node in exactly one region; a region's latency defaults to the cluster's.
std::vector<Region> regions(const Reader& rd, const Item& item, const ClusterSpec& c) {
  std::vector<Region> out;
  std::vector<int> owner(rd.node_names().size(), -1);
  for (const Item& ri : rd.list_items(item, "regions")) {
    Fields f(rd, ri, "region", kRegionKeys);
    Region r;
    r.name = rd.text(f.required("name"), "a region name like eu");
    if (!is_valid_name(r.name)) {
      rd.fail(f.get("name"), fmt::format("a region name may hold only letters, digits, '_', '.' and "
                                      "'-', got '{}'",
                                      r.name));
    }
    for (const Region& other : out) {
      if (other.name == r.name) rd.fail(f.get("name"), fmt::format("duplicate region '{}'", r.name));
    }
    const Item nodes = f.required("nodes");
    for (const Item& ni : rd.list_items(nodes, "the region's nodes")) {
      const int idx = rd.node_index(ni);
      if (owner[idx] == static_cast<int>(out.size())) {
        rd.fail(ni, fmt::format("node '{}' is listed twice in region '{}'", rd.node_names()[idx],
                                r.name));
      }
      if (owner[idx] >= 0) {
        rd.fail(ni, fmt::format("node '{}' is in two regions ('{}' and '{}')", rd.node_names()[idx],
                             out[owner[idx]].name, r.name));
      }
      owner[idx] = static_cast<int>(out.size());
      r.nodes.push_back(idx);
    }
    if (r.nodes.empty()) rd.fail(nodes, fmt::format("region '{}' has no nodes", r.name));
    r.latency = f.has("latency") ? latency(rd, f.get("latency"), "region.latency") : c.latency;
    out.push_back(std::move(r));
  }
  std::vector<std::string> missing;
  for (size_t i = 0; i < owner.size(); ++i) {
    if (owner[i] < 0) missing.push_back(rd.node_names()[i]);
  }
  if (!missing.empty()) {
    rd.fail(item, fmt::format("no region holds {} (every node must be in exactly one region)",
                           join(missing)));
  }
  return out;
}

// Links [a, b, latency]; together they must connect every node.
std::vector<EdgeSpec> edges(const Reader& rd, const Item& item) {
  const int n = static_cast<int>(rd.node_names().size());
  std::vector<int> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto root = [&parent](int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::vector<EdgeSpec> out;
  std::vector<int> lines;  // of each edge, for "duplicate edge" messages
  for (const Item& ei : rd.list_items(item, "edges")) {
    if (!ei.node.IsSequence() || ei.node.size() != 3) {
      rd.fail(ei, "expected an edge like [n1, n2, 5ms], got " + describe(ei.node) +
                   (ei.node.IsSequence() ? fmt::format(" of {} items", ei.node.size()) : ""));
    }
    EdgeSpec e;
    e.a = rd.node_index(item_of(ei.node[0]));
    e.b = rd.node_index(item_of(ei.node[1]));
    if (e.a == e.b)
      rd.fail(ei, fmt::format("an edge needs two different nodes, got {} twice", rd.node_names()[e.a]));
    e.latency_ns = rd.duration(item_of(ei.node[2]));
    for (size_t k = 0; k < out.size(); ++k) {
      if ((out[k].a == e.a && out[k].b == e.b) || (out[k].a == e.b && out[k].b == e.a)) {
        rd.fail(ei, fmt::format("duplicate edge {}-{} (first at line {})", rd.node_names()[e.a],
                             rd.node_names()[e.b], lines[k]));
      }
    }
    parent[root(e.a)] = root(e.b);
    out.push_back(e);
    lines.push_back(ei.mark.line + 1);
  }
  std::vector<std::string> cut_off;
  for (int i = 0; i < n; ++i) {
    if (root(i) != root(0)) cut_off.push_back(rd.node_names()[i]);
  }
  if (!cut_off.empty()) {
    rd.fail(item, fmt::format("the edges do not connect all nodes: {} cannot reach {}", join(cut_off),
                           rd.node_names()[0]));
  }
  return out;
}

std::string platform(const Reader& rd, const Item& item) {
  const std::string s = rd.text(item, "a platform file name like cluster.xml");
  if (s.empty()) rd.fail(item, "expected a platform file name like cluster.xml, got ''");
  fs::path p(s);
  if (p.is_relative()) p = fs::path(rd.file()).parent_path() / p;
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) {
    rd.fail(item, fmt::format("platform file '{}' not found (looked for {})", s, p.string()));
  }
  return p.lexically_normal().string();
}

// A CPU speed as SimGrid writes it: a number and f, kf, Mf, Gf, Tf or Pf (flops per second).
double speed(const Reader& rd, const Item& item) {
  const std::string t = rd.text(item, "a CPU speed like 1Gf");
  const std::pair<const char*, double> units[] = {{"kf", 1e3}, {"Mf", 1e6}, {"Gf", 1e9},
                                                  {"Tf", 1e12}, {"Pf", 1e15}, {"f", 1}};
  for (const auto& [suffix, scale] : units) {
    const std::string sx = suffix;
    if (t.size() <= sx.size() || t.compare(t.size() - sx.size(), sx.size(), sx) != 0) continue;
    double v = 0;
    if (parse_number(t.substr(0, t.size() - sx.size()), &v) && v > 0) return v * scale;
    break;
  }
  rd.fail(item, fmt::format("expected a CPU speed > 0 like 1Gf or 500Mf (flops per second), got '{}'",
                            t));
}

// [{nodes: [n2, n3], speed: 2Gf, cores: 4}, ...]: nodes not listed keep 1Gf and 1 core.
std::vector<HostSpec> hosts(const Reader& rd, const Item& item) {
  std::vector<HostSpec> out(rd.node_names().size());
  std::vector<int> line_of(out.size(), 0);
  for (const Item& hi : rd.list_items(item, "hosts")) {
    Fields f(rd, hi, "a hosts entry", kHostKeys);
    HostSpec h;
    if (f.has("speed")) h.speed_flops = speed(rd, f.get("speed"));
    if (f.has("cores")) h.cores = rd.count(f.get("cores"), kMaxCores);
    for (int idx : rd.node_set(f.required("nodes"), "hosts.nodes")) {
      if (line_of[idx] > 0) {
        rd.fail(f.get("nodes"), fmt::format("node '{}' is already given a CPU at line {}",
                                            rd.node_names()[idx], line_of[idx]));
      }
      line_of[idx] = hi.mark.line + 1;
      out[idx] = h;
    }
  }
  return out;
}

}  // namespace

ClusterSpec read_cluster(Reader& rd, const Item& item) {
  Fields f(rd, item, "cluster", kClusterKeys);
  ClusterSpec c;
  c.node_names = node_names(rd, f.required("nodes"));
  rd.set_node_names(c.node_names);
  if (f.has("topology")) {
    const std::string t = rd.word(f.get("topology"), "topology",
                               {"full", "star", "ring", "regions", "edges", "platform"});
    for (Topology k : {Topology::Full, Topology::Star, Topology::Ring, Topology::Regions,
                       Topology::Edges, Topology::Platform}) {
      if (t == topology_name(k)) c.topology = k;
    }
  }
  const std::string topo = fmt::format("(topology here is {})", topology_name(c.topology));
  if (c.topology != Topology::Regions) {
    f.forbid("regions", "applies only to topology: regions " + topo);
    f.forbid("wan_latency", "applies only to topology: regions " + topo);
  }
  if (c.topology != Topology::Edges) f.forbid("edges", "applies only to topology: edges " + topo);
  if (c.topology != Topology::Platform) {
    f.forbid("platform", "applies only to topology: platform " + topo);
  }
  if (c.topology == Topology::Edges) {
    f.forbid("latency", "does not apply to topology: edges (each edge carries its own latency)");
  }
  if (c.topology == Topology::Platform) {
    f.forbid("latency", "does not apply to topology: platform (the platform file sets latencies)");
    f.forbid("hosts", "does not apply to topology: platform (the platform file sets host speeds "
                      "and cores)");
  }
  c.hosts = f.has("hosts") ? hosts(rd, f.get("hosts")) : std::vector<HostSpec>(c.node_names.size());
  if (f.has("latency")) c.latency = latency(rd, f.get("latency"), "cluster.latency");
  if (f.has("members")) {
    c.members = rd.node_set(f.get("members"), "members");
    std::sort(c.members.begin(), c.members.end());
  }
  if (f.has("jitter")) {
    const Item j = f.get("jitter");
    if (j.node.IsMap()) {
      // {dist: exponential, mean: 5ms}: each message's extra delay drawn exponential.
      Fields jf(rd, j, "cluster.jitter", {"dist", "mean"});
      rd.word(jf.required("dist"), "jitter.dist", {"exponential"});
      c.jitter_ns = rd.positive_duration(jf.required("mean"));
      c.jitter_exponential = true;
    } else {
      c.jitter_ns = rd.duration(j);
    }
  }
  if (f.has("loss")) c.loss = rd.probability(f.get("loss"));
  if (f.has("duplicate")) c.duplicate = rd.probability(f.get("duplicate"));
  if (f.has("client_latency")) c.client_latency_ns = rd.duration(f.get("client_latency"));
  switch (c.topology) {
    case Topology::Regions:
      c.regions = regions(rd, f.required("regions"), c);
      c.wan_latency = latency(rd, f.required("wan_latency"), "cluster.wan_latency");
      break;
    case Topology::Edges:
      c.edges = edges(rd, f.required("edges"));
      break;
    case Topology::Platform:
      c.platform_file = platform(rd, f.required("platform"));
      break;
    default:
      break;
  }
  return c;
}

}  // namespace synod::sim
