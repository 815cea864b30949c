// The scenario loader: YAML text in, a validated Scenario out, or a ScenarioError that names the
// file, the line and column of the offending value, and what was expected there.
//
// How it works: yaml-cpp builds a node tree that keeps each node's position (Mark). The loader
// walks that tree section by section in a fixed order (the cluster before anything that names
// nodes, the duration before anything that must fall inside it) and checks every key against the
// keys allowed at that place, so a typo is an error rather than a silently ignored setting. Values
// are read from the scalar text itself, not through yaml-cpp's conversions, so that "1.5" is never
// taken for a count and a bare "150" is never taken for a duration.
//
// The schema is documented key by key in docs/scenarios.md; keep the two in step.
#include "sim/scenario.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>
#include <utility>

namespace synod::sim {

namespace {

namespace fs = std::filesystem;

// Upper bounds that keep a typo ("nodes: 50000") from turning into an hour of allocation.
constexpr int kMaxNodes = 1000;
constexpr int kMaxClients = 100'000;
constexpr int kMaxKeys = 1'000'000;
constexpr int kMaxEntriesPerAppend = 1'000'000;

const std::vector<std::string> kTopKeys = {"name",     "description", "seed",
                                           "duration", "cluster",     "protocol",
                                           "workload", "faults",      "report",
                                           "trace"};
const std::vector<std::string> kClusterKeys = {
    "nodes",          "topology", "latency",     "jitter", "loss",    "duplicate",
    "client_latency", "regions",  "wan_latency", "edges",  "platform"};
const std::vector<std::string> kLatencyKeys = {"dist", "value", "min", "max"};
const std::vector<std::string> kRegionKeys = {"name", "nodes", "latency"};
const std::vector<std::string> kProtocolKeys = {
    "name",         "election_timeout", "heartbeat", "max_entries_per_append", "pre_vote",
    "check_quorum", "backoff",          "request_rate", "hold", "anti_entropy"};
const std::vector<std::string> kKnownProtocols = {"raft", "paxos", "multipaxos", "lamport-mutex",
                                                  "lamport-lww"};
const std::vector<std::string> kWorkloadKeys = {"clients",         "rate",   "think", "keys",
                                                "distribution",    "zipf_s", "mix",   "timeout",
                                                "attempt_timeout", "start",  "stop"};
const std::vector<std::string> kMixKeys = {"read", "write", "cas"};
const std::vector<std::string> kFaultTimingKeys = {"at", "for", "every", "until"};
const std::vector<std::string> kFaultActions = {"crash", "restart", "partition", "cut",
                                                "heal",  "latency", "loss",      "random"};
const std::vector<std::string> kRandomMenu = {"crash", "partition", "latency", "loss"};
const std::vector<std::string> kTargetWords = {"leader",          "followers", "random",
                                               "random-minority", "majority",  "all"};
const std::vector<std::string> kRestartWords = {"crashed", "all"};
const std::vector<std::string> kPartitionShapes = {"isolate-leader", "majority-minority", "bridge",
                                                   "halves"};
const std::vector<std::string> kReportFormats = {"text", "json", "html"};

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

bool contains(const std::vector<std::string>& items, const std::string& s) {
  return std::find(items.begin(), items.end(), s) != items.end();
}

// Names of scenarios, nodes and regions end up in file names and SimGrid host names.
bool is_valid_name(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

bool parse_uint64(const std::string& s, uint64_t* out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// A plain decimal number ("0.3", "2", "1e-3"); no hex, no "inf", no "nan".
bool parse_number(const std::string& s, double* out) {
  if (s.empty()) return false;
  const char* begin = s.data();
  if (*begin == '+') ++begin;  // from_chars does not take a leading '+'
  if (begin == s.data() + s.size() ||
      !((*begin >= '0' && *begin <= '9') || *begin == '.' || *begin == '-'))
    return false;
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), *out, std::chars_format::general);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(*out);
}

// A value from the file and where to point when it is wrong. yaml-cpp places an empty value
// ("seed:" with nothing after it) at the next token, often on the next line, so an empty value
// points at its key instead.
struct Item {
  YAML::Node node;
  YAML::Mark mark;
};

Item item_of(const YAML::Node& node) { return Item{node, node.Mark()}; }

Item value_item(const YAML::Node& key, const YAML::Node& value) {
  return Item{value, value.IsNull() ? key.Mark() : value.Mark()};
}

// How a value looks, for "expected X, got Y" messages.
std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return "'" + n.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

// Walks one document. Holds what later sections need from earlier ones: the file (for messages
// and relative paths), the duration and the node names.
class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  Scenario scenario(const YAML::Node& root);

 private:
  // The keys of one mapping, checked against the keys allowed at that place.
  class Fields {
   public:
    // `context` names the place in messages ("cluster", "workload.mix").
    Fields(const Loader& l, const Item& map, const std::string& context,
           const std::vector<std::string>& allowed)
        : loader_(l), map_(map), context_(context) {
      l.expect_map(map, context);
      for (auto it = map.node.begin(); it != map.node.end(); ++it) {
        const std::string key = l.key_text(it->first);
        if (!contains(allowed, key)) {
          l.fail(it->first.Mark(), fmt::format("unknown key '{}' in {} (expected one of: {})", key,
                                               context, join(allowed)));
        }
        l.check_duplicate(entries_, key, it->first);
        entries_.push_back({key, {it->first, it->second}});
      }
    }

    bool has(const std::string& key) const { return find(key) != nullptr; }
    Item get(const std::string& key) const {
      const auto* e = find(key);
      return value_item(e->first, e->second);
    }
    YAML::Mark key_mark(const std::string& key) const { return find(key)->first.Mark(); }
    Item required(const std::string& key) const {
      if (!has(key)) {
        loader_.fail(map_.mark, fmt::format("missing required key '{}' in {}", key, context_));
      }
      return get(key);
    }
    // Rejects `key` when it does not apply, with the reason.
    void forbid(const std::string& key, const std::string& why) const {
      if (has(key)) loader_.fail(key_mark(key), fmt::format("'{}' {}", key, why));
    }
    const Item& item() const { return map_; }

   private:
    const std::pair<YAML::Node, YAML::Node>* find(const std::string& key) const {
      for (const auto& e : entries_) {
        if (e.first == key) return &e.second;
      }
      return nullptr;
    }
    const Loader& loader_;
    Item map_;
    std::string context_;
    std::vector<std::pair<std::string, std::pair<YAML::Node, YAML::Node>>> entries_;
  };

