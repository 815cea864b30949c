#include "analysis/events.hpp"

#include <map>
#include <utility>

#include <fmt/format.h>

namespace synod::analysis {

namespace {

std::string name_of(int node, const std::vector<std::string>& names) {
  if (node < 0) return "";
  if (node < static_cast<int>(names.size())) return names[node];
  return fmt::format("#{}", node);
}

// Term of `index` in a run-encoded log, or -1 if the log is shorter.
int64_t term_at(const std::vector<LogRun>& log, int64_t index) {
  for (const LogRun& r : log)
    if (index >= r.first && index <= r.last) return r.term;
  return -1;
}

int64_t last_index(const std::vector<LogRun>& log) { return log.empty() ? 0 : log.back().last; }

struct Applied {
  int64_t entry_term;
  std::string command;
  int node;
  double time_s;
};

class Checker {
 public:
  explicit Checker(const std::vector<std::string>& names) : names_(names) {}

  void on_event(const RunEvent& e) {
    if (e.type == "role") on_role(e);
    else if (e.type == "commit") on_commit(e);
    else if (e.type == "apply") on_apply(e);
  }

  InvariantReport report() && {
    InvariantReport r;
    r.checked = {"election-safety",      "log-matching",   "leader-completeness",
                 "state-machine-safety", "term-monotonic", "commit-monotonic"};
    r.violations = std::move(violations_);
    return r;
  }

 private:
  void violation(double t, const char* name, std::string detail) {
    violations_.push_back({t, name, std::move(detail)});
  }

  void on_role(const RunEvent& e) {
    auto [it, fresh] = last_term_.emplace(e.node, e.term);
    if (!fresh) {
      if (e.term < it->second)
        violation(e.time_s, "term-monotonic",
                  fmt::format("{} went from term {} to term {} (incarnation {})",
                              name_of(e.node, names_), it->second, e.term, e.incarnation));
      else
        it->second = e.term;
    }
    if (e.role != "leader") return;
    auto [lt, first_leader] = leader_of_term_.emplace(e.term, e.node);
    if (!first_leader && lt->second != e.node)
      violation(e.time_s, "election-safety",
                fmt::format("two leaders in term {}: {} and {}", e.term, name_of(lt->second, names_),
                            name_of(e.node, names_)));
    check_leader_completeness(e);
    check_log_matching(e);
    leader_logs_.push_back({e.node, e.term, e.log});
  }

  // Every entry applied anywhere so far was committed, so the new leader must hold it (§5.4).
  void check_leader_completeness(const RunEvent& e) {
    for (const auto& [index, a] : applied_) {
      int64_t t = term_at(e.log, index);
      if (t == a.entry_term) continue;
      violation(e.time_s, "leader-completeness",
                fmt::format("{} became leader of term {} without committed entry {} (term {}, "
                            "applied by {} at {:.6f}s); its log has term {} there, last index {}",
                            name_of(e.node, names_), e.term, index, a.entry_term,
                            name_of(a.node, names_), a.time_s, t, last_index(e.log)));
      return;  // one report per election is enough to see what went wrong
    }
  }

  // Log Matching (§5.3): same index and term at two logs ⇒ identical up to there. Checked between
  // every pair of leader logs at their highest common (index, term).
  void check_log_matching(const RunEvent& e) {
    for (const auto& other : leader_logs_) {
      int64_t upto = std::min(last_index(e.log), last_index(other.log));
      // Highest index at which both logs hold the same term.
      int64_t common = 0;
      for (int64_t i = upto; i >= 1; --i)
        if (term_at(e.log, i) == term_at(other.log, i)) {
          common = i;
          break;
        }
      for (int64_t i = 1; i < common; ++i) {
        if (term_at(e.log, i) != term_at(other.log, i)) {
          violation(e.time_s, "log-matching",
                    fmt::format("leader logs of {} (term {}) and {} (term {}) agree at index {} "
                                "but differ at index {} (terms {} and {})",
                                name_of(e.node, names_), e.term, name_of(other.node, names_),
                                other.term, common, i, term_at(e.log, i), term_at(other.log, i)));
          return;
        }
      }
    }
  }

  void on_commit(const RunEvent& e) {
    auto key = std::make_pair(e.node, e.incarnation);
    auto [it, fresh] = commit_.emplace(key, e.index);
    if (fresh) return;
    if (e.index < it->second)
      violation(e.time_s, "commit-monotonic",
                fmt::format("{} commit index went from {} to {}", name_of(e.node, names_),
                            it->second, e.index));
    else
      it->second = e.index;
  }

  void on_apply(const RunEvent& e) {
    auto [it, fresh] = applied_.emplace(e.index, Applied{e.entry_term, e.command, e.node, e.time_s});
    if (fresh) return;
    const Applied& a = it->second;
    if (a.command != e.command || a.entry_term != e.entry_term)
      violation(e.time_s, "state-machine-safety",
                fmt::format("index {}: {} applied '{}' (term {}) but {} applied '{}' (term {})",
                            e.index, name_of(a.node, names_), a.command, a.entry_term,
                            name_of(e.node, names_), e.command, e.entry_term));
  }

  struct LeaderLog {
    int node;
    int64_t term;
    std::vector<LogRun> log;
  };

  const std::vector<std::string>& names_;
  std::vector<InvariantViolation> violations_;
  std::map<int, int64_t> last_term_;
  std::map<int64_t, int> leader_of_term_;
  std::map<std::pair<int, uint32_t>, int64_t> commit_;
  std::map<int64_t, Applied> applied_;  // index → first application seen
  std::vector<LeaderLog> leader_logs_;
};

}  // namespace

nlohmann::ordered_json to_json(const RunEvent& e, const std::vector<std::string>& names) {
  nlohmann::ordered_json j;
  j["time"] = e.time_s;
  j["node"] = name_of(e.node, names);
  if (e.node >= 0) j["incarnation"] = e.incarnation;
  if (e.group >= 0) j["group"] = e.group;
  j["type"] = e.type;
  if (e.type == "role") {
    j["role"] = e.role;
    j["term"] = e.term;
    if (e.role == "leader") {
      nlohmann::ordered_json runs = nlohmann::ordered_json::array();
      for (const LogRun& r : e.log) runs.push_back({r.term, r.first, r.last});
      j["log"] = runs;
    }
  } else if (e.type == "election") {
    j["term"] = e.term;
  } else if (e.type == "commit") {
    j["index"] = e.index;
    j["term"] = e.term;
  } else if (e.type == "apply") {
    j["index"] = e.index;
    j["entry_term"] = e.entry_term;
    j["command"] = e.command;
  } else if (e.type == "promise") {
    j["slot"] = e.index;
    j["ballot"] = e.term;
  } else if (e.type == "accept") {
    j["slot"] = e.index;
    j["ballot"] = e.term;
    j["command"] = e.command;
  } else if (e.type == "learn") {
    j["slot"] = e.index;
    j["command"] = e.command;
  } else if (e.type == "cs-request" || e.type == "cs-enter" || e.type == "cs-exit") {
    j["request"] = e.index;
    j["timestamp"] = e.term;
  }
  if (!e.detail.empty()) j["detail"] = e.detail;
  return j;
}

InvariantReport check_log_invariants(const std::vector<RunEvent>& events,
                                     const std::vector<std::string>& node_names) {
  Checker c(node_names);
  for (const RunEvent& e : events) c.on_event(e);
  return std::move(c).report();
}

}  // namespace synod::analysis
