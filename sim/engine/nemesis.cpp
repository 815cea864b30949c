#include "sim/engine/nemesis.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/engine/network.hpp"
#include "sim/engine/recorder.hpp"

namespace synod::sim {

namespace {
// Defaults for random faults, whose menu gives no parameters.
constexpr Nanos kRandomLatencyAdd = 100 * kNanosPerMilli;
constexpr double kRandomLoss = 0.2;
constexpr Nanos kRandomSkew = 500 * kNanosPerMilli;  // ahead or behind, at random
constexpr double kRandomDuplicate = 0.3;
constexpr Nanos kRandomReorder = 20 * kNanosPerMilli;
}  // namespace

Nemesis::Nemesis(const Scenario& scenario, ClusterControl* cluster, Rng rng)
    : scenario_(scenario), cluster_(cluster), rng_(rng) {
  random_active_.resize(scenario_.faults.size());
  for (size_t i = 0; i < scenario_.faults.size(); ++i) {
    const FaultSpec& f = scenario_.faults[i];
    schedule({f.at_ns, 0, f.kind == FaultKind::Random ? Action::Type::RandomTick : Action::Type::Fire,
              i, {}});
  }
}

void Nemesis::schedule(Action a) {
  a.seq = next_seq_++;
  queue_.push(std::move(a));
}

void Nemesis::run() {
  while (!queue_.empty() && queue_.top().at < scenario_.duration_ns) {
    Action a = queue_.top();
    queue_.pop();
    cluster_->sleep_until(a.at);
    const FaultSpec& f = scenario_.faults[a.fault];
    switch (a.type) {
      case Action::Type::Fire: {
        Done d = fire(f, f.kind);
        if (f.for_ns > 0) schedule({a.at + f.for_ns, 0, Action::Type::Undo, a.fault, d});
        break;
      }
      case Action::Type::Undo:
        undo(a.done);
        break;
      case Action::Type::RandomTick:
        random_tick(a.fault, a.at);
        break;
    }
  }
  cluster_->sleep_until(scenario_.duration_ns);
}

void Nemesis::random_tick(size_t i, Nanos now) {
  const FaultSpec& f = scenario_.faults[i];
  undo(random_active_[i]);
  random_active_[i] = Done{};
  const Nanos until = f.until_ns > 0 ? f.until_ns : scenario_.duration_ns;
  if (now >= until || f.menu.empty()) return;
  const RandomChoice choice = f.menu[rng_.below(f.menu.size())];
  const FaultKind kind = choice.kind;
  FaultSpec spec = f;
  spec.kind = kind;
  spec.targets.kind = choice.leader ? TargetSpec::Kind::Leader : TargetSpec::Kind::Random;
  spec.partition.kind =
      choice.leader ? PartitionSpec::Kind::IsolateLeader : PartitionSpec::Kind::MajorityMinority;
  spec.latency_add_ns = kRandomLatencyAdd;
  spec.loss = kRandomLoss;
  spec.duplicate = kRandomDuplicate;
  spec.reorder_ns = kRandomReorder;
  if (kind == FaultKind::Loss || kind == FaultKind::Duplicate || kind == FaultKind::Reorder)
    spec.targets.kind = TargetSpec::Kind::All;
  if (kind == FaultKind::Skew) spec.skew_ns = rng_.below(2) == 0 ? kRandomSkew : -kRandomSkew;
  const Done d = fire(spec, kind);
  random_active_[i] = d;
  const Nanos next = std::min(now + f.every_ns, until);
  schedule({next, 0, Action::Type::RandomTick, i, {}});
  // The same, as a fixed fault.
  FaultSpec fixed;
  fixed.loc = f.loc;
  fixed.kind = kind;
  fixed.at_ns = now;
  fixed.for_ns = next - now;
  fixed.targets.kind = TargetSpec::Kind::Names;
  fixed.targets.nodes = d.nodes;
  fixed.latency_add_ns = spec.latency_add_ns;
  fixed.loss = spec.loss;
  fixed.duplicate = spec.duplicate;
  fixed.reorder_ns = spec.reorder_ns;
  fixed.skew_ns = spec.skew_ns;
  fixed.partition.kind = PartitionSpec::Kind::Groups;
  fixed.partition.groups = d.groups;
  const bool did_nothing = kind == FaultKind::Partition ? d.groups.size() < 2 : d.nodes.empty();
  if (!did_nothing && fixed.for_ns > 0) random_fired_.push_back(std::move(fixed));
}

Nemesis::Done Nemesis::fire(const FaultSpec& f, FaultKind kind) {
  Done d;
  d.kind = kind;
  Network& net = cluster_->network();
  switch (kind) {
    case FaultKind::Crash:
      for (NodeId n : resolve(f.targets))
        if (cluster_->is_up(n)) {
          cluster_->crash(n);
          d.nodes.push_back(n);
        }
      record("crash", d.nodes, d.nodes.empty() ? "no live target" : "");
      break;
    case FaultKind::Restart:
      for (NodeId n : resolve(f.targets))
        if (!cluster_->is_up(n)) {
          cluster_->restart(n);
          d.nodes.push_back(n);
        }
      record("restart", d.nodes, d.nodes.empty() ? "no crashed target" : "");
      break;
    case FaultKind::Partition: {
      auto groups = partition_groups(f.partition);
      std::vector<std::string> shown;
      if (f.partition.kind == PartitionSpec::Kind::Bridge && groups.size() == 3) {
        // groups[0] and groups[1] cannot talk; the bridge (groups[2]) talks to everyone.
        net.clear_partitions();
        for (NodeId a : groups[0])
          for (NodeId b : groups[1]) {
            net.cut(a, b);
            net.cut(b, a);
          }
      } else {
        std::vector<int> group_of(scenario_.node_count(), 0);
        for (size_t g = 0; g < groups.size(); ++g)
          for (NodeId n : groups[g]) group_of[n] = static_cast<int>(g);
        net.set_partition(group_of);
      }
      for (const auto& g : groups) shown.push_back(fmt::format("{}", fmt::join(names(g), ",")));
      d.groups = groups;
      FaultRecord r{cluster_->now(), "partition", shown,
                    f.partition.kind == PartitionSpec::Kind::Bridge ? "last group is the bridge" : ""};
      records_.push_back(r);
      cluster_->recorder().nemesis_event(cluster_->now(), -1, 0, "partition",
                                         fmt::format("{}", fmt::join(shown, " | ")));
      break;
    }
    case FaultKind::Cut:
      for (NodeId a : f.cut_from)
        for (NodeId b : f.cut_to) net.cut(a, b);
      d.nodes = f.cut_from;
      record("cut", f.cut_from, fmt::format("to {}", fmt::join(names(f.cut_to), ",")));
      break;
    case FaultKind::Heal: {
      const bool mangling = net.mangling();
      net.heal();
      bool skewed = false;
      for (NodeId n = 0; n < scenario_.node_count(); ++n) {
        if (cluster_->clock_offset(n) == 0) continue;
        cluster_->set_clock_offset(n, 0);
        skewed = true;
      }
      // (Duplicate and reorder windows are named only when one was on: older outputs keep their text.)
      std::vector<std::string> what = {"partitions", "cuts", "latency", "loss"};
      if (mangling) what.insert(what.end(), {"duplicate", "reorder"});
      if (skewed) what.push_back("clock skew");
      const std::string last = what.back();
      what.pop_back();
      record("heal", {}, fmt::format("{} and {} cleared", fmt::join(what, ", "), last));
      break;
    }
    case FaultKind::Skew:
      d.nodes = resolve(f.targets);
      d.skew = f.skew_ns;
      for (NodeId n : d.nodes) cluster_->set_clock_offset(n, cluster_->clock_offset(n) + f.skew_ns);
      record("skew", d.nodes,
             f.skew_ns > 0 ? fmt::format("clock {} ahead", format_duration(f.skew_ns))
                           : fmt::format("clock {} behind", format_duration(-f.skew_ns)));
      break;
    case FaultKind::Latency:
      d.nodes = resolve(f.targets);
      d.latency_add = f.latency_add_ns;
      for (NodeId n : d.nodes) net.add_latency(n, f.latency_add_ns);
      record("latency", d.nodes, fmt::format("+{}", format_duration(f.latency_add_ns)));
      break;
    case FaultKind::Loss:
      d.nodes = resolve(f.targets);
      for (NodeId n : d.nodes) net.set_loss(n, f.loss);
      record("loss", d.nodes, fmt::format("p={}", f.loss));
      break;
    case FaultKind::Duplicate:
      d.nodes = resolve(f.targets);
      for (NodeId n : d.nodes) net.set_duplicate(n, f.duplicate);
      record("duplicate", d.nodes, fmt::format("p={}", f.duplicate));
      break;
    case FaultKind::Reorder:
      d.nodes = resolve(f.targets);
      for (NodeId n : d.nodes) net.set_reorder(n, f.reorder_ns);
      record("reorder", d.nodes, fmt::format("+[0, {}] per message", format_duration(f.reorder_ns)));
      break;
    case FaultKind::Join:
    case FaultKind::Leave: {
      std::vector<NodeId> m = cluster_->members();
      const std::vector<NodeId> named =
          f.targets.kind == TargetSpec::Kind::Names ? f.targets.nodes : resolve(f.targets);
      for (NodeId n : named) {
        const auto it = std::find(m.begin(), m.end(), n);
        if (kind == FaultKind::Join && it == m.end()) {
          m.insert(std::upper_bound(m.begin(), m.end(), n), n);
          d.nodes.push_back(n);
        } else if (kind == FaultKind::Leave && it != m.end()) {
          m.erase(it);
          d.nodes.push_back(n);
        }
      }
      if (!d.nodes.empty()) cluster_->set_members(m);
      record(kind == FaultKind::Join ? "join" : "leave", d.nodes,
             d.nodes.empty() ? (kind == FaultKind::Join ? "already members" : "not members")
                             : fmt::format("{} members", m.size()));
      break;
    }
    case FaultKind::Transfer: {
      const NodeId leader = cluster_->recorder().leader();
      NodeId to = kNoNode;
      if (f.targets.kind == TargetSpec::Kind::Random) {
        for (NodeId i : shuffled_nodes())
          if (i != leader && cluster_->is_up(i) && to == kNoNode) to = i;
      } else {
        to = f.targets.nodes.front();
      }
      if (leader == kNoNode || !cluster_->is_up(leader) || to == kNoNode || to == leader) {
        record("transfer", to == kNoNode ? std::vector<NodeId>{} : std::vector<NodeId>{to},
               leader == kNoNode || !cluster_->is_up(leader) ? "no leader: nothing to transfer"
                                                             : "already the leader");
        break;
      }
      d.nodes = {leader, to};
      cluster_->transfer_leadership(leader, to);
      record("transfer", d.nodes,
             fmt::format("{} asked to hand leadership to {}", scenario_.cluster.node_names[leader],
                         scenario_.cluster.node_names[to]));
      break;
    }
    case FaultKind::Random:
      break;  // handled by random_tick
  }
  return d;
}

void Nemesis::undo(const Done& d) {
  Network& net = cluster_->network();
  switch (d.kind) {
    case FaultKind::Crash: {
      std::vector<NodeId> restarted;
      for (NodeId n : d.nodes)
        if (!cluster_->is_up(n)) {
          cluster_->restart(n);
          restarted.push_back(n);
        }
      if (!restarted.empty()) record("restart", restarted, "end of crash window");
      break;
    }
    case FaultKind::Partition:
    case FaultKind::Cut:
      net.clear_partitions();
      record("heal", {}, "end of partition window");
      break;
    case FaultKind::Latency:
      for (NodeId n : d.nodes) net.add_latency(n, -d.latency_add);
      record("latency", d.nodes, fmt::format("-{} (end of window)", format_duration(d.latency_add)));
      break;
    case FaultKind::Loss:
      for (NodeId n : d.nodes) net.set_loss(n, 0);
      record("loss", d.nodes, "p=0 (end of window)");
      break;
    case FaultKind::Duplicate:
      for (NodeId n : d.nodes) net.set_duplicate(n, 0);
      record("duplicate", d.nodes, "p=0 (end of window)");
      break;
    case FaultKind::Reorder:
      for (NodeId n : d.nodes) net.set_reorder(n, 0);
      record("reorder", d.nodes, "off (end of window)");
      break;
    case FaultKind::Skew:
      for (NodeId n : d.nodes) cluster_->set_clock_offset(n, cluster_->clock_offset(n) - d.skew);
      record("skew", d.nodes, "clock back to true time (end of window)");
      break;
    case FaultKind::Restart:
    case FaultKind::Heal:
    case FaultKind::Random:
    case FaultKind::Join:   // membership changes have no window ('for' is refused at load)
    case FaultKind::Leave:
    case FaultKind::Transfer:
      break;  // nothing to undo
  }
}

std::vector<NodeId> Nemesis::shuffled_nodes() {
  std::vector<NodeId> v(scenario_.node_count());
  for (NodeId i = 0; i < static_cast<NodeId>(v.size()); ++i) v[i] = i;
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng_.below(i)]);  // Fisher-Yates
  return v;
}

