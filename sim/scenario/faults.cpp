// The faults section: the nemesis's schedule. Each fault has a time (`at`), one action (crash,
// restart, partition, cut, heal, latency, loss, duplicate, reorder, skew, random, join, leave,
// transfer) and, for some, a window (`for`) after which it is undone. Keys in docs/scenarios.md, "faults".
#include <fmt/format.h>

#include <algorithm>

#include "sim/scenario/sections.hpp"

namespace synod::sim {

namespace {

const std::vector<std::string> kFaultTimingKeys = {"at", "for", "every", "until"};
const std::vector<std::string> kFaultActions = {"crash", "restart", "partition", "cut",
                                                "heal",  "latency", "loss",      "random",
                                                "skew",  "join",    "leave",     "transfer",
                                                "duplicate", "reorder"};
// Random menu entries: the name and what it fires (docs/scenarios.md, "Random faults").
const std::vector<std::pair<std::string, RandomChoice>> kRandomMenu = {
    {"crash", {FaultKind::Crash, false}},         {"crash-leader", {FaultKind::Crash, true}},
    {"partition", {FaultKind::Partition, false}}, {"isolate-leader", {FaultKind::Partition, true}},
    {"latency", {FaultKind::Latency, false}},     {"loss", {FaultKind::Loss, false}},
    {"duplicate", {FaultKind::Duplicate, false}}, {"reorder", {FaultKind::Reorder, false}},
    {"skew", {FaultKind::Skew, false}}};
const std::vector<std::string> kPartitionShapes = {"isolate-leader", "majority-minority", "bridge",
                                                   "halves"};

void fault_action(const Reader& rd, const Item& v, FaultSpec* f);
TargetSpec targets(const Reader& rd, const Item& item, FaultKind kind);
PartitionSpec partition(const Reader& rd, const Item& item);

FaultSpec fault(const Reader& rd, const Item& item) {
  if (!item.node.IsMap()) {
    rd.fail(item, "expected a fault like {at: 5s, crash: leader}, got " + describe(item.node));
  }
  FaultSpec f;
  f.loc = SourceLoc{item.mark.line + 1, item.mark.column + 1};
  // Sorted out by hand rather than with Fields: the action is whichever key is not a timing key.
  std::vector<std::pair<std::string, std::pair<YAML::Node, YAML::Node>>> entries;
  int action = -1;  // index into entries
  for (auto it = item.node.begin(); it != item.node.end(); ++it) {
    const std::string key = rd.key_text(it->first);
    rd.check_duplicate(entries, key, it->first);
    entries.push_back({key, {it->first, it->second}});
    if (contains(kFaultTimingKeys, key)) continue;
    if (!contains(kFaultActions, key)) {
      rd.fail(it->first.Mark(),
           fmt::format("unknown fault '{}' ({}expected one of: {})", key,
                       did_you_mean(key, kFaultActions), join(kFaultActions)));
    }
    if (action >= 0) {
      rd.fail(it->first.Mark(),
           fmt::format("a fault has exactly one action; this one has '{}' and '{}' (write two "
                       "faults)",
                       entries[action].first, key));
    }
    action = static_cast<int>(entries.size()) - 1;
  }
  if (action < 0) {
    rd.fail(item, fmt::format("fault has no action (expected one of: {})", join(kFaultActions)));
  }
  const std::string action_key = entries[action].first;
  for (FaultKind k : {FaultKind::Crash, FaultKind::Restart, FaultKind::Partition, FaultKind::Cut,
                      FaultKind::Heal, FaultKind::Latency, FaultKind::Loss, FaultKind::Random,
                      FaultKind::Skew, FaultKind::Join, FaultKind::Leave, FaultKind::Transfer,
                      FaultKind::Duplicate, FaultKind::Reorder}) {
    if (action_key == fault_kind_name(k)) f.kind = k;
  }

  auto find = [&entries](const std::string& key) -> const std::pair<YAML::Node, YAML::Node>* {
    for (const auto& e : entries) {
      if (e.first == key) return &e.second;
    }
    return nullptr;
  };
  const auto* at = find("at");
  if (at == nullptr) rd.fail(item, fmt::format("missing required key 'at' in {} fault", action_key));
  const Item at_item = value_item(at->first, at->second);
  f.at_ns = rd.duration(at_item);
  if (f.at_ns > rd.duration_ns()) {
    rd.fail(at_item, fmt::format("fault at {} is after the end of the run (duration {})",
                              format_duration(f.at_ns), format_duration(rd.duration_ns())));
  }

  if (const auto* fo = find("for")) {
    if (f.kind == FaultKind::Restart || f.kind == FaultKind::Heal || f.kind == FaultKind::Random ||
        f.kind == FaultKind::Join || f.kind == FaultKind::Leave || f.kind == FaultKind::Transfer) {
      rd.fail(fo->first.Mark(), fmt::format("'for' does not apply to a {} fault (only crash, "
                                         "partition, cut, latency, loss, duplicate, reorder and skew are undone)",
                                         action_key));
    }
    f.for_ns = rd.positive_duration(value_item(fo->first, fo->second));
  }
  const auto* every = find("every");
  const auto* until = find("until");
  if (f.kind != FaultKind::Random) {
    for (const auto* k : {every, until}) {
      if (k != nullptr) {
        rd.fail(k->first.Mark(),
             fmt::format("'{}' applies only to a random fault", k->first.Scalar()));
      }
    }
  } else {
    if (every == nullptr) rd.fail(item, "missing required key 'every' in random fault");
    f.every_ns = rd.positive_duration(value_item(every->first, every->second));
    f.until_ns = rd.duration_ns();
    if (until != nullptr) {
      const Item ui = value_item(until->first, until->second);
      f.until_ns = rd.duration(ui);
      if (f.until_ns < f.at_ns || f.until_ns > rd.duration_ns()) {
        rd.fail(ui, fmt::format("until {} must be between at {} and the end of the run (duration {})",
                             format_duration(f.until_ns), format_duration(f.at_ns),
                             format_duration(rd.duration_ns())));
      }
    }
  }
  fault_action(rd, value_item(entries[action].second.first, entries[action].second.second), &f);
  return f;
}

void fault_action(const Reader& rd, const Item& v, FaultSpec* f) {
  switch (f->kind) {
    case FaultKind::Crash:
    case FaultKind::Restart:
      f->targets = targets(rd, v, f->kind);
      break;
    case FaultKind::Partition:
      f->partition = partition(rd, v);
      break;
    case FaultKind::Cut: {
      Fields c(rd, v, "cut", {"from", "to"});
      f->cut_from = rd.node_set(c.required("from"), "cut.from");
      f->cut_to = rd.node_set(c.required("to"), "cut.to");
      for (int x : f->cut_to) {
        if (std::find(f->cut_from.begin(), f->cut_from.end(), x) != f->cut_from.end()) {
          rd.fail(c.get("to"), fmt::format("node '{}' is in both from and to", rd.node_names()[x]));
        }
      }
      break;
    }
    case FaultKind::Heal:
      if (rd.text(v, "all") != "all") {
        rd.fail(v, fmt::format("heal takes only 'all', got '{}'", v.node.Scalar()));
      }
      break;
    case FaultKind::Latency: {
      Fields l(rd, v, "latency fault", {"targets", "add"});
      f->targets = targets(rd, l.required("targets"), f->kind);
      f->latency_add_ns = rd.positive_duration(l.required("add"));
      break;
    }
    case FaultKind::Loss: {
      Fields l(rd, v, "loss fault", {"targets", "p"});
      f->targets = targets(rd, l.required("targets"), f->kind);
      f->loss = rd.probability(l.required("p"));
      break;
    }
    case FaultKind::Duplicate: {
      Fields l(rd, v, "duplicate fault", {"targets", "p"});
      f->targets = targets(rd, l.required("targets"), f->kind);
      f->duplicate = rd.probability(l.required("p"));
      break;
    }
    case FaultKind::Reorder: {
      Fields l(rd, v, "reorder fault", {"targets", "spread"});
      f->targets = targets(rd, l.required("targets"), f->kind);
      f->reorder_ns = rd.positive_duration(l.required("spread"));
      break;
    }
    case FaultKind::Skew: {
      // {targets: n1, ahead: 300ms} or {targets: n1, behind: 300ms}
      Fields l(rd, v, "skew fault", {"targets", "ahead", "behind"});
      f->targets = targets(rd, l.required("targets"), f->kind);
      if (l.has("ahead") == l.has("behind")) {
        rd.fail(v, "a skew fault needs exactly one of 'ahead' or 'behind' (a duration)");
      }
      f->skew_ns = l.has("ahead") ? rd.positive_duration(l.get("ahead"))
                                  : -rd.positive_duration(l.get("behind"));
      break;
    }
    case FaultKind::Join:
    case FaultKind::Leave: {
      // A node name or a list of names: membership changes name their nodes; a leave may also
      // name the `leader` (whoever leads when it fires).
      if (f->kind == FaultKind::Leave && v.node.IsScalar() && v.node.Scalar() == "leader") {
        f->targets.kind = TargetSpec::Kind::Leader;
        break;
      }
      f->targets.kind = TargetSpec::Kind::Names;
      f->targets.nodes = rd.node_set(v, fault_kind_name(f->kind));
      break;
    }
    case FaultKind::Transfer:
      // One node to hand leadership to, or `random`: a live node other than the leader, drawn
      // when the fault fires.
      if (v.node.IsScalar() && v.node.Scalar() == "random") {
        f->targets.kind = TargetSpec::Kind::Random;
        break;
      }
      if (!v.node.IsScalar()) rd.fail(v, "a transfer names one node (or random), the new leader");
      f->targets.kind = TargetSpec::Kind::Names;
      f->targets.nodes = {rd.node_index(v)};
      break;
    case FaultKind::Random: {
      std::vector<std::string> menu_names;
      for (const auto& [name, choice] : kRandomMenu) menu_names.push_back(name);
      for (const Item& k : rd.list_items(v, "random")) {
        const std::string s = rd.text(k, "a fault kind");
        const auto it = std::find_if(kRandomMenu.begin(), kRandomMenu.end(),
                                     [&](const auto& e) { return e.first == s; });
        if (it == kRandomMenu.end()) {
          rd.fail(k, fmt::format("unknown fault '{}' for random (expected one of: {})", s,
                                 join(menu_names)));
        }
        if (std::find(f->menu.begin(), f->menu.end(), it->second) != f->menu.end()) {
          rd.fail(k, fmt::format("'{}' is listed twice", s));
        }
        f->menu.push_back(it->second);
      }
      if (f->menu.empty()) rd.fail(v, "random needs at least one fault kind to choose from");
      break;
    }
  }
}

// A node name, a list of names, or a word resolved when the fault fires.
TargetSpec targets(const Reader& rd, const Item& item, FaultKind kind) {
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
        rd.fail(item, fmt::format("'{}' is not a target for {} (expected a node name or one of: {})",
                               s, fault_kind_name(kind), join(words)));
      }
      t.kind = k;
      return t;
    }
    if (!contains(rd.node_names(), s)) {
      rd.fail(item, fmt::format("unknown node '{}' (nodes are {}; or one of: {})", s, rd.node_list_text(),
                             join(words)));
    }
  } else if (!item.node.IsSequence()) {
    rd.fail(item, fmt::format("expected a node name, a list of names or one of: {}; got {}",
                           join(words), describe(item.node)));
  }
  t.kind = TargetSpec::Kind::Names;
  t.nodes = rd.node_set(item, fmt::format("{} targets", fault_kind_name(kind)));
  return t;
}

