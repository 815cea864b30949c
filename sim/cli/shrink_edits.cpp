// Scenario edits for `synod shrink`; see shrink_edits.hpp.
#include "sim/cli/shrink_edits.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

#include "protocols/common/duration.hpp"

namespace synod::cli::shrink {

using namespace synod::sim;

namespace {

std::string targets_yaml(const std::vector<NodeId>& nodes, const Scenario& s) {
  if (static_cast<int>(nodes.size()) == s.node_count()) return "all";
  std::vector<std::string> names;
  for (NodeId n : nodes) names.push_back(s.cluster.node_names[n]);
  return fmt::format("[{}]", fmt::join(names, ", "));
}

}  // namespace

std::string fault_yaml(const FaultSpec& f, const Scenario& s) {
  std::string action;
  const std::string t = targets_yaml(f.targets.nodes, s);
  switch (f.kind) {
    case FaultKind::Crash:
      action = "crash: " + t;
      break;
    case FaultKind::Partition: {
      std::vector<std::string> groups;
      for (const auto& g : f.partition.groups) {
        std::vector<std::string> names;
        for (NodeId n : g) names.push_back(s.cluster.node_names[n]);
        groups.push_back(fmt::format("[{}]", fmt::join(names, ", ")));
      }
      action = fmt::format("partition: [{}]", fmt::join(groups, ", "));
      break;
    }
    case FaultKind::Latency:
      action = fmt::format("latency: {{targets: {}, add: {}}}", t, format_duration(f.latency_add_ns));
      break;
    case FaultKind::Loss:
      action = fmt::format("loss: {{targets: {}, p: {}}}", t, f.loss);
      break;
    case FaultKind::Duplicate:
      action = fmt::format("duplicate: {{targets: {}, p: {}}}", t, f.duplicate);
      break;
    case FaultKind::Reorder:
      action = fmt::format("reorder: {{targets: {}, spread: {}}}", t, format_duration(f.reorder_ns));
      break;
    case FaultKind::Skew:
      action = fmt::format("skew: {{targets: {}, {}: {}}}", t, f.skew_ns > 0 ? "ahead" : "behind",
                           format_duration(std::llabs(f.skew_ns)));
      break;
    default:
      return "";  // not drawn by a random fault
  }
  return fmt::format("{{at: {}, for: {}, {}}}", format_duration(f.at_ns), format_duration(f.for_ns),
                     action);
}

std::string emit(const YAML::Node& doc) {
  YAML::Emitter e;
  e << doc;
  return std::string(e.c_str()) + "\n";
}

YAML::Node flow(const std::string& text) {
  YAML::Node n = YAML::Load(text);
  n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}

// The scenario with fault list `faults`.
YAML::Node with_faults(const YAML::Node& doc, const std::vector<YAML::Node>& faults) {
  YAML::Node d = YAML::Clone(doc);
  if (faults.empty()) {
    d.remove("faults");
    return d;
  }
  YAML::Node list(YAML::NodeType::Sequence);
  for (const auto& f : faults) list.push_back(YAML::Clone(f));
  d["faults"] = list;
  return d;
}

std::vector<YAML::Node> faults_of(const YAML::Node& doc) {
  std::vector<YAML::Node> out;
  if (doc["faults"] && doc["faults"].IsSequence())
    for (const auto& f : doc["faults"]) out.push_back(YAML::Clone(f));
  return out;
}

namespace {

Nanos duration_of(const YAML::Node& n) {
  Nanos v = 0;
  parse_duration(n.as<std::string>(), &v);
  return v;
}

// Removes `gone` node names from every list inside a fault; false if the fault loses a whole
// target (a scalar naming a removed node, a list left empty, a partition of fewer than 2 groups).
bool prune_names(YAML::Node n, const std::set<std::string>& gone) {
  if (n.IsScalar()) return gone.count(n.Scalar()) == 0;
  if (n.IsSequence()) {
    YAML::Node kept(YAML::NodeType::Sequence);
    for (auto c : n) {
      if (c.IsScalar() && gone.count(c.Scalar())) continue;
      if (!prune_names(c, gone)) {
        if (c.IsSequence()) continue;  // an emptied partition group: drop the group
        return false;
      }
      kept.push_back(c);
    }
    if (kept.size() == 0) return false;
    n = kept;
    return true;
  }
  if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it)
      if (!prune_names(it->second, gone)) return false;
  }
  return true;
}


}  // namespace

std::optional<YAML::Node> random_written_out(const YAML::Node& doc, const Fired& fired) {
  std::vector<YAML::Node> faults = faults_of(doc), fixed;
  bool any = false;
  for (size_t i = 0; i < faults.size(); ++i) {
    if (!faults[i]["random"]) {
      fixed.push_back(faults[i]);
      continue;
    }
    any = true;
    const auto it = fired.find(i);
    if (it != fired.end())
      for (const std::string& t : it->second) fixed.push_back(flow(t));
  }
  if (!any) return std::nullopt;
  return with_faults(doc, fixed);
}

