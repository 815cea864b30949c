// The loader's entry points and the top level of a scenario file: YAML text in, a validated
// Scenario out, or a ScenarioError that names the file, the line and column of the offending
// value, and what was expected there.
//
// How it works: yaml-cpp builds a node tree that keeps each node's position (Mark). The loader
// walks that tree section by section in a fixed order (the cluster before anything that names
// nodes, the duration before anything that must fall inside it), one file per section, and checks
// every key against the keys allowed at that place (reader.hpp), so a typo is an error rather
// than a silently ignored setting.
//
// The schema is documented key by key in docs/scenarios.md; keep the two in step.
#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/scenario/sections.hpp"

namespace synod::sim {

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTopKeys = {"name",     "description", "seed",
                                           "duration", "cluster",     "protocol",
                                           "workload", "faults",      "report",
                                           "trace"};
const std::vector<std::string> kReportFormats = {"text", "json", "html"};

std::string default_name(const std::string& file) {
  std::string stem = fs::path(file).stem().string();
  for (char& c : stem) {
    if (!is_valid_name(std::string(1, c))) c = '_';
  }
  return stem.empty() ? "scenario" : stem;
}

std::string scenario_name(const Reader& rd, const Item& item) {
  const std::string s = rd.text(item, "a name like raft-leader-crash");
  if (!is_valid_name(s)) {
    rd.fail(item, fmt::format("a name may hold only letters, digits, '_', '.' and '-', got '{}'", s));
  }
  return s;
}

uint64_t seed(const Reader& rd, const Item& item) {
  const std::string s = rd.text(item, "an unsigned integer like 42");
  uint64_t v = 0;
  if (!parse_uint64(s, &v))
    rd.fail(item, fmt::format("expected an unsigned integer like 42, got '{}'", s));
  return v;
}

ReportSpec report(const Reader& rd, const Item* item, const std::string& name) {
  ReportSpec r;
  r.out_dir = "out/" + name;
  if (item == nullptr) return r;
  Fields f(rd, *item, "report", {"formats", "out"});
  if (f.has("formats")) {
    const Item fi = f.get("formats");
    std::vector<Item> items;
    if (fi.node.IsScalar()) {
      items.push_back(fi);
    } else {
      items = rd.list_items(fi, "report.formats");
    }
    if (items.empty()) rd.fail(fi, "report.formats needs at least one format");
    r.formats.clear();
    for (const Item& x : items) {
      const std::string s = rd.word(x, "report format", kReportFormats);
      if (contains(r.formats, s)) rd.fail(x, fmt::format("report format '{}' is listed twice", s));
      r.formats.push_back(s);
    }
  }
  if (f.has("out")) {
    const Item oi = f.get("out");
    r.out_dir = rd.text(oi, "a directory like out/my-run");
    if (r.out_dir.empty()) rd.fail(oi, "expected a directory like out/my-run, got ''");
  }
  return r;
}

Scenario read_scenario(Reader& rd, const YAML::Node& root, const ProtocolSchemas& schemas) {
  Fields f(rd, item_of(root), "the scenario", kTopKeys);
  Scenario s;
  s.file = rd.file();
  s.name = f.has("name") ? scenario_name(rd, f.get("name")) : default_name(rd.file());
  if (f.has("description")) s.description = rd.text(f.get("description"), "a line of text");
  if (f.has("seed")) s.seed = seed(rd, f.get("seed"));
  s.duration_ns = rd.positive_duration(f.required("duration"));
  rd.set_duration(s.duration_ns);
  s.cluster = read_cluster(rd, f.required("cluster"));
  if (f.has("protocol")) {
    const Item p = f.get("protocol");
    s.protocol = read_protocol(rd, &p, schemas);
  } else {
    s.protocol = read_protocol(rd, nullptr, schemas);
  }
  const ProtocolSchema* schema = find_schema(schemas, s.protocol.name);
  if (schema != nullptr && schema->parse_workload) {
    // The family's own workload: it fills in the generic part over these defaults.
    s.workload = WorkloadSpec{};
    s.workload.clients = 1;
    s.workload.stop_ns = s.duration_ns;
    const std::string context = "workload (for " + s.protocol.name + ")";
    if (f.has("workload")) {
      const Item w = f.get("workload");
      s.workload_config = schema->parse_workload(rd, Fields(rd, w, context, schema->workload_keys),
                                                 *s.protocol.config, &s.workload);
    } else {
      s.workload_config =
          schema->parse_workload(rd, Fields(rd, context), *s.protocol.config, &s.workload);
    }
  } else if (f.has("workload")) {
    const Item w = f.get("workload");
    s.workload = read_workload(rd, &w);
  } else {
    s.workload = read_workload(rd, nullptr);
  }
  const long hosts = static_cast<long>(s.node_count()) + std::max(s.workload.clients, 0);
  if (hosts > kMaxHosts) {
    rd.fail(f.has("workload") ? f.get("workload") : f.get("cluster"),
            fmt::format("{} nodes and {} clients are {} hosts; a run may have at most {} (SimGrid's "
                        "routing table takes 8 bytes per pair of hosts: 2 GiB at {})",
                        s.node_count(), s.workload.clients, hosts, kMaxHosts, kMaxHosts));
  }
  if (f.has("faults")) s.faults = read_faults(rd, f.get("faults"));
  if (f.has("report")) {
    const Item r = f.get("report");
    s.report = report(rd, &r, s.name);
  } else {
    s.report = report(rd, nullptr, s.name);
  }
  if (f.has("trace")) {
    const Item ti = f.get("trace");
    Fields t(rd, ti, "trace", {"messages", "vector_clocks", "clock_check"});
    if (t.has("messages")) s.trace.messages = rd.boolean(t.get("messages"));
    if (t.has("vector_clocks")) s.trace.vector_clocks = rd.boolean(t.get("vector_clocks"));
    if (t.has("clock_check")) s.trace.clock_check = rd.boolean(t.get("clock_check"));
    if (!s.trace.clock_check && (s.trace.messages || s.trace.vector_clocks))
      rd.fail(t.get("clock_check"), "clock_check: false keeps no trace, so messages and "
                                     "vector_clocks cannot be on with it");
  }
  return s;
}

// Sets the value at `o.path` in the document (creating mappings on the way), as if the file said
// so. An error in the value is reported against the override, not a line of the file.
void apply_override(const std::string& file, YAML::Node root, const Override& o) {
  YAML::Node value;
  try {
    value = YAML::Load(o.value);
  } catch (const YAML::Exception& e) {
    throw ScenarioError(file, 0, 0, fmt::format("{}: the value is not YAML: {}", o.text(), e.msg));
  }
  // Node's operator= writes into the node it refers to; reset() moves the reference.
  YAML::Node at;
  at.reset(root);
  for (size_t i = 0; i + 1 < o.path.size(); ++i) {
    if (!at.IsMap()) {
      throw ScenarioError(file, 0, 0, fmt::format("{}: '{}' is not a mapping in the scenario",
                                                  o.text(), join({o.path.begin(), o.path.begin() + i}, ".")));
    }
    YAML::Node next;
    next.reset(at[o.path[i]]);
    if (!next.IsDefined() || next.IsNull()) {
      at[o.path[i]] = YAML::Node(YAML::NodeType::Map);
      next.reset(at[o.path[i]]);
    }
    at.reset(next);
  }
  if (!at.IsMap()) {
    throw ScenarioError(file, 0, 0, fmt::format("{}: cannot set a key inside {}", o.text(),
                                                describe(at)));
  }
  at[o.path.back()] = value;
}

std::string error_text(const std::string& file, int line, int column, const std::string& message) {
  std::string where = file;
  if (line > 0) {
    where += fmt::format(":{}", line);
    if (column > 0) where += fmt::format(":{}", column);
  }
  return where + ": " + message;
}

}  // namespace