std::vector<NodeId> Nemesis::resolve(const TargetSpec& t) {
  const int n = scenario_.node_count();
  const NodeId leader = cluster_->recorder().leader();
  std::vector<NodeId> out;
  switch (t.kind) {
    case TargetSpec::Kind::Names:
      out = t.nodes;
      break;
    case TargetSpec::Kind::Leader:
      if (leader != kNoNode && cluster_->is_up(leader)) out.push_back(leader);
      break;
    case TargetSpec::Kind::Followers:
      for (NodeId i = 0; i < n; ++i)
        if (i != leader && cluster_->is_up(i)) out.push_back(i);
      break;
    case TargetSpec::Kind::Random: {
      std::vector<NodeId> live;
      for (NodeId i : shuffled_nodes())
        if (cluster_->is_up(i)) live.push_back(i);
      if (!live.empty()) out.push_back(live.front());
      break;
    }
    case TargetSpec::Kind::RandomMinority:
    case TargetSpec::Kind::Majority: {
      const size_t k = t.kind == TargetSpec::Kind::Majority ? n / 2 + 1 : (n - 1) / 2;
      out = shuffled_nodes();
      out.resize(std::min(k, out.size()));
      break;
    }
    case TargetSpec::Kind::All:
      for (NodeId i = 0; i < n; ++i) out.push_back(i);
      break;
    case TargetSpec::Kind::Crashed:
      for (NodeId i = 0; i < n; ++i)
        if (!cluster_->is_up(i)) out.push_back(i);
      break;
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::vector<NodeId>> Nemesis::partition_groups(const PartitionSpec& p) {
  const int n = scenario_.node_count();
  std::vector<std::vector<NodeId>> groups;
  switch (p.kind) {
    case PartitionSpec::Kind::Groups: {
      std::vector<bool> listed(n, false);
      for (const auto& g : p.groups) {
        groups.push_back(g);
        for (NodeId x : g) listed[x] = true;
      }
      std::vector<NodeId> rest;
      for (NodeId i = 0; i < n; ++i)
        if (!listed[i]) rest.push_back(i);
      if (!rest.empty()) groups.push_back(rest);
      break;
    }
    case PartitionSpec::Kind::IsolateLeader: {
      NodeId leader = cluster_->recorder().leader();
      if (leader == kNoNode) leader = shuffled_nodes().front();
      std::vector<NodeId> rest;
      for (NodeId i = 0; i < n; ++i)
        if (i != leader) rest.push_back(i);
      groups = {{leader}, rest};
      break;
    }
    case PartitionSpec::Kind::MajorityMinority:
    case PartitionSpec::Kind::Halves: {
      auto v = shuffled_nodes();
      size_t cut = p.kind == PartitionSpec::Kind::MajorityMinority ? n / 2 + 1 : n / 2;
      groups = {{v.begin(), v.begin() + cut}, {v.begin() + cut, v.end()}};
      break;
    }
    case PartitionSpec::Kind::Bridge: {
      auto v = shuffled_nodes();
      NodeId bridge = v.back();
      v.pop_back();
      size_t half = v.size() / 2;
      groups = {{v.begin(), v.begin() + half}, {v.begin() + half, v.end()}, {bridge}};
      break;
    }
  }
  for (auto& g : groups) std::sort(g.begin(), g.end());
  return groups;
}

std::vector<std::string> Nemesis::names(const std::vector<NodeId>& nodes) const {
  std::vector<std::string> out;
  for (NodeId n : nodes) out.push_back(scenario_.cluster.node_names[n]);
  return out;
}

void Nemesis::record(const std::string& kind, const std::vector<NodeId>& nodes,
                     const std::string& detail) {
  records_.push_back({cluster_->now(), kind, names(nodes), detail});
  std::string text = fmt::format("{}", fmt::join(names(nodes), ","));
  if (!detail.empty()) text += (text.empty() ? "" : " ") + detail;
  if (kind == "crash" || kind == "restart") {
    // One event per node, so a node's timeline shows its own crashes and restarts.
    for (NodeId n : nodes)
      cluster_->recorder().nemesis_event(cluster_->now(), n, cluster_->network().incarnation(n),
                                         kind, detail);
  } else {
    cluster_->recorder().nemesis_event(cluster_->now(), -1, 0, kind, text);
  }
}

std::vector<NodeId> Nemesis::crashed() const {
  std::vector<NodeId> out;
  for (NodeId i = 0; i < scenario_.node_count(); ++i)
    if (!cluster_->is_up(i)) out.push_back(i);
  return out;
}

}  // namespace synod::sim