  [[noreturn]] void fail(const YAML::Mark& m, const std::string& message) const {
    // Marks are 0-based; an unknown mark is -1, which becomes 0 ("unknown").
    throw ScenarioError(file_, std::max(m.line, -1) + 1, std::max(m.column, -1) + 1, message);
  }
  [[noreturn]] void fail(const Item& item, const std::string& message) const {
    fail(item.mark, message);
  }

  // --- shapes ---
  void expect_map(const Item& item, const std::string& what) const {
    if (!item.node.IsMap()) {
      fail(item, fmt::format("expected a mapping for {}, got {}", what, describe(item.node)));
    }
  }
  void expect_list(const Item& item, const std::string& what) const {
    if (!item.node.IsSequence()) {
      fail(item, fmt::format("expected a list for {}, got {}", what, describe(item.node)));
    }
  }
  std::string key_text(const YAML::Node& key) const {
    if (!key.IsScalar()) fail(key.Mark(), "expected a plain word as a key, got " + describe(key));
    return key.Scalar();
  }
  template <typename Entries>
  void check_duplicate(const Entries& entries, const std::string& key,
                       const YAML::Node& key_node) const {
    for (const auto& e : entries) {
      if (e.first == key) {
        fail(key_node.Mark(), fmt::format("duplicate key '{}' (first at line {})", key,
                                          e.second.first.Mark().line + 1));
      }
    }
  }
  std::vector<Item> list_items(const Item& list, const std::string& what) const {
    expect_list(list, what);
    std::vector<Item> out;
    for (const auto& n : list.node) out.push_back(item_of(n));
    return out;
  }

  // --- scalars ---
  std::string text(const Item& item, const std::string& expected) const {
    if (!item.node.IsScalar()) {
      fail(item, fmt::format("expected {}, got {}", expected, describe(item.node)));
    }
    return item.node.Scalar();
  }
  std::string word(const Item& item, const std::string& what,
                   const std::vector<std::string>& choices) const {
    std::string s = text(item, "one of: " + join(choices));
    if (!contains(choices, s)) {
      fail(item, fmt::format("unknown {} '{}' (expected one of: {})", what, s, join(choices)));
    }
    return s;
  }
  int count(const Item& item, int max) const {
    const std::string s = text(item, "a whole number like 5");
    uint64_t v = 0;
    if (!parse_uint64(s, &v))
      fail(item, fmt::format("expected a whole number like 5, got '{}'", s));
    if (v < 1) fail(item, fmt::format("expected a count >= 1, got '{}'", s));
    if (v > static_cast<uint64_t>(max)) {
      fail(item, fmt::format("expected a count <= {}, got '{}'", max, s));
    }
    return static_cast<int>(v);
  }
  double rate(const Item& item) const {
    std::string s = text(item, "a rate like 5/s");
    if (s.size() > 2 && s.compare(s.size() - 2, 2, "/s") == 0) s.resize(s.size() - 2);
    double v = 0;
    if (!parse_number(s, &v) || v <= 0) {
      fail(item, fmt::format("expected a rate > 0 like 5/s, got '{}'", item.node.Scalar()));
    }
    return v;
  }
  bool boolean(const Item& item) const {
    const std::string s = text(item, "true or false");
    if (s == "true" || s == "on" || s == "yes") return true;
    if (s == "false" || s == "off" || s == "no") return false;
    fail(item, fmt::format("expected true or false, got '{}'", s));
  }
  double number(const Item& item, const std::string& expected) const {
    const std::string s = text(item, expected);
    double v = 0;
    if (!parse_number(s, &v)) fail(item, fmt::format("expected {}, got '{}'", expected, s));
    return v;
  }
  double probability(const Item& item) const {
    const double p = number(item, "a probability like 0.01");
    if (p < 0 || p > 1) {
      fail(item, fmt::format("expected a probability in [0, 1], got '{}'", item.node.Scalar()));
    }
    return p;
  }
  Nanos duration(const Item& item) const {
    const std::string s = text(item, "a duration like 150ms");
    Nanos ns = 0;
    if (parse_duration(s, &ns)) return ns;
    double bare = 0;
    if (parse_number(s, &bare)) {
      fail(item, fmt::format("a bare number is ambiguous as a duration, got '{}' (add a unit: "
                             "ns, us, ms, s or m, as in 150ms)",
                             s));
    }
    if (!s.empty() && s[0] == '-') {
      fail(item, fmt::format("expected a duration >= 0, got '{}'", s));
    }
    fail(item, fmt::format("expected a duration like 150ms, got '{}'", s));
  }
  Nanos positive_duration(const Item& item) const {
    const Nanos ns = duration(item);
    if (ns <= 0) fail(item, fmt::format("expected a duration > 0, got '{}'", item.node.Scalar()));
    return ns;
  }

  // --- nodes ---
  std::string node_list_text() const {
    const int n = static_cast<int>(node_names_.size());
    bool is_default = true;
    for (int i = 0; i < n; ++i)
      is_default = is_default && node_names_[i] == fmt::format("n{}", i + 1);
    if (is_default) return n == 1 ? "n1" : fmt::format("n1..n{}", n);
    if (n <= 8) return join(node_names_);
    return fmt::format("{}, {}, ..., {}", node_names_[0], node_names_[1], node_names_[n - 1]);
  }
  int node_index(const Item& item) const {
    const std::string s = text(item, "a node name like n1");
    auto it = std::find(node_names_.begin(), node_names_.end(), s);
    if (it == node_names_.end()) {
      fail(item, fmt::format("unknown node '{}' (nodes are {})", s, node_list_text()));
    }
    return static_cast<int>(it - node_names_.begin());
  }
  // A list of node names (or one name), each at most once.
  std::vector<int> node_set(const Item& item, const std::string& what) const {
    std::vector<Item> items;
    if (item.node.IsScalar()) {
      items.push_back(item);
    } else {
      items = list_items(item, what);
    }
    if (items.empty()) fail(item, fmt::format("{} names no node", what));
    std::vector<int> out;
    for (const Item& i : items) {
      const int idx = node_index(i);
      if (std::find(out.begin(), out.end(), idx) != out.end()) {
        fail(i, fmt::format("node '{}' is listed twice in {}", node_names_[idx], what));
      }
      out.push_back(idx);
    }
    return out;
  }

