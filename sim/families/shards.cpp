#include "sim/families/shards.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "analysis/groups.hpp"
#include "protocols/shards/shard_host.hpp"
#include "sim/engine/client.hpp"
#include "sim/report/svg.hpp"

namespace synod::sim::sharding {

namespace {

using ojson = nlohmann::ordered_json;

class ShardedFactory final : public ProtocolFactory {
 public:
  ShardedFactory(const Scenario& s, const Family& f) : map_(shard_map(s)) {
    // Each group's protocol sees a cluster of R nodes: the scenario with its first R node names.
    Scenario group = s;
    group.cluster.node_names.resize(map_->replication());
    if (group.cluster.hosts.size() > group.cluster.node_names.size())
      group.cluster.hosts.resize(group.cluster.node_names.size());
    for (int g = 0; g < map_->shards(); ++g) inner_.push_back(f.make_factory(group));
  }
  std::unique_ptr<ProtocolNode> make_node(NodeId id, Rng rng) override {
    return std::make_unique<shards::ShardHost>(
        id, map_, [this](int g, NodeId local, Rng r) { return inner_[g]->make_node(local, r); },
        rng);
  }
  uint64_t storage_writes() const override {
    uint64_t w = 0;
    for (const auto& f : inner_) w += f->storage_writes();
    return w;
  }

 private:
  std::shared_ptr<const shards::ShardMap> map_;
  std::vector<std::unique_ptr<ProtocolFactory>> inner_;
};

double max_over_mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double sum = 0, mx = 0;
  for (double x : v) {
    sum += x;
    mx = std::max(mx, x);
  }
  return sum > 0 ? mx / (sum / static_cast<double>(v.size())) : 0;
}

// Per group: load from the history (completed ops, keys touched, bytes acknowledged as written:
// key plus an 8-byte value per write or cas), and leadership from the events (who leads at the
// end: the last node to become leader, unless it stepped down or crashed since).
void shards_section(const RunResult& r, RunAnalysis* a) {
  const auto map = shard_map(r.scenario);
  const auto& names = r.scenario.cluster.node_names;
  const int k = map->shards();
  std::vector<double> ops(k, 0), bytes(k, 0);
  std::vector<std::set<std::string>> keys(k);
  for (const HistoryOp& h : r.history) {
    const int g = map->group_of(h.key);
    if (h.type == HistoryOp::Type::Invoke) {
      keys[g].insert(h.key);
      continue;
    }
    if (h.type != HistoryOp::Type::Ok) continue;
    ops[g] += 1;
    if (h.f != OpType::Read) bytes[g] += static_cast<double>(h.key.size() + 8);
  }
  std::vector<NodeId> leader(k, kNoNode);
  std::vector<int64_t> leader_term(k, -1);
  std::vector<int64_t> changes(k, 0);
  for (const auto& e : r.events) {
    if (e.type == "crash") {
      for (int g = 0; g < k; ++g)
        if (leader[g] == e.node) leader[g] = kNoNode;
      continue;
    }
    if (e.type != "role" || e.group < 0 || e.group >= k) continue;
    if (e.role == "leader") {
      if (e.term >= leader_term[e.group]) {
        leader[e.group] = e.node;
        leader_term[e.group] = e.term;
      }
      changes[e.group]++;
    } else if (leader[e.group] == e.node) {
      leader[e.group] = kNoNode;
    }
  }
  std::vector<double> leads(map->nodes(), 0);
  int leaderless = 0;
  ojson groups = ojson::array();
  std::vector<std::vector<std::string>> rows;
  for (int g = 0; g < k; ++g) {
    ojson members = ojson::array();
    std::string member_list;
    for (NodeId n : map->members(g)) {
      members.push_back(names[n]);
      member_list += (member_list.empty() ? "" : " ") + names[n];
    }
    if (leader[g] == kNoNode) leaderless++;
    else leads[leader[g]] += 1;
    ojson lj = leader[g] == kNoNode ? ojson(nullptr) : ojson(names[leader[g]]);
    groups.push_back({{"group", g}, {"members", members}, {"leader_at_end", lj},
                      {"leaders_elected", changes[g]}, {"keys", keys[g].size()},
                      {"ops", ops[g]}, {"bytes_written", bytes[g]}});
    rows.push_back({std::to_string(g), member_list,
                    leader[g] == kNoNode ? "none" : names[leader[g]], std::to_string(changes[g]),
                    std::to_string(keys[g].size()), fmt::format("{:.0f}", ops[g]),
                    fmt::format("{:.0f}", bytes[g])});
  }
  std::vector<double> keyc;
  for (const auto& s : keys) keyc.push_back(static_cast<double>(s.size()));
  ojson per_node = ojson::array();
  for (int n = 0; n < map->nodes(); ++n)
    per_node.push_back({{"node", names[n]}, {"groups", map->groups_of(n).size()},
                        {"leads", leads[n]}});
  ReportSection s;
  s.key = "shards";
  s.label = "shards";
  s.json["shards"] = k;
  s.json["replication"] = map->replication();
  s.json["placement"] = "key: hash mod shards; group g: replication consecutive nodes from floor(g*n/shards)";
  s.json["groups"] = groups;
  s.json["nodes"] = per_node;
  s.json["imbalance"] = {{"ops_max_over_mean", max_over_mean(ops)},
                         {"keys_max_over_mean", max_over_mean(keyc)},
                         {"bytes_max_over_mean", max_over_mean(bytes)},
                         {"leaders_max_over_mean", max_over_mean(leads)}};
  s.json["groups_without_leader_at_end"] = leaderless;
  s.json["compare"] = {{"ops max/mean", max_over_mean(ops)},
                       {"leaders max/mean", max_over_mean(leads)},
                       {"groups without leader", leaderless}};
  s.line = fmt::format("{} groups of {} on {} nodes; ops max/mean {:.2f}, leaders per node "
                       "max/mean {:.2f}; {} group{} without a leader at the end",
                       k, map->replication(), map->nodes(), max_over_mean(ops),
                       max_over_mean(leads), leaderless, leaderless == 1 ? "" : "s");
  std::vector<std::pair<double, double>> lead_points;
  std::vector<std::string> labels;
  for (int n = 0; n < map->nodes(); ++n) {
    lead_points.push_back({static_cast<double>(n), leads[n]});
    labels.push_back(names[n]);
  }
  if (map->nodes() <= 64)
    s.html = svg_chart("groups led per node at the end", {{"leads", "#1f6feb", lead_points}}, "node",
                       "groups", /*bars=*/true, labels);
  if (k <= 256)
    s.html += html_table({"group", "members", "leader at end", "leaders elected", "keys", "ops",
                          "bytes written"},
                         rows);
  a->sections.push_back(std::move(s));
}

}  // namespace

