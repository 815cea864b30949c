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
  ShardedFactory(const Scenario& s, const Family& f)
      : map_(shard_map(s)), balance_every_(s.protocol.shards.balance_leaders && f.transfer ? kNanosPerSecond : 0) {
    // Each group's protocol sees a cluster of its slots (R, plus the nodes a rebalance adds to
    // it): the scenario with that many node names; a group that gains nodes starts with its
    // first R slots as the configuration, the others spares its leader adds.
    for (int g = 0; g < map_->shards(); ++g) {
      Scenario group = s;
      const size_t slots = map_->members(g).size();
      group.cluster.node_names.resize(slots);
      if (group.cluster.hosts.size() > slots) group.cluster.hosts.resize(slots);
      group.cluster.members.clear();
      if (slots > static_cast<size_t>(map_->replication()))
        for (NodeId i = 0; i < map_->replication(); ++i) group.cluster.members.push_back(i);
      inner_.push_back(f.make_factory(group));
    }
  }
  std::unique_ptr<ProtocolNode> make_node(NodeId id, Rng rng) override {
    return std::make_unique<shards::ShardHost>(
        id, map_, [this](int g, NodeId local, Rng r) { return inner_[g]->make_node(local, r); },
        rng, balance_every_);
  }
  uint64_t storage_writes() const override {
    uint64_t w = 0;
    for (const auto& f : inner_) w += f->storage_writes();
    return w;
  }

 private:
  std::shared_ptr<const shards::ShardMap> map_;
  Nanos balance_every_;  // the leader balancer's period (families that hand over: raft)
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

// A replica move's progress, from the group's apply events (the first replica to apply an entry
// is its leader, at commit): the configuration entry that makes the new node a voter (it has
// caught up: every entry before it copied), then the one without the old node.
// entries_copied: the entries before that voter entry, which the new replica had to receive
// (fewer if it held a prefix from an earlier stint in the group).
struct MoveProgress {
  double voter_at = -1, removed_at = -1;
  int64_t entries_copied = -1;
};

MoveProgress move_progress(const RunResult& r, const shards::ShardMap& map, const shards::Move& m,
                           double from_s) {
  auto has_slot = [](const std::string& config, int slot) {
    // "config 0 1 3": the voters as slots
    const std::string tok = " " + std::to_string(slot);
    size_t at = 0;
    while ((at = config.find(tok, at)) != std::string::npos) {
      const size_t end = at + tok.size();
      if (end == config.size() || config[end] == ' ') return true;
      at = end;
    }
    return false;
  };
  const int to = map.local_index(m.group, m.to), from = map.local_index(m.group, m.from);
  MoveProgress p;
  // Only entries appended after the step count: a replica catching up (one added back, say)
  // applies old configuration entries late.
  int64_t applied_before = 0;
  for (const auto& e : r.events)
    if (e.group == m.group && e.type == "apply" && e.time_s < from_s)
      applied_before = std::max(applied_before, e.index);
  for (const auto& e : r.events) {
    if (e.group != m.group || e.type != "apply" || e.time_s < from_s ||
        e.index <= applied_before || e.command.rfind("config", 0) != 0)
      continue;
    if (p.voter_at < 0 && has_slot(e.command, to)) {
      p.voter_at = e.time_s;
      p.entries_copied = e.index - 1;
    }
    if (p.voter_at >= 0 && p.removed_at < 0 && !has_slot(e.command, from)) p.removed_at = e.time_s;
  }
  return p;
}