  // --- sections ---
  std::string scenario_name(const Item& item) const;
  uint64_t seed(const Item& item) const;
  ClusterSpec cluster(const Item& item);
  std::vector<std::string> node_names(const Item& item) const;
  LatencyDist latency(const Item& item, const std::string& context) const;
  std::vector<Region> regions(const Item& item, const ClusterSpec& c) const;
  std::vector<EdgeSpec> edges(const Item& item) const;
  std::string platform(const Item& item) const;
  ProtocolSpec protocol(const Item& item) const;
  WorkloadSpec workload(const Item* item) const;
  std::vector<FaultSpec> faults(const Item& item) const;
  FaultSpec fault(const Item& item) const;
  void fault_action(const Item& value, FaultSpec* f) const;
  TargetSpec targets(const Item& item, FaultKind kind) const;
  PartitionSpec partition(const Item& item) const;
  ReportSpec report(const Item* item, const std::string& name) const;

  std::string file_;
  Nanos duration_ns_ = 0;
  std::vector<std::string> node_names_;
};

std::string default_name(const std::string& file) {
  std::string stem = fs::path(file).stem().string();
  for (char& c : stem) {
    if (!is_valid_name(std::string(1, c))) c = '_';
  }
  return stem.empty() ? "scenario" : stem;
}

Scenario Loader::scenario(const YAML::Node& root) {
  Fields f(*this, item_of(root), "the scenario", kTopKeys);
  Scenario s;
  s.file = file_;
  s.name = f.has("name") ? scenario_name(f.get("name")) : default_name(file_);
  if (f.has("description")) s.description = text(f.get("description"), "a line of text");
  if (f.has("seed")) s.seed = seed(f.get("seed"));
  s.duration_ns = positive_duration(f.required("duration"));
  duration_ns_ = s.duration_ns;
  s.cluster = cluster(f.required("cluster"));
  if (f.has("protocol")) s.protocol = protocol(f.get("protocol"));
  if (f.has("workload")) {
    const Item w = f.get("workload");
    s.workload = workload(&w);
  } else {
    s.workload = workload(nullptr);
  }
  if (f.has("faults")) s.faults = faults(f.get("faults"));
  if (f.has("report")) {
    const Item r = f.get("report");
    s.report = report(&r, s.name);
  } else {
    s.report = report(nullptr, s.name);
  }
  if (f.has("trace")) {
    const Item ti = f.get("trace");
    Fields t(*this, ti, "trace", {"messages", "vector_clocks"});
    if (t.has("messages")) s.trace.messages = boolean(t.get("messages"));
    if (t.has("vector_clocks")) s.trace.vector_clocks = boolean(t.get("vector_clocks"));
  }
  return s;
}

std::string Loader::scenario_name(const Item& item) const {
  const std::string s = text(item, "a name like raft-leader-crash");
  if (!is_valid_name(s)) {
    fail(item, fmt::format("a name may hold only letters, digits, '_', '.' and '-', got '{}'", s));
  }
  return s;
}

uint64_t Loader::seed(const Item& item) const {
  const std::string s = text(item, "an unsigned integer like 42");
  uint64_t v = 0;
  if (!parse_uint64(s, &v))
    fail(item, fmt::format("expected an unsigned integer like 42, got '{}'", s));
  return v;
}

// ---------------------------------------------------------------- cluster

ClusterSpec Loader::cluster(const Item& item) {
  Fields f(*this, item, "cluster", kClusterKeys);
  ClusterSpec c;
  c.node_names = node_names(f.required("nodes"));
  node_names_ = c.node_names;
  if (f.has("topology")) {
    const std::string t = word(f.get("topology"), "topology",
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
  }
  if (f.has("latency")) c.latency = latency(f.get("latency"), "cluster.latency");
  if (f.has("jitter")) c.jitter_ns = duration(f.get("jitter"));
  if (f.has("loss")) c.loss = probability(f.get("loss"));
  if (f.has("duplicate")) c.duplicate = probability(f.get("duplicate"));
  if (f.has("client_latency")) c.client_latency_ns = duration(f.get("client_latency"));
  switch (c.topology) {
    case Topology::Regions:
      c.regions = regions(f.required("regions"), c);
      c.wan_latency = latency(f.required("wan_latency"), "cluster.wan_latency");
      break;
    case Topology::Edges:
      c.edges = edges(f.required("edges"));
      break;
    case Topology::Platform:
      c.platform_file = platform(f.required("platform"));
      break;
    default:
      break;
  }
  return c;
}

// `nodes: 5` names them n1..n5; a list gives the names.
std::vector<std::string> Loader::node_names(const Item& item) const {
  std::vector<std::string> names;
  if (item.node.IsScalar()) {
    const int n = count(item, kMaxNodes);
    for (int i = 1; i <= n; ++i) names.push_back(fmt::format("n{}", i));
    return names;
  }
  if (!item.node.IsSequence()) {
    fail(item, "expected a node count like 5 or a list of names like [a, b, c], got " +
                   describe(item.node));
  }
  for (const Item& i : list_items(item, "nodes")) {
    const std::string s = text(i, "a node name like n1");
    if (!is_valid_name(s)) {
      fail(i,
           fmt::format("a node name may hold only letters, digits, '_', '.' and '-', got '{}'", s));
    }
    // Fault targets mix node names with these words; a node called "leader" would be ambiguous.
    if (contains(kTargetWords, s) || contains(kRestartWords, s)) {
      fail(i, fmt::format("'{}' cannot name a node: it is a fault target word", s));
    }
    if (contains(names, s)) fail(i, fmt::format("duplicate node name '{}'", s));
    names.push_back(s);
  }
  if (names.empty()) fail(item, "a cluster needs at least one node");
  if (static_cast<int>(names.size()) > kMaxNodes) {
    fail(item, fmt::format("a cluster may have at most {} nodes", kMaxNodes));
  }
  return names;
}

// `2ms`, `{dist: constant, value: 2ms}` or `{dist: uniform, min: 2ms, max: 8ms}`.
LatencyDist Loader::latency(const Item& item, const std::string& context) const {
  LatencyDist d;
  if (item.node.IsScalar()) {
    d.min_ns = d.max_ns = duration(item);
    return d;
  }
  if (!item.node.IsMap()) {
    fail(item, fmt::format("expected a latency like 2ms or {{dist: uniform, min: 2ms, max: 8ms}} "
                           "for {}, got {}",
                           context, describe(item.node)));
  }
  Fields f(*this, item, context, kLatencyKeys);
  const std::string dist =
      word(f.required("dist"), "latency distribution", {"constant", "uniform"});
  if (dist == "constant") {
    f.forbid("min", "does not apply to dist: constant (use value)");
    f.forbid("max", "does not apply to dist: constant (use value)");
    d.min_ns = d.max_ns = duration(f.required("value"));
    return d;
  }
  f.forbid("value", "does not apply to dist: uniform (use min and max)");
  d.kind = LatencyDist::Kind::Uniform;
  d.min_ns = duration(f.required("min"));
  d.max_ns = duration(f.required("max"));
  if (d.min_ns > d.max_ns) {
    fail(f.get("min"), fmt::format("latency min {} is greater than max {}",
                                   format_duration(d.min_ns), format_duration(d.max_ns)));
  }
  return d;
}

// Every node in exactly one region; a region's latency defaults to the cluster's.
std::vector<Region> Loader::regions(const Item& item, const ClusterSpec& c) const {
  std::vector<Region> out;
  std::vector<int> owner(node_names_.size(), -1);
  for (const Item& ri : list_items(item, "regions")) {
    Fields f(*this, ri, "region", kRegionKeys);
    Region r;
    r.name = text(f.required("name"), "a region name like eu");
    if (!is_valid_name(r.name)) {
      fail(f.get("name"), fmt::format("a region name may hold only letters, digits, '_', '.' and "
                                      "'-', got '{}'",
                                      r.name));
    }
    for (const Region& other : out) {
      if (other.name == r.name) fail(f.get("name"), fmt::format("duplicate region '{}'", r.name));
    }
    const Item nodes = f.required("nodes");
    for (const Item& ni : list_items(nodes, "the region's nodes")) {
      const int idx = node_index(ni);
      if (owner[idx] >= 0) {
        fail(ni, fmt::format("node '{}' is in two regions ('{}' and '{}')", node_names_[idx],
                             out[owner[idx]].name, r.name));
      }
      owner[idx] = static_cast<int>(out.size());
      r.nodes.push_back(idx);
    }
    if (r.nodes.empty()) fail(nodes, fmt::format("region '{}' has no nodes", r.name));
    r.latency = f.has("latency") ? latency(f.get("latency"), "region.latency") : c.latency;
    out.push_back(std::move(r));
  }
  std::vector<std::string> missing;
  for (size_t i = 0; i < owner.size(); ++i) {
    if (owner[i] < 0) missing.push_back(node_names_[i]);
  }
  if (!missing.empty()) {
    fail(item, fmt::format("no region holds {} (every node must be in exactly one region)",
                           join(missing)));
  }
  return out;
}

// Links [a, b, latency]; together they must connect every node.
std::vector<EdgeSpec> Loader::edges(const Item& item) const {
  const int n = static_cast<int>(node_names_.size());
  std::vector<int> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto root = [&parent](int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::vector<EdgeSpec> out;
  std::vector<int> lines;  // of each edge, for "duplicate edge" messages
  for (const Item& ei : list_items(item, "edges")) {
    if (!ei.node.IsSequence() || ei.node.size() != 3) {
      fail(ei, "expected an edge like [n1, n2, 5ms], got " + describe(ei.node) +
                   (ei.node.IsSequence() ? fmt::format(" of {} items", ei.node.size()) : ""));
    }
    EdgeSpec e;
    e.a = node_index(item_of(ei.node[0]));
    e.b = node_index(item_of(ei.node[1]));
    if (e.a == e.b)
      fail(ei, fmt::format("an edge needs two different nodes, got {} twice", node_names_[e.a]));
    e.latency_ns = duration(item_of(ei.node[2]));
    for (size_t k = 0; k < out.size(); ++k) {
      if ((out[k].a == e.a && out[k].b == e.b) || (out[k].a == e.b && out[k].b == e.a)) {
        fail(ei, fmt::format("duplicate edge {}-{} (first at line {})", node_names_[e.a],
                             node_names_[e.b], lines[k]));
      }
    }
    parent[root(e.a)] = root(e.b);
    out.push_back(e);
    lines.push_back(ei.mark.line + 1);
  }
  std::vector<std::string> cut_off;
  for (int i = 0; i < n; ++i) {
    if (root(i) != root(0)) cut_off.push_back(node_names_[i]);
  }
  if (!cut_off.empty()) {
    fail(item, fmt::format("the edges do not connect all nodes: {} cannot reach {}", join(cut_off),
                           node_names_[0]));
  }
  return out;
}

std::string Loader::platform(const Item& item) const {
  const std::string s = text(item, "a platform file name like cluster.xml");
  if (s.empty()) fail(item, "expected a platform file name like cluster.xml, got ''");
  fs::path p(s);
  if (p.is_relative()) p = fs::path(file_).parent_path() / p;
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) {
    fail(item, fmt::format("platform file '{}' not found (looked for {})", s, p.string()));
  }
  return p.lexically_normal().string();
}

// ---------------------------------------------------------------- protocol

ProtocolSpec Loader::protocol(const Item& item) const {
  Fields f(*this, item, "protocol", kProtocolKeys);
  ProtocolSpec p;
  if (f.has("name")) {
    const Item ni = f.get("name");
    p.name = text(ni, "a protocol name like raft");
    if (!contains(kKnownProtocols, p.name)) {
      fail(ni, fmt::format("unknown protocol '{}' (known: {})", p.name, join(kKnownProtocols)));
    }
  }
  // A key that means nothing to this protocol is an error, not silently ignored.
  for (const std::string& key : kProtocolKeys) {
    const auto applies = protocols_for_key(key);
    if (f.has(key) && !contains(applies, p.name)) {
      f.forbid(key, fmt::format("applies only to {}, not to {}", join(applies), p.name));
    }
  }
  if (f.has("request_rate")) p.request_rate_per_s = rate(f.get("request_rate"));
  if (f.has("hold")) p.hold_ns = positive_duration(f.get("hold"));
  if (f.has("anti_entropy")) {
    const Item ai = f.get("anti_entropy");
    p.anti_entropy_ns = (ai.node.IsScalar() && (ai.node.Scalar() == "off" || ai.node.Scalar() == "false"))
                            ? 0
                            : positive_duration(ai);
  }
  if (f.has("pre_vote")) p.pre_vote = boolean(f.get("pre_vote"));
  if (f.has("check_quorum")) p.check_quorum = boolean(f.get("check_quorum"));
  if (f.has("backoff")) {
    // backoff: off | [min, max]
    const Item bi = f.get("backoff");
    if (bi.node.IsScalar()) {
      if (boolean(bi)) fail(bi, "expected off or a range like [10ms, 100ms], got 'on'");
      p.backoff = false;
    } else {
      if (!bi.node.IsSequence() || bi.node.size() != 2) {
        fail(bi, "expected off or a range like [10ms, 100ms], got " + describe(bi.node));
      }
      p.backoff_min_ns = positive_duration(item_of(bi.node[0]));
      p.backoff_max_ns = positive_duration(item_of(bi.node[1]));
      if (p.backoff_min_ns > p.backoff_max_ns) {
        fail(bi, fmt::format("backoff min {} is greater than max {}", format_duration(p.backoff_min_ns),
                             format_duration(p.backoff_max_ns)));
      }
    }
  }

  if (f.has("election_timeout")) {
    const Item et = f.get("election_timeout");
    if (!et.node.IsSequence() || et.node.size() != 2) {
      fail(et, "expected an election timeout range like [150ms, 300ms], got " + describe(et.node));
    }
    p.election_timeout_min_ns = positive_duration(item_of(et.node[0]));
    p.election_timeout_max_ns = positive_duration(item_of(et.node[1]));
    if (p.election_timeout_min_ns > p.election_timeout_max_ns) {
      fail(et, fmt::format("election_timeout min {} is greater than max {}",
                           format_duration(p.election_timeout_min_ns),
                           format_duration(p.election_timeout_max_ns)));
    }
  }
  if (f.has("heartbeat")) p.heartbeat_ns = positive_duration(f.get("heartbeat"));
  // A leader must be heard from before a follower's election timer can fire (Raft §5.2).
  if (p.heartbeat_ns >= p.election_timeout_min_ns) {
    const Item at = f.has("heartbeat") ? f.get("heartbeat") : f.get("election_timeout");
    fail(at,
         fmt::format("heartbeat {} must be shorter than the election timeout's min {}",
                     format_duration(p.heartbeat_ns), format_duration(p.election_timeout_min_ns)));
  }
  if (f.has("max_entries_per_append")) {
    p.max_entries_per_append = count(f.get("max_entries_per_append"), kMaxEntriesPerAppend);
  }
  return p;
}

// ---------------------------------------------------------------- workload

WorkloadSpec Loader::workload(const Item* item) const {
  WorkloadSpec w;
  w.stop_ns = duration_ns_;
  if (item == nullptr) return w;  // all defaults; they are consistent with any duration > 0
  Fields f(*this, *item, "workload", kWorkloadKeys);
  if (f.has("clients")) {
    // 0 is allowed: protocols such as lamport-mutex generate their own load.
    const Item ci = f.get("clients");
    w.clients = ci.node.IsScalar() && ci.node.Scalar() == "0" ? 0 : count(ci, kMaxClients);
  }
  if (f.has("rate")) {
    const Item ri = f.get("rate");
    std::string s = text(ri, "a rate like 500/s");
    if (s.size() > 2 && s.compare(s.size() - 2, 2, "/s") == 0) s.resize(s.size() - 2);
    if (!parse_number(s, &w.rate_per_s)) {
      fail(ri, fmt::format("expected a rate like 500/s, got '{}'", ri.node.Scalar()));
    }
    if (w.rate_per_s <= 0) {
      fail(ri, fmt::format("expected a rate > 0, got '{}' (leave rate out for a closed loop)",
                           ri.node.Scalar()));
    }
    f.forbid("think", "applies only to a closed loop (without rate)");
  }
  if (f.has("think")) w.think_ns = duration(f.get("think"));
  if (f.has("keys")) w.keys = count(f.get("keys"), kMaxKeys);
  if (f.has("distribution")) {
    if (word(f.get("distribution"), "key distribution", {"uniform", "zipf"}) == "zipf") {
      w.key_dist = WorkloadSpec::KeyDist::Zipf;
    }
  }
  if (w.key_dist != WorkloadSpec::KeyDist::Zipf) {
    f.forbid("zipf_s", "applies only to distribution: zipf");
  }
  if (f.has("zipf_s")) {
    const Item zi = f.get("zipf_s");
    w.zipf_s = number(zi, "a Zipf exponent like 1.0");
    if (w.zipf_s <= 0)
      fail(zi, fmt::format("expected a Zipf exponent > 0, got '{}'", zi.node.Scalar()));
  }
  if (f.has("mix")) {
    Fields m(*this, f.get("mix"), "workload.mix", kMixKeys);
    double* weights[] = {&w.read, &w.write, &w.cas};
    double sum = 0;
    for (size_t i = 0; i < kMixKeys.size(); ++i) {
      *weights[i] = 0;
      if (!m.has(kMixKeys[i])) continue;
      const Item wi = m.get(kMixKeys[i]);
      *weights[i] = number(wi, "a weight like 0.5");
      if (*weights[i] < 0)
        fail(wi, fmt::format("expected a weight >= 0, got '{}'", wi.node.Scalar()));
      sum += *weights[i];
    }
    if (sum <= 0) fail(m.item(), "the mix needs at least one operation with a weight > 0");
    for (double* x : weights) *x /= sum;
  }
  if (f.has("timeout")) w.timeout_ns = positive_duration(f.get("timeout"));
  if (f.has("attempt_timeout")) w.attempt_timeout_ns = positive_duration(f.get("attempt_timeout"));
  if (w.attempt_timeout_ns > w.timeout_ns) {
    const Item at = f.has("attempt_timeout") ? f.get("attempt_timeout") : f.get("timeout");
    fail(at, fmt::format("attempt_timeout {} must be <= timeout {}",
                         format_duration(w.attempt_timeout_ns), format_duration(w.timeout_ns)));
  }
  if (f.has("start")) {
    const Item si = f.get("start");
    w.start_ns = duration(si);
    if (w.start_ns >= duration_ns_) {
      fail(si, fmt::format("start {} is not before the end of the run (duration {})",
                           format_duration(w.start_ns), format_duration(duration_ns_)));
    }
  }
  if (f.has("stop")) {
    const Item si = f.get("stop");
    w.stop_ns = duration(si);
    if (w.stop_ns > duration_ns_) {
      fail(si, fmt::format("stop {} is after the end of the run (duration {})",
                           format_duration(w.stop_ns), format_duration(duration_ns_)));
    }
    if (w.stop_ns <= w.start_ns) {
      fail(si, fmt::format("stop {} must be after start {}", format_duration(w.stop_ns),
                           format_duration(w.start_ns)));
    }
  }
  return w;
}

// ---------------------------------------------------------------- faults

std::vector<FaultSpec> Loader::faults(const Item& item) const {
  std::vector<FaultSpec> out;
  for (const Item& fi : list_items(item, "faults")) out.push_back(fault(fi));
  // Stable: faults at the same instant fire in file order.
  std::stable_sort(out.begin(), out.end(),
                   [](const FaultSpec& a, const FaultSpec& b) { return a.at_ns < b.at_ns; });
  return out;
}

FaultSpec Loader::fault(const Item& item) const {
  if (!item.node.IsMap()) {
    fail(item, "expected a fault like {at: 5s, crash: leader}, got " + describe(item.node));
  }
  FaultSpec f;
  f.loc = SourceLoc{item.mark.line + 1, item.mark.column + 1};
  // Sorted out by hand rather than with Fields: the action is whichever key is not a timing key.
  std::vector<std::pair<std::string, std::pair<YAML::Node, YAML::Node>>> entries;
  int action = -1;  // index into entries
  for (auto it = item.node.begin(); it != item.node.end(); ++it) {
    const std::string key = key_text(it->first);
    check_duplicate(entries, key, it->first);
    entries.push_back({key, {it->first, it->second}});
    if (contains(kFaultTimingKeys, key)) continue;
    if (!contains(kFaultActions, key)) {
      fail(it->first.Mark(),
           fmt::format("unknown fault '{}' (expected one of: {})", key, join(kFaultActions)));
    }
    if (action >= 0) {
      fail(it->first.Mark(),
           fmt::format("a fault has exactly one action; this one has '{}' and '{}' (write two "
                       "faults)",
                       entries[action].first, key));
    }
    action = static_cast<int>(entries.size()) - 1;
  }
  if (action < 0) {
    fail(item, fmt::format("fault has no action (expected one of: {})", join(kFaultActions)));
  }
  const std::string action_key = entries[action].first;
  for (FaultKind k : {FaultKind::Crash, FaultKind::Restart, FaultKind::Partition, FaultKind::Cut,
                      FaultKind::Heal, FaultKind::Latency, FaultKind::Loss, FaultKind::Random}) {
    if (action_key == fault_kind_name(k)) f.kind = k;
  }

  auto find = [&entries](const std::string& key) -> const std::pair<YAML::Node, YAML::Node>* {
    for (const auto& e : entries) {
      if (e.first == key) return &e.second;
    }
    return nullptr;
  };
  const auto* at = find("at");
  if (at == nullptr) fail(item, fmt::format("missing required key 'at' in {} fault", action_key));
  const Item at_item = value_item(at->first, at->second);
  f.at_ns = duration(at_item);
  if (f.at_ns > duration_ns_) {
    fail(at_item, fmt::format("fault at {} is after the end of the run (duration {})",
                              format_duration(f.at_ns), format_duration(duration_ns_)));
  }

  if (const auto* fo = find("for")) {
    if (f.kind == FaultKind::Restart || f.kind == FaultKind::Heal || f.kind == FaultKind::Random) {
      fail(fo->first.Mark(), fmt::format("'for' does not apply to a {} fault (only crash, "
                                         "partition, cut, latency and loss are undone)",
                                         action_key));
    }
    f.for_ns = positive_duration(value_item(fo->first, fo->second));
  }
  const auto* every = find("every");
  const auto* until = find("until");
  if (f.kind != FaultKind::Random) {
    for (const auto* k : {every, until}) {
      if (k != nullptr) {
        fail(k->first.Mark(),
             fmt::format("'{}' applies only to a random fault", k->first.Scalar()));
      }
    }
  } else {
    if (every == nullptr) fail(item, "missing required key 'every' in random fault");
    f.every_ns = positive_duration(value_item(every->first, every->second));
    f.until_ns = duration_ns_;
    if (until != nullptr) {
      const Item ui = value_item(until->first, until->second);
      f.until_ns = duration(ui);
      if (f.until_ns < f.at_ns || f.until_ns > duration_ns_) {
        fail(ui, fmt::format("until {} must be between at {} and the end of the run (duration {})",
                             format_duration(f.until_ns), format_duration(f.at_ns),
                             format_duration(duration_ns_)));
      }
    }
  }
  fault_action(value_item(entries[action].second.first, entries[action].second.second), &f);
  return f;
}

void Loader::fault_action(const Item& v, FaultSpec* f) const {
  switch (f->kind) {
    case FaultKind::Crash:
    case FaultKind::Restart:
      f->targets = targets(v, f->kind);
      break;
    case FaultKind::Partition:
      f->partition = partition(v);
      break;
    case FaultKind::Cut: {
      Fields c(*this, v, "cut", {"from", "to"});
      f->cut_from = node_set(c.required("from"), "cut.from");
      f->cut_to = node_set(c.required("to"), "cut.to");
      for (int x : f->cut_to) {
        if (std::find(f->cut_from.begin(), f->cut_from.end(), x) != f->cut_from.end()) {
          fail(c.get("to"), fmt::format("node '{}' is in both from and to", node_names_[x]));
        }
      }
      break;
    }
    case FaultKind::Heal:
      if (text(v, "all") != "all") {
        fail(v, fmt::format("heal takes only 'all', got '{}'", v.node.Scalar()));
      }
      break;
    case FaultKind::Latency: {
      Fields l(*this, v, "latency fault", {"targets", "add"});
      f->targets = targets(l.required("targets"), f->kind);
      f->latency_add_ns = positive_duration(l.required("add"));
      break;
    }
    case FaultKind::Loss: {
      Fields l(*this, v, "loss fault", {"targets", "p"});
      f->targets = targets(l.required("targets"), f->kind);
      f->loss = probability(l.required("p"));
      break;
    }
    case FaultKind::Random:
      for (const Item& k : list_items(v, "random")) {
        const std::string s = text(k, "a fault kind");
        if (!contains(kRandomMenu, s)) {
          fail(k, fmt::format("unknown fault '{}' for random (expected one of: {})", s,
                              join(kRandomMenu)));
        }
        for (FaultKind m :
             {FaultKind::Crash, FaultKind::Partition, FaultKind::Latency, FaultKind::Loss}) {
          if (s != fault_kind_name(m)) continue;
          if (std::find(f->menu.begin(), f->menu.end(), m) != f->menu.end()) {
            fail(k, fmt::format("'{}' is listed twice", s));
          }
          f->menu.push_back(m);
        }
      }
      if (f->menu.empty()) fail(v, "random needs at least one fault kind to choose from");
      break;
  }
}

// A node name, a list of names, or a word resolved when the fault fires.
TargetSpec Loader::targets(const Item& item, FaultKind kind) const {
  const bool restart = kind == FaultKind::Restart;
  const std::vector<std::string>& words = restart ? kRestartWords : kTargetWords;
  TargetSpec t;
  if (item.node.IsScalar()) {
    const std::string s = item.node.Scalar();
    const std::pair<const char*, TargetSpec::Kind> table[] = {
        {"leader", TargetSpec::Kind::Leader},
        {"followers", TargetSpec::Kind::Followers},
        {"random", TargetSpec::Kind::Random},
        {"random-minority", TargetSpec::Kind::RandomMinority},
        {"majority", TargetSpec::Kind::Majority},
        {"all", TargetSpec::Kind::All},
        {"crashed", TargetSpec::Kind::Crashed}};
    for (const auto& [w, k] : table) {
      if (s != w) continue;
      if (!contains(words, s)) {
        fail(item, fmt::format("'{}' is not a target for {} (expected a node name or one of: {})",
                               s, fault_kind_name(kind), join(words)));
      }
      t.kind = k;
      return t;
    }
    if (!contains(node_names_, s)) {
      fail(item, fmt::format("unknown node '{}' (nodes are {}; or one of: {})", s, node_list_text(),
                             join(words)));
    }
  } else if (!item.node.IsSequence()) {
    fail(item, fmt::format("expected a node name, a list of names or one of: {}; got {}",
                           join(words), describe(item.node)));
  }
  t.kind = TargetSpec::Kind::Names;
  t.nodes = node_set(item, fmt::format("{} targets", fault_kind_name(kind)));
  return t;
}

// Explicit groups [[n1, n2], [n3]] (unlisted nodes form one more group) or a named shape.
PartitionSpec Loader::partition(const Item& item) const {
  PartitionSpec p;
  const int n = static_cast<int>(node_names_.size());
  if (item.node.IsScalar()) {
    const std::string s = word(item, "partition shape", kPartitionShapes);
    const std::pair<const char*, PartitionSpec::Kind> table[] = {
        {"isolate-leader", PartitionSpec::Kind::IsolateLeader},
        {"majority-minority", PartitionSpec::Kind::MajorityMinority},
        {"bridge", PartitionSpec::Kind::Bridge},
        {"halves", PartitionSpec::Kind::Halves}};
    for (const auto& [w, k] : table) {
      if (s == w) p.kind = k;
    }
    const int need = p.kind == PartitionSpec::Kind::Bridge ? 3 : 2;
    if (n < need) {
      fail(item, fmt::format("partition shape '{}' needs at least {} nodes; the cluster has {}", s,
                             need, n));
    }
    return p;
  }
  if (!item.node.IsSequence()) {
    fail(item, fmt::format("expected groups like [[n1, n2], [n3]] or one of: {}; got {}",
                           join(kPartitionShapes), describe(item.node)));
  }
  std::vector<int> group_of(n, -1);
  int listed = 0;
  for (const Item& gi : list_items(item, "partition")) {
    if (!gi.node.IsSequence()) {
      fail(gi, "expected a group of nodes like [n1, n2], got " + describe(gi.node));
    }
    std::vector<int> group;
    for (const Item& ni : list_items(gi, "a partition group")) {
      const int idx = node_index(ni);
      if (group_of[idx] >= 0) {
        fail(ni, fmt::format("node '{}' is in two partition groups", node_names_[idx]));
      }
      group_of[idx] = static_cast<int>(p.groups.size());
      group.push_back(idx);
      ++listed;
    }
    if (group.empty()) fail(gi, "a partition group needs at least one node");
    p.groups.push_back(std::move(group));
  }
  const size_t groups_total = p.groups.size() + (listed < n ? 1 : 0);
  if (groups_total < 2) {
    fail(item, "this partition puts every node in one group, so it separates nothing");
  }
  return p;
}

// ---------------------------------------------------------------- report

ReportSpec Loader::report(const Item* item, const std::string& name) const {
  ReportSpec r;
  r.out_dir = "out/" + name;
  if (item == nullptr) return r;
  Fields f(*this, *item, "report", {"formats", "out"});
  if (f.has("formats")) {
    const Item fi = f.get("formats");
    std::vector<Item> items;
    if (fi.node.IsScalar()) {
      items.push_back(fi);
    } else {
      items = list_items(fi, "report.formats");
    }
    if (items.empty()) fail(fi, "report.formats needs at least one format");
    r.formats.clear();
    for (const Item& x : items) {
      const std::string s = word(x, "report format", kReportFormats);
      if (contains(r.formats, s)) fail(x, fmt::format("report format '{}' is listed twice", s));
      r.formats.push_back(s);
    }
  }
  if (f.has("out")) {
    const Item oi = f.get("out");
    r.out_dir = text(oi, "a directory like out/my-run");
    if (r.out_dir.empty()) fail(oi, "expected a directory like out/my-run, got ''");
  }
  return r;
}

}  // namespace

// ---------------------------------------------------------------- public

static std::string error_text(const std::string& file, int line, int column,
                              const std::string& message) {
  std::string where = file;
  if (line > 0) {
    where += fmt::format(":{}", line);
    if (column > 0) where += fmt::format(":{}", column);
  }
  return where + ": " + message;
}

ScenarioError::ScenarioError(const std::string& file, int line, int column,
                             const std::string& message)
    : std::runtime_error(error_text(file, line, column, message)),
      file(file),
      line(line),
      column(column) {}

const char* topology_name(Topology t) {
  switch (t) {
    case Topology::Full:
      return "full";
    case Topology::Star:
      return "star";
    case Topology::Ring:
      return "ring";
    case Topology::Regions:
      return "regions";
    case Topology::Edges:
      return "edges";
    case Topology::Platform:
      return "platform";
  }
  return "?";
}

const char* fault_kind_name(FaultKind k) {
  switch (k) {
    case FaultKind::Crash:
      return "crash";
    case FaultKind::Restart:
      return "restart";
    case FaultKind::Partition:
      return "partition";
    case FaultKind::Cut:
      return "cut";
    case FaultKind::Heal:
      return "heal";
    case FaultKind::Latency:
      return "latency";
    case FaultKind::Loss:
      return "loss";
    case FaultKind::Random:
      return "random";
  }
  return "?";
}

Scenario load_scenario(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw ScenarioError(path, 0, 0, "no such scenario file");
  if (fs::is_directory(path, ec)) {
    throw ScenarioError(path, 0, 0, "is a directory, not a scenario file");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) throw ScenarioError(path, 0, 0, "cannot read the scenario file");
  return parse_scenario(text.str(), path);
}

Scenario parse_scenario(const std::string& yaml_text, const std::string& file) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(yaml_text);
  } catch (const YAML::Exception& e) {
    // ParserException and the rest carry the position where yaml-cpp gave up.
    throw ScenarioError(file, std::max(e.mark.line, -1) + 1, std::max(e.mark.column, -1) + 1,
                        e.msg);
  }
  if (docs.empty() || docs[0].IsNull()) {
    throw ScenarioError(file, 1, 1,
                        "the scenario is empty (it needs at least duration and "
                        "cluster)");
  }
  if (docs.size() > 1) {
    const YAML::Mark m = docs[1].Mark();
    throw ScenarioError(file, std::max(m.line, -1) + 1, std::max(m.column, -1) + 1,
                        "a scenario file holds one YAML document; this is a second one");
  }
  return Loader(file).scenario(docs[0]);
}