ScenarioError::ScenarioError(const std::string& file, int line, int column,
                             const std::string& message)
    : std::runtime_error(error_text(file, line, column, message)),
      file(file),
      line(line),
      column(column),
      message(message) {}

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
    case FaultKind::Skew:
      return "skew";
    case FaultKind::Duplicate:
      return "duplicate";
    case FaultKind::Reorder:
      return "reorder";
    case FaultKind::Join:
      return "join";
    case FaultKind::Transfer:
      return "transfer";
    case FaultKind::Leave:
      return "leave";
  }
  return "?";
}

Scenario load_scenario(const std::string& path, const ProtocolSchemas& schemas,
                       const std::vector<Override>& overrides) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw ScenarioError(path, 0, 0, "no such scenario file");
  if (fs::is_directory(path, ec)) {
    throw ScenarioError(path, 0, 0, "is a directory, not a scenario file");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) throw ScenarioError(path, 0, 0, "cannot read the scenario file");
  return parse_scenario(text.str(), path, schemas, overrides);
}

namespace {

// Where a YAML document starts and whether it is nothing but one null: enough to tell a second
// document from a parser that is stuck (yaml-cpp 0.7's parser, Debian's, hands back the same
// null document forever on a stray ',' at the top level: its LoadAll never returns and eats all
// memory, jbeder/yaml-cpp#1040 and #1319).
struct DocumentProbe : YAML::EventHandler {
  int events = 0;
  bool only_null = true;
  YAML::Mark first = YAML::Mark::null_mark();
  void note(const YAML::Mark& m, bool null) {
    if (events++ == 0) first = m;
    if (!null) only_null = false;
  }
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { note(m, true); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { note(m, false); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    note(m, false);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    note(m, false);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    note(m, false);
  }
  void OnMapEnd() override {}
};

[[noreturn]] void fail_at(const std::string& file, const YAML::Mark& m, const std::string& message) {
  throw ScenarioError(file, std::max(m.line, -1) + 1, std::max(m.column, -1) + 1, message);
}

// The one document of a scenario file: the text must hold exactly one, and yaml-cpp's own
// errors keep the position where it gave up.
YAML::Node load_one_document(const std::string& yaml_text, const std::string& file) {
  try {
    std::istringstream in(yaml_text);
    YAML::Parser parser(in);
    DocumentProbe first, second;
    const bool any = parser.HandleNextDocument(first);
    const bool more = any && parser.HandleNextDocument(second);
    if (more && first.only_null && second.only_null && first.first.pos == second.first.pos) {
      const int at = std::max(first.first.pos, 0);
      const std::string what = static_cast<size_t>(at) < yaml_text.size()
                                   ? fmt::format(" '{}'", yaml_text[at])
                                   : std::string();
      fail_at(file, first.first, fmt::format("unexpected{} here: it is not part of any mapping or "
                                             "list, and YAML cannot read it", what));
    }
    if (more) {
      fail_at(file, second.first, "a scenario file holds one YAML document; this is a second one");
    }
    return YAML::Load(yaml_text);  // the first document only, now known to be the only one
  } catch (const YAML::Exception& e) {
    // ParserException and the rest carry the position where yaml-cpp gave up.
    fail_at(file, e.mark, e.msg);
  }
}

}  // namespace

// The first problem stops the reading, so a typo further on would go unreported until the first
// fix. Read again without each unknown key, and with a stand-in for each missing key the reading
// needs first (duration, cluster, its nodes), up to 8 times, to find the other problems too. All of them are reported, unknown keys first (a
// misspelt key often is the missing one); the error's position is the first listed.
// Removes the mapping entry whose key is at (line, column), 1-based, anywhere in `node`.
static bool remove_key_at(YAML::Node node, int line, int column) {
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Mark m = it->first.Mark();
      if (m.line + 1 == line && m.column + 1 == column) {
        node.remove(it->first);
        return true;
      }
      if (remove_key_at(it->second, line, column)) return true;
    }
  } else if (node.IsSequence()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (remove_key_at(*it, line, column)) return true;
    }
  }
  return false;
}

