#include "sim/families/registry.hpp"

#include <set>

#include <fmt/format.h>

#include "sim/engine/runner.hpp"
#include "sim/families/shards.hpp"

namespace synod::sim::registry {

const std::vector<Family>& families() {
  // One line per family. The order is the order messages and --help list them in.
  static const std::vector<Family> all = {
      raft_family(),
      paxos_family(),
      multipaxos_family(),
      lamport_mutex_family(),
      lamport_lww_family(),
      primary_backup_family(),
      quorum_family(),
      tasks_family(),
      serverless_family(),
  };
  return all;
}

const Family* find(const std::string& name) {
  for (const Family& f : families())
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const Family& f : families()) out.push_back(f.name);
  return out;
}

const ProtocolSchemas& schemas() {
  static const ProtocolSchemas all = [] {
    ProtocolSchemas s;
    for (const Family& f : families()) {
      std::vector<std::string> keys = f.keys;
      if (f.shardable) keys.insert(keys.end(), {"shards", "replication", "balance_leaders"});
      s.push_back({f.name, keys, f.shardable, f.parse, f.workload_keys, f.parse_workload});
    }
    return s;
  }();
  return all;
}

namespace {
const Family& family_of(const Scenario& s) {
  const Family* f = find(s.protocol.name);
  if (f == nullptr) throw ScenarioError(s.file, 0, 0, "unknown protocol '" + s.protocol.name + "'");
  return *f;
}

// Membership changes and leadership transfers only for the families that implement them.
const Scenario& check_supported(const Scenario& s) {
  const Family& f = family_of(s);
  for (const FaultSpec& fault : s.faults) {
    if (fault.kind != FaultKind::Transfer) continue;
    if (!f.transfer) {
      std::vector<std::string> can;
      for (const Family& g : families())
        if (g.transfer) can.push_back(g.name);
      throw ScenarioError(s.file, fault.loc.line, fault.loc.column,
                          fmt::format("a transfer fault needs a protocol whose leader can hand over "
                                      "leadership ({}); {} cannot",
                                      join(can), s.protocol.name));
    }
    if (sharding::sharded(s))
      throw ScenarioError(s.file, fault.loc.line, fault.loc.column,
                          "a transfer fault is not supported in a sharded cluster "
                          "(protocol.shards): each group has its own leader");
  }
  if (f.membership && sharding::sharded(s)) {
    // Joins and leaves move replicas by the shard map's plan, worked out from the memberships
    // alone (protocols/shards/shard_map.hpp): the nodes must be named, and each step told apart.
    const int r = s.protocol.shards.replication;
    if (!s.cluster.members.empty() && static_cast<int>(s.cluster.members.size()) < r)
      throw ScenarioError(s.file, s.protocol.shards.loc.line, s.protocol.shards.loc.column,
                          fmt::format("replication {} needs at least {} cluster.members; there "
                                      "are {}",
                                      r, r, s.cluster.members.size()));
    std::vector<NodeId> m = sharding::initial_members(s);
    std::set<NodeId> gone;
    for (const FaultSpec& fault : s.faults) {
      if (fault.kind != FaultKind::Join && fault.kind != FaultKind::Leave) continue;
      const char* what = fault_kind_name(fault.kind);
      if (fault.targets.kind != TargetSpec::Kind::Names)
        throw ScenarioError(s.file, fault.loc.line, fault.loc.column,
                            fmt::format("a {} fault in a sharded cluster (protocol.shards) names "
                                        "its nodes: the replica moves are planned from them "
                                        "before the run",
                                        what));
      for (NodeId n : fault.targets.nodes) {
        const auto it = std::find(m.begin(), m.end(), n);
        if (fault.kind == FaultKind::Join && it == m.end()) {
          if (gone.count(n) != 0)
            throw ScenarioError(s.file, fault.loc.line, fault.loc.column,
                                fmt::format("{} joins again after it left: in a sharded cluster "
                                            "(protocol.shards) a node that leaves does not come "
                                            "back",
                                            s.cluster.node_names[n]));
          m.insert(std::upper_bound(m.begin(), m.end(), n), n);
        } else if (fault.kind == FaultKind::Leave && it != m.end()) {
          m.erase(it);
          gone.insert(n);
          if (static_cast<int>(m.size()) < r)
            throw ScenarioError(s.file, fault.loc.line, fault.loc.column,
                                fmt::format("after this leave {} members remain, fewer than the "
                                            "replication ({}): a group would have nowhere to "
                                            "move its replica",
                                            m.size(), r));
        }
      }
    }
    return s;
  }
  if (f.membership) return s;
  std::vector<std::string> can;
  for (const Family& g : families())
    if (g.membership) can.push_back(g.name);
  for (const FaultSpec& fault : s.faults)
    if (fault.kind == FaultKind::Join || fault.kind == FaultKind::Leave)
      throw ScenarioError(s.file, fault.loc.line, fault.loc.column,
                          fmt::format("a {} fault needs a protocol that changes its membership ({}); "
                                      "{}'s is fixed",
                                      fault_kind_name(fault.kind), join(can), s.protocol.name));
  if (!s.cluster.members.empty() && static_cast<int>(s.cluster.members.size()) != s.node_count())
    throw ScenarioError(s.file, 0, 0,
                        fmt::format("cluster.members needs a protocol that changes its membership "
                                    "({}); {}'s is fixed",
                                    join(can), s.protocol.name));
  return s;
}
}  // namespace

Scenario load(const std::string& path, const std::vector<Override>& overrides) {
  Scenario s = load_scenario(path, schemas(), overrides);
  check_supported(s);
  return s;
}

Scenario parse(const std::string& yaml_text, const std::string& file) {
  Scenario s = parse_scenario(yaml_text, file, schemas());
  check_supported(s);
  return s;
}

RunResult run(const Scenario& scenario, uint64_t seed) {
  const Family& f = family_of(check_supported(scenario));
  if (sharding::sharded(scenario))
    return run_scenario(scenario, seed, sharding::make_factory(scenario, f),
                        sharding::make_workload(scenario));
  return run_scenario(scenario, seed, f.make_factory(scenario),
                      f.make_workload ? f.make_workload(scenario) : nullptr);
}

RunAnalysis analyze(const RunResult& r, const AnalysisOptions& options) {
  const Family& f = family_of(r.scenario);
  if (sharding::sharded(r.scenario)) return analyze_run(r, sharding::analysis(r.scenario, f), options);
  return analyze_run(r, f.analysis, options);
}

}  // namespace synod::sim::registry