bool sharded(const Scenario& s) { return s.protocol.shards.count > 0; }

std::shared_ptr<const shards::ShardMap> shard_map(const Scenario& s) {
  return std::make_shared<const shards::ShardMap>(s.node_count(), std::max(1, s.protocol.shards.count),
                                                  sharded(s) ? s.protocol.shards.replication
                                                             : s.node_count());
}

std::unique_ptr<ProtocolFactory> make_factory(const Scenario& s, const Family& f) {
  return std::make_unique<ShardedFactory>(s, f);
}

std::unique_ptr<Workload> make_workload(const Scenario& s) {
  return std::make_unique<KvWorkload>(s.workload, s.node_count(), shard_map(s));
}

AnalysisHooks analysis(const Scenario& s, const Family& f) {
  AnalysisHooks h;
  h.traits = f.analysis.traits;
  h.traits.compare_digests = false;  // nodes hold different groups
  if (f.analysis.invariants) {
    const auto map = shard_map(s);
    std::vector<std::vector<int>> members;
    for (int g = 0; g < map->shards(); ++g)
      members.emplace_back(map->members(g).begin(), map->members(g).end());
    h.invariants = [members, inner = f.analysis.invariants](
                       const std::vector<analysis::RunEvent>& events,
                       const std::vector<std::string>& names) {
      return analysis::check_per_group(events, names, members, inner);
    };
  }
  h.sections = shards_section;
  return h;
}

}  // namespace synod::sim::sharding
