// Paxos-family invariants from events (see events.hpp for what each one means).
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "analysis/events.hpp"

namespace synod::analysis {

namespace {

std::string node_name(int node, const std::vector<std::string>& names) {
  return node >= 0 && node < static_cast<int>(names.size()) ? names[node] : fmt::format("#{}", node);
}

class PaxosChecker {
 public:
  explicit PaxosChecker(const std::vector<std::string>& names)
      : names_(names), majority_(names.size() / 2 + 1) {}

  void on_event(const RunEvent& e) {
    if (e.type == "promise") on_promise(e);
    else if (e.type == "accept") on_accept(e);
    else if (e.type == "learn") on_learn(e);
    else if (e.type == "apply") on_apply(e);
    else if (e.type == "role" && e.role == "leader") on_leader(e);
  }

  InvariantReport report() && {
    InvariantReport r;
    r.checked = {"paxos-agreement", "learned-is-chosen", "promise-kept", "applied-prefix",
                 "election-safety"};
    r.violations = std::move(violations_);
    return r;
  }

 private:
  void violation(double t, const char* name, std::string detail) {
    violations_.push_back({t, name, std::move(detail)});
  }

  void on_promise(const RunEvent& e) {
    int64_t& p = e.index == 0 ? promised_all_[e.node] : promised_[{e.node, e.index}];
    p = std::max(p, e.term);
  }

  void on_accept(const RunEvent& e) {
    const int64_t floor = std::max(promised_all_[e.node], promised_[{e.node, e.index}]);
    if (e.term < floor)
      violation(e.time_s, "promise-kept",
                fmt::format("{} accepted ballot {} in slot {} after promising ballot {}",
                            node_name(e.node, names_), e.term, e.index, floor));
    auto& voters = accepted_by_[{e.index, e.term, e.command}];
    voters.insert(e.node);
    if (voters.size() != majority_) return;  // chosen exactly when the majority is reached
    auto [it, fresh] = chosen_.emplace(e.index, std::make_pair(e.command, e.term));
    if (!fresh && it->second.first != e.command)
      violation(e.time_s, "paxos-agreement",
                fmt::format("slot {}: '{}' chosen in ballot {} after '{}' was chosen in ballot {}",
                            e.index, e.command, e.term, it->second.first, it->second.second));
  }

  void on_learn(const RunEvent& e) {
    auto it = chosen_.find(e.index);
    if (it == chosen_.end())
      violation(e.time_s, "learned-is-chosen",
                fmt::format("{} learned '{}' in slot {} but no majority of acceptors accepted a value "
                            "there yet",
                            node_name(e.node, names_), e.command, e.index));
    else if (it->second.first != e.command)
      violation(e.time_s, "learned-is-chosen",
                fmt::format("{} learned '{}' in slot {} but '{}' was chosen there",
                            node_name(e.node, names_), e.command, e.index, it->second.first));
  }

  void on_apply(const RunEvent& e) {
    auto [it, fresh] = applied_.emplace(e.index, std::make_pair(e.command, e.node));
    if (!fresh && it->second.first != e.command)
      violation(e.time_s, "applied-prefix",
                fmt::format("slot {}: {} applied '{}' but {} applied '{}'", e.index,
                            node_name(it->second.second, names_), it->second.first,
                            node_name(e.node, names_), e.command));
  }

  void on_leader(const RunEvent& e) {
    auto [it, fresh] = leader_of_ballot_.emplace(e.term, e.node);
    if (!fresh && it->second != e.node)
      violation(e.time_s, "election-safety",
                fmt::format("two leaders with ballot {}: {} and {}", e.term,
                            node_name(it->second, names_), node_name(e.node, names_)));
  }

  const std::vector<std::string>& names_;
  const size_t majority_;
  std::vector<InvariantViolation> violations_;
  std::map<int, int64_t> promised_all_;                         // acceptor → ballot (all slots)
  std::map<std::pair<int, int64_t>, int64_t> promised_;         // (acceptor, slot) → ballot
  std::map<std::tuple<int64_t, int64_t, std::string>, std::set<int>> accepted_by_;
  std::map<int64_t, std::pair<std::string, int64_t>> chosen_;   // slot → (command, ballot)
  std::map<int64_t, std::pair<std::string, int>> applied_;      // slot → (command, first node)
  std::map<int64_t, int> leader_of_ballot_;
};

}  // namespace

InvariantReport check_paxos_invariants(const std::vector<RunEvent>& events,
                                       const std::vector<std::string>& node_names) {
  PaxosChecker c(node_names);
  for (const RunEvent& e : events) c.on_event(e);
  return std::move(c).report();
}

}  // namespace synod::analysis