// Explicit groups [[n1, n2], [n3]] (unlisted nodes form one more group) or a named shape.
PartitionSpec partition(const Reader& rd, const Item& item) {
  PartitionSpec p;
  const int n = static_cast<int>(rd.node_names().size());
  if (item.node.IsScalar()) {
    const std::string s = rd.word(item, "partition shape", kPartitionShapes);
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
      rd.fail(item, fmt::format("partition shape '{}' needs at least {} nodes; the cluster has {}", s,
                             need, n));
    }
    return p;
  }
  if (!item.node.IsSequence()) {
    rd.fail(item, fmt::format("expected groups like [[n1, n2], [n3]] or one of: {}; got {}",
                           join(kPartitionShapes), describe(item.node)));
  }
  std::vector<int> group_of(n, -1);
  int listed = 0;
  for (const Item& gi : rd.list_items(item, "partition")) {
    if (!gi.node.IsSequence()) {
      rd.fail(gi, "expected a group of nodes like [n1, n2], got " + describe(gi.node));
    }
    std::vector<int> group;
    for (const Item& ni : rd.list_items(gi, "a partition group")) {
      const int idx = rd.node_index(ni);
      if (group_of[idx] >= 0) {
        rd.fail(ni, fmt::format("node '{}' is in two partition groups", rd.node_names()[idx]));
      }
      group_of[idx] = static_cast<int>(p.groups.size());
      group.push_back(idx);
      ++listed;
    }
    if (group.empty()) rd.fail(gi, "a partition group needs at least one node");
    p.groups.push_back(std::move(group));
  }
  const size_t groups_total = p.groups.size() + (listed < n ? 1 : 0);
  if (groups_total < 2) {
    rd.fail(item, "this partition puts every node in one group, so it separates nothing");
  }
  return p;
}

}  // namespace

std::vector<FaultSpec> read_faults(const Reader& rd, const Item& item) {
  std::vector<FaultSpec> out;
  for (const Item& fi : rd.list_items(item, "faults")) out.push_back(fault(rd, fi));
  // Stable: faults at the same instant fire in file order.
  std::stable_sort(out.begin(), out.end(),
                   [](const FaultSpec& a, const FaultSpec& b) { return a.at_ns < b.at_ns; });
  return out;
}

}  // namespace synod::sim