std::vector<YAML::Node> shorter_runs(const YAML::Node& doc, double first_violation_s) {
  const Nanos dur = duration_of(doc["duration"]);
  std::vector<Nanos> ends;
  if (first_violation_s >= 0)  // just past the first violation, in 10 ms
    ends.push_back((static_cast<Nanos>(first_violation_s * 100) + 2) * 10'000'000);
  for (double f : {0.25, 0.5, 0.75})
    ends.push_back(static_cast<Nanos>(std::llround(dur * f / 1e7)) * 10'000'000);
  std::sort(ends.begin(), ends.end());
  ends.erase(std::unique(ends.begin(), ends.end()), ends.end());
  std::vector<YAML::Node> cands;
  for (Nanos end : ends) {
    if (end <= 0 || end >= dur) continue;
    YAML::Node d = YAML::Clone(doc);
    d["duration"] = format_duration(end);
    std::vector<YAML::Node> kept;
    for (YAML::Node fa : faults_of(d)) {
      if (duration_of(fa["at"]) > end) continue;
      if (fa["until"] && duration_of(fa["until"]) > end) fa["until"] = format_duration(end);
      kept.push_back(fa);
    }
    d = with_faults(d, kept);
    if (d["workload"] && d["workload"]["stop"] && duration_of(d["workload"]["stop"]) > end)
      d["workload"].remove("stop");
    cands.push_back(d);
  }
  return cands;
}

std::vector<YAML::Node> without_chunks(const YAML::Node& doc, size_t n, size_t* chunk) {
  const std::vector<YAML::Node> faults = faults_of(doc);
  std::vector<YAML::Node> cands;
  if (faults.empty() || n == 0) return cands;
  *chunk = (faults.size() + n - 1) / n;
  for (size_t from = 0; from < faults.size(); from += *chunk) {
    std::vector<YAML::Node> rest;
    for (size_t k = 0; k < faults.size(); ++k)
      if (k < from || k >= from + *chunk) rest.push_back(faults[k]);
    cands.push_back(with_faults(doc, rest));
  }
  return cands;
}

namespace {

bool has_workload(const YAML::Node& doc) { return doc["workload"] && doc["workload"].IsMap(); }

uint64_t count_of(const YAML::Node& doc, const char* key, uint64_t dflt) {
  const YAML::Node w = doc["workload"];
  return w[key] ? w[key].as<uint64_t>() : dflt;
}

}  // namespace

std::vector<YAML::Node> fewer_clients(const YAML::Node& doc) {
  std::vector<YAML::Node> cands;
  if (!has_workload(doc)) return cands;
  const uint64_t clients = count_of(doc, "clients", WorkloadSpec{}.clients);
  for (uint64_t c : std::set<uint64_t>{1, 2, clients / 4, clients / 2}) {
    if (c == 0 || c >= clients) continue;
    YAML::Node d = YAML::Clone(doc);
    d["workload"]["clients"] = c;
    cands.push_back(d);
  }
  return cands;
}

std::vector<YAML::Node> lower_rates(const YAML::Node& doc) {
  std::vector<YAML::Node> cands;
  if (!has_workload(doc) || !doc["workload"]["rate"]) return cands;
  const std::string rate = doc["workload"]["rate"].as<std::string>();
  if (rate.size() <= 2 || rate.substr(rate.size() - 2) != "/s") return cands;
  const double r = std::atof(rate.c_str());
  for (double f : {0.125, 0.25, 0.5}) {
    const double v = std::floor(r * f);
    if (v < 1) continue;
    YAML::Node d = YAML::Clone(doc);
    d["workload"]["rate"] = fmt::format("{}/s", v);
    cands.push_back(d);
  }
  return cands;
}

std::vector<YAML::Node> fewer_keys(const YAML::Node& doc) {
  std::vector<YAML::Node> cands;
  if (!has_workload(doc)) return cands;
  const uint64_t keys = count_of(doc, "keys", 0);
  for (uint64_t k : std::set<uint64_t>{1, 2, keys / 2}) {
    if (k == 0 || k >= keys) continue;
    YAML::Node d = YAML::Clone(doc);
    d["workload"]["keys"] = k;
    cands.push_back(d);
  }
  return cands;
}

std::vector<YAML::Node> writes_only(const YAML::Node& doc) {
  if (!has_workload(doc)) return {};
  YAML::Node d = YAML::Clone(doc);
  d["workload"]["mix"] = flow("{read: 0, write: 1, cas: 0}");
  if (emit(d) == emit(doc)) return {};
  return {d};
}

std::vector<YAML::Node> later_starts(const YAML::Node& doc) {
  std::vector<YAML::Node> cands;
  if (!has_workload(doc)) return cands;
  Nanos first_at = -1;
  for (const YAML::Node& fa : faults_of(doc)) {
    const Nanos at = duration_of(fa["at"]);
    if (first_at < 0 || at < first_at) first_at = at;
  }
  const Nanos start = doc["workload"]["start"] ? duration_of(doc["workload"]["start"]) : 0;
  for (Nanos st : {first_at - 200'000'000, start + (first_at - start) / 2}) {
    st = st / 10'000'000 * 10'000'000;
    if (first_at < 0 || st <= start) continue;
    YAML::Node d = YAML::Clone(doc);
    d["workload"]["start"] = format_duration(st);
    cands.push_back(d);
  }
  return cands;
}

std::vector<YAML::Node> fewer_nodes(const YAML::Node& doc) {
  std::vector<YAML::Node> cands;
  if (!doc["cluster"] || !doc["cluster"]["nodes"] || !doc["cluster"]["nodes"].IsScalar()) return cands;
  const int nodes = doc["cluster"]["nodes"].as<int>();
  for (int k : {nodes - 2, nodes - 1}) {
    if (k < 1) continue;
    std::set<std::string> gone;
    for (int i = k + 1; i <= nodes; ++i) gone.insert(fmt::format("n{}", i));
    YAML::Node d = YAML::Clone(doc);
    d["cluster"]["nodes"] = k;
    std::vector<YAML::Node> kept;
    for (YAML::Node fa : faults_of(d))
      if (prune_names(fa, gone)) kept.push_back(fa);
    cands.push_back(with_faults(d, kept));
  }
  return cands;
}

}  // namespace synod::cli::shrink