// `doc` is changed (YAML::Clone would lose the nodes' positions).
static ScenarioError with_later_problems(const ScenarioError& first, YAML::Node copy,
                                         const std::string& file, const ProtocolSchemas& schemas) {
  std::vector<ScenarioError> problems = {first};
  for (int attempt = 0; attempt < 8; ++attempt) {
    const ScenarioError& last = problems.back();
    if (!copy.IsMap()) break;
    if (last.message.rfind("unknown key '", 0) == 0) {
      if (!remove_key_at(copy, last.line, last.column)) break;
    } else if (last.message == "missing required key 'duration' in the scenario") {
      copy["duration"] = "10s";
    } else if (last.message == "missing required key 'cluster' in the scenario") {
      copy["cluster"] = YAML::Load("{nodes: 3}");
    } else if (last.message == "missing required key 'nodes' in cluster" && copy["cluster"].IsMap()) {
      copy["cluster"]["nodes"] = 3;
    } else {
      break;
    }
    try {
      Reader again(file);
      read_scenario(again, copy, schemas);
      break;
    } catch (const ScenarioError& e) {
      problems.push_back(e);
    }
  }
  if (problems.size() == 1) return first;
  std::stable_partition(problems.begin(), problems.end(), [](const ScenarioError& e) {
    return e.message.rfind("unknown key", 0) == 0;
  });
  std::string rest;
  for (size_t i = 1; i < problems.size(); ++i) rest += std::string("\n") + problems[i].what();
  const ScenarioError& head = problems.front();
  return ScenarioError(head.file, head.line, head.column, head.message + rest);
}

Scenario parse_scenario(const std::string& yaml_text, const std::string& file,
                        const ProtocolSchemas& schemas, const std::vector<Override>& overrides) {
  YAML::Node doc = load_one_document(yaml_text, file);
  if (!doc.IsDefined() || doc.IsNull()) {
    throw ScenarioError(file, 1, 1,
                        "the scenario is empty (it needs at least duration and "
                        "cluster)");
  }
  for (const Override& o : overrides) apply_override(file, doc, o);
  Reader rd(file);
  try {
    return read_scenario(rd, doc, schemas);
  } catch (const ScenarioError& first) {
    throw with_later_problems(first, doc, file, schemas);
  }
}

bool parse_override(const std::string& text, Override* out) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  Override o;
  std::string path = text.substr(0, eq);
  size_t from = 0;
  while (true) {
    const size_t dot = path.find('.', from);
    const std::string part = path.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
    if (part.empty()) return false;
    o.path.push_back(part);
    if (dot == std::string::npos) break;
    from = dot + 1;
  }
  o.value = text.substr(eq + 1);
  *out = o;
  return true;
}

std::string Override::text() const { return join(path, ".") + "=" + value; }

Scenario with_protocol(const Scenario& s, const std::string& protocol,
                       const ProtocolSchemas& schemas) {
  Scenario r = s;
  if (protocol == s.protocol.name) return r;
  Reader rd(s.file);
  rd.set_duration(s.duration_ns);
  rd.set_node_names(s.cluster.node_names);
  if (s.protocol.source) {
    const Item section = item_of(*s.protocol.source);
    r.protocol = read_protocol(rd, &section, schemas, &protocol);
  } else {
    r.protocol = read_protocol(rd, nullptr, schemas, &protocol);
  }
  return r;
}

}  // namespace synod::sim