void rebalance_section(const RunResult& r, const shards::ShardMap& map, int step,
                       const std::vector<double>& step_at,
                       const std::vector<std::set<std::string>>& keys, ReportSection* s,
                       std::string* line) {
  const auto& names = r.scenario.cluster.node_names;
  ojson moves = ojson::array();
  std::vector<std::vector<std::string>> rows;
  std::set<int> moved;
  int done = 0, total = 0;
  double longest = 0;
  int64_t copied = 0;
  for (int st = 1; st <= step; ++st) {
    for (const shards::Move& m : map.moves(st)) {
      const MoveProgress p = move_progress(r, map, m, step_at[st]);
      ++total;
      moved.insert(m.group);
      if (p.removed_at >= 0) {
        ++done;
        longest = std::max(longest, p.removed_at - step_at[st]);
      }
      if (p.entries_copied > 0) copied += p.entries_copied;
      auto t = [](double x) { return x < 0 ? ojson(nullptr) : ojson(x); };
      moves.push_back({{"step", st}, {"at_s", step_at[st]}, {"group", m.group},
                       {"from", names[m.from]}, {"to", names[m.to]}, {"voter_at_s", t(p.voter_at)},
                       {"removed_at_s", t(p.removed_at)},
                       {"entries_copied", p.entries_copied < 0 ? ojson(nullptr)
                                                               : ojson(p.entries_copied)}});
      auto cell = [](double x) { return x < 0 ? std::string("not yet") : fmt::format("{:.3f}", x); };
      rows.push_back({std::to_string(st), fmt::format("{:.3f}", step_at[st]), std::to_string(m.group),
                      names[m.from], names[m.to], cell(p.voter_at), cell(p.removed_at),
                      p.entries_copied < 0 ? "" : std::to_string(p.entries_copied)});
    }
  }
  size_t all_keys = 0, moved_keys = 0;
  for (size_t g = 0; g < keys.size(); ++g) {
    all_keys += keys[g].size();
    if (moved.count(static_cast<int>(g)) != 0) moved_keys += keys[g].size();
  }
  const double frac = all_keys == 0 ? 0 : static_cast<double>(moved_keys) / static_cast<double>(all_keys);
  s->json["rebalance"] = {
      {"planner", "by replica count: a leaving node's replicas to the least loaded; a joining "
                  "node takes floor(total/members) from the most loaded"},
      {"steps_run", step},
      {"moves", total},
      {"moves_done", done},
      {"groups_moved", moved.size()},
      {"keys_moved_fraction", frac},
      {"entries_copied", copied},
      {"longest_move_s", longest},
      {"replica_moves", moves}};
  s->html += html_table({"step", "at (s)", "group", "from", "to", "voter at (s)", "old removed at (s)",
                         "entries copied"},
                        rows);
  s->json["compare"]["replica moves done"] = fmt::format("{}/{}", done, total);
  s->json["compare"]["keys moved"] = frac;
  *line = fmt::format("; {} replica move{} ({} done, longest {:.3f} s), {:.1f}% of keys moved, "
                      "{} log entries copied",
                      total, total == 1 ? "" : "s", done, longest, 100 * frac, copied);
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
  // The plan's step reached by the end: one per join or leave that changed the membership.
  int step = 0;
  std::vector<double> step_at = {0};
  for (const FaultRecord& f : r.faults)
    if ((f.kind == "join" || f.kind == "leave") && !f.targets.empty() && step < map->steps()) {
      ++step;
      step_at.push_back(to_seconds(f.time));
    }
  std::vector<double> leads(map->nodes(), 0);
  int leaderless = 0;
  ojson groups = ojson::array();
  std::vector<std::vector<std::string>> rows;
  for (int g = 0; g < k; ++g) {
    ojson members = ojson::array();
    std::string member_list;
    for (NodeId n : map->members_at(g, step)) {
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
    per_node.push_back({{"node", names[n]}, {"groups", map->groups_at(n, step).size()},
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
  std::string rebalance_line;
  if (map->steps() > 0) rebalance_section(r, *map, step, step_at, keys, &s, &rebalance_line);
  s.line = fmt::format("{} groups of {} on {} nodes; ops max/mean {:.2f}, leaders per node "
                       "max/mean {:.2f}; {} group{} without a leader at the end",
                       k, map->replication(), map->nodes(), max_over_mean(ops),
                       max_over_mean(leads), leaderless, leaderless == 1 ? "" : "s") +
           rebalance_line;
  std::vector<std::pair<double, double>> lead_points;
  std::vector<std::string> labels;
  for (int n = 0; n < map->nodes(); ++n) {
    lead_points.push_back({static_cast<double>(n), leads[n]});
    labels.push_back(names[n]);
  }
  if (map->nodes() <= 64)
    s.html += svg_chart("groups led per node at the end", {{"leads", "#1f6feb", lead_points}}, "node",
                       "groups", /*bars=*/true, labels);
  if (k <= 256)
    s.html += html_table({"group", "members", "leader at end", "leaders elected", "keys", "ops",
                          "bytes written"},
                         rows);
  a->sections.push_back(std::move(s));
}

}  // namespace

bool sharded(const Scenario& s) { return s.protocol.shards.count > 0; }

std::vector<std::vector<NodeId>> membership_changes(const Scenario& s) {
  // As the nemesis applies them (sim/engine/nemesis.cpp): in time order, named nodes only (the
  // registry refuses other targets in a sharded run), a step only when the membership changes.
  std::vector<NodeId> m = initial_members(s);
  std::vector<std::vector<NodeId>> changes;
  for (const FaultSpec& f : s.faults) {
    if (f.kind != FaultKind::Join && f.kind != FaultKind::Leave) continue;
    bool changed = false;
    for (NodeId n : f.targets.nodes) {
      const auto it = std::find(m.begin(), m.end(), n);
      if (f.kind == FaultKind::Join && it == m.end()) {
        m.insert(std::upper_bound(m.begin(), m.end(), n), n);
        changed = true;
      } else if (f.kind == FaultKind::Leave && it != m.end()) {
        m.erase(it);
        changed = true;
      }
    }
    if (changed) changes.push_back(m);
  }
  return changes;
}

std::vector<NodeId> initial_members(const Scenario& s) {
  if (!s.cluster.members.empty()) return {s.cluster.members.begin(), s.cluster.members.end()};
  std::vector<NodeId> all;
  for (NodeId i = 0; i < s.node_count(); ++i) all.push_back(i);
  return all;
}

std::shared_ptr<const shards::ShardMap> shard_map(const Scenario& s) {
  if (!sharded(s)) return std::make_shared<const shards::ShardMap>(s.node_count(), 1, s.node_count());
  return std::make_shared<const shards::ShardMap>(s.node_count(), s.protocol.shards.count,
                                                  s.protocol.shards.replication, initial_members(s),
                                                  membership_changes(s));
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