// Exact decimal arithmetic: "1.5s" is 1'500'000'000 ns with no floating point in between, so the
// same text gives the same nanoseconds on every platform.
bool parse_duration(const std::string& text, Nanos* out) {
  if (text == "0") {
    *out = 0;
    return true;
  }
  const std::pair<const char*, Nanos> units[] = {{"ns", 1},
                                                 {"us", kNanosPerMicro},
                                                 {"ms", kNanosPerMilli},
                                                 {"s", kNanosPerSecond},
                                                 {"m", 60 * kNanosPerSecond}};
  for (const auto& [suffix, unit_ns] : units) {
    const size_t len = std::char_traits<char>::length(suffix);
    if (text.size() <= len || text.compare(text.size() - len, len, suffix) != 0) continue;
    const std::string number = text.substr(0, text.size() - len);
    const size_t dot = number.find('.');
    const std::string whole = number.substr(0, dot);
    const std::string frac = dot == std::string::npos ? "" : number.substr(dot + 1);
    auto digits = [](const std::string& s) {
      return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (whole.empty() || !digits(whole) || !digits(frac)) return false;
    if (dot != std::string::npos && frac.empty()) return false;  // "1.s"
    if (whole.size() > 19 || frac.size() > 9) return false;  // keeps the arithmetic in range
    uint64_t w = 0;
    uint64_t fr = 0;
    parse_uint64(whole, &w);
    if (!frac.empty()) parse_uint64(frac, &fr);
    uint64_t scale = 1;  // 10^(fraction digits)
    for (size_t i = 0; i < frac.size(); ++i) scale *= 10;
    const uint64_t unit = static_cast<uint64_t>(unit_ns);
    const uint64_t max_ns = static_cast<uint64_t>(std::numeric_limits<Nanos>::max());
    if (w > max_ns / unit) return false;
    // fr / scale of a unit, in ns: fr * unit / scale. Dividing both by their gcd keeps the product
    // below lcm(unit, scale) <= 6e10, far inside 64 bits.
    const uint64_t g = std::gcd(unit, scale);
    if ((fr * (unit / g)) % (scale / g) != 0) return false;  // finer than a nanosecond
    const uint64_t frac_ns = fr * (unit / g) / (scale / g);
    const uint64_t ns = w * unit;
    if (frac_ns > max_ns - ns) return false;
    *out = static_cast<Nanos>(ns + frac_ns);
    return true;
  }
  return false;
}

// The largest unit that shows the value exactly with at most three decimals; minutes only when
// whole ("90s", not "1.5m").
std::string format_duration(Nanos ns) {
  if (ns == 0) return "0s";
  if (ns == std::numeric_limits<Nanos>::min()) return fmt::format("{}ns", ns);
  if (ns < 0) return "-" + format_duration(-ns);
  if (ns % (60 * kNanosPerSecond) == 0) return fmt::format("{}m", ns / (60 * kNanosPerSecond));
  const std::pair<const char*, Nanos> units[] = {
      {"s", kNanosPerSecond}, {"ms", kNanosPerMilli}, {"us", kNanosPerMicro}};
  for (const auto& [suffix, unit_ns] : units) {
    if (ns < unit_ns || ns % (unit_ns / 1000) != 0) continue;
    std::string s = fmt::format("{}", ns / unit_ns);
    Nanos frac = (ns % unit_ns) / (unit_ns / 1000);  // thousandths of the unit
    if (frac != 0) {
      std::string f = fmt::format("{:03}", frac);
      while (f.back() == '0') f.pop_back();
      s += "." + f;
    }
    return s + suffix;
  }
  return fmt::format("{}ns", ns);
}

const std::vector<std::string>& known_protocols() { return kKnownProtocols; }

std::vector<std::string> protocols_for_key(const std::string& key) {
  if (key == "election_timeout" || key == "heartbeat") return {"raft", "multipaxos"};
  if (key == "max_entries_per_append" || key == "pre_vote" || key == "check_quorum") return {"raft"};
  if (key == "backoff") return {"paxos"};
  if (key == "request_rate" || key == "hold") return {"lamport-mutex"};
  if (key == "anti_entropy") return {"lamport-lww"};
  return kKnownProtocols;
}

}  // namespace synod::sim
