// Happens-before graph and clock checks. See happens_before.hpp for the contract.
//
// Why checking the edges is enough for the clock condition. "->" is the transitive closure of the
// graph's edges (process order and send -> receive), so a -> b means there is a path
// a = e0, e1, ..., ek = b of edges. If every edge satisfies C(e_i) < C(e_i+1), then C(a) < C(b)
// by transitivity of <. Conversely, if some pair a -> b has C(a) >= C(b), then some edge on its
// path has C(e_i) >= C(e_i+1), so the edge check finds every trace that breaks the condition.
// The same holds for "a -> b implies V(a) < V(b)", since < on vectors is transitive too. That is
// O(events + edges) instead of a pass over all pairs of the transitive closure.
//
// The other half of the strong condition, "V(a) < V(b) implies a -> b", is about pairs that are
// NOT connected, and no edge-local check sees those. We decide it on a sample of pairs: what each
// sampled first event a reaches. Every event has at most two incoming edges (its node's previous
// event, and for a receive the send), and every edge goes forward in the global order (a receive
// before its send is malformed and left out). So one forward pass over the events decides
// reachability from 64 sources at once: an event's mask of the sources that reach it is the OR of
// its two predecessors' masks (plus its own bit if it is a source). A source's bit is dropped
// after its last sampled partner, past which nothing about it can matter; `bfs_visits` counts,
// per source, the events it reaches up to there (what a breadth-first search confined to that
// window would discover). Work: one pass of O(events) per 64 sources, 8 bytes per event.
#include "analysis/happens_before.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

namespace synod::analysis {

const char* trace_kind_name(TraceKind k) {
  switch (k) {
    case TraceKind::Send: return "send";
    case TraceKind::Receive: return "receive";
    case TraceKind::Local: return "local";
  }
  return "?";
}

namespace {

constexpr size_t kNone = std::numeric_limits<size_t>::max();

enum class VectorOrder { Before, After, Equal, Concurrent };

VectorOrder compare_vectors(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  bool less = false;
  bool greater = false;
  for (size_t k = 0; k < a.size(); ++k) {
    less |= a[k] < b[k];
    greater |= a[k] > b[k];
  }
  if (less && greater) return VectorOrder::Concurrent;
  if (less) return VectorOrder::Before;
  if (greater) return VectorOrder::After;
  return VectorOrder::Equal;
}

// SplitMix64: the sample must be the same on every platform (no std:: distributions).
struct SampleRng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi]; the modulo bias is irrelevant for a sample.
  size_t between(size_t lo, size_t hi) { return lo + static_cast<size_t>(next() % (hi - lo + 1)); }
};

class Checker {
 public:
  Checker(const std::vector<TraceEvent>& trace, const HbOptions& options)
      : trace_(trace),
        options_(options),
        process_pred_(trace.size(), kNone),
        send_pred_(trace.size(), kNone) {}

  HbReport run() {
    report_.events = trace_.size();
    check_vectors_shape();
    build_edges();
    check_edges();
    sample_pairs();
    return std::move(report_);
  }

 private:
  void violation(std::string kind, std::string detail, size_t a, size_t b) {
    ++report_.violation_count;
    if (report_.violations.size() < options_.max_listed) {
      report_.violations.push_back({std::move(kind), std::move(detail), a, b});
    }
  }

  void malformed(std::string detail, size_t a, size_t b) {
    report_.well_formed = false;
    violation("malformed", std::move(detail), a, b);
  }

  // All or none of the events carry a vector, all of one size.
  void check_vectors_shape() {
    size_t dim = 0;
    for (const TraceEvent& e : trace_) dim = std::max(dim, e.vector.size());
    report_.vector_clocks = dim > 0;
    vectors_ok_ = report_.vector_clocks;
    if (!vectors_ok_) return;
    for (size_t i = 0; i < trace_.size(); ++i) {
      if (trace_[i].vector.size() != dim) {
        malformed(fmt::format("vector of size {}, others have {}", trace_[i].vector.size(), dim), i,
                  i);
        vectors_ok_ = false;
      }
    }
  }

  // Each event's incoming edges: its node's previous event, and for a receive the send.
  void build_edges() {
    std::unordered_map<int64_t, size_t> send_of;  // message id -> its send (lookups only)
    send_of.reserve(trace_.size() / 2 + 1);
    for (size_t i = 0; i < trace_.size(); ++i) {
      if (trace_[i].kind != TraceKind::Send) continue;
      auto [it, inserted] = send_of.emplace(trace_[i].message, i);
      if (!inserted)
        malformed(fmt::format("message {} sent twice", trace_[i].message), it->second, i);
    }
    std::map<int, size_t> last_of_node;
    for (size_t i = 0; i < trace_.size(); ++i) {
      const TraceEvent& e = trace_[i];
      auto [last, first_event] = last_of_node.emplace(e.node, i);
      if (!first_event) {
        process_pred_[i] = last->second;
        ++report_.process_edges;
        last->second = i;
      }
      if (e.kind != TraceKind::Receive) continue;
      auto send = send_of.find(e.message);
      if (send == send_of.end()) {
        malformed(fmt::format("receive of message {}, which is never sent", e.message), i, i);
      } else if (send->second > i) {
        malformed(fmt::format("message {} received before it is sent", e.message), send->second, i);
      } else {
        send_pred_[i] = send->second;
        ++report_.message_edges;
      }
    }
  }

  // The forward halves, edge by edge (see the file comment for why that suffices), in the order
  // the edges were found: event by event, its process-order edge before its message edge.
  void check_edges() {
    for (size_t i = 0; i < trace_.size(); ++i) {
      if (process_pred_[i] != kNone) check_edge(process_pred_[i], i, "process order");
      if (send_pred_[i] != kNone)
        check_edge(send_pred_[i], i, fmt::format("message {}", trace_[i].message));
    }
  }

  void check_edge(size_t from, size_t to, const std::string& name) {
    const TraceEvent& a = trace_[from];
    const TraceEvent& b = trace_[to];
    if (a.lamport >= b.lamport) violation("clock-condition", name, from, to);
    if (vectors_ok_ && compare_vectors(a.vector, b.vector) != VectorOrder::Before) {
      violation("vector-misses-order", name, from, to);
    }
  }

  // Pairs (a, b), a < b in the global order, grouped by a.
  std::map<size_t, std::set<size_t>> choose_pairs() {
    std::map<size_t, std::set<size_t>> pairs;
    const size_t n = trace_.size();
    if (n < 2 || options_.max_pairs <= 0) return pairs;
    const uint64_t all = static_cast<uint64_t>(n) * (n - 1) / 2;
    if (all <= static_cast<uint64_t>(options_.max_pairs)) {
      report_.exhaustive = true;
      for (size_t a = 0; a + 1 < n; ++a) {
        for (size_t b = a + 1; b < n; ++b) pairs[a].insert(b);
      }
      return pairs;
    }
    SampleRng rng{options_.seed};
    const int64_t sources = std::max<int64_t>(1, options_.max_sources);
    const int64_t per_source = std::max<int64_t>(1, options_.max_pairs / sources);
    for (int64_t s = 0; s < sources; ++s) {
      const size_t a = rng.between(0, n - 2);
      std::set<size_t>& partners = pairs[a];
      for (int64_t k = 0; k < per_source; ++k) partners.insert(rng.between(a + 1, n - 1));
    }
    return pairs;
  }

  void sample_pairs() {
    const std::map<size_t, std::set<size_t>> pairs = choose_pairs();
    std::vector<size_t> sources;  // in increasing order (the map's)
    for (const auto& [a, partners] : pairs) sources.push_back(a);
    std::vector<uint64_t> reaches(trace_.size());  // bit k: sources[first + k] reaches the event
    auto it = pairs.begin();
    for (size_t first = 0; first < sources.size(); first += 64) {
      const size_t count = std::min<size_t>(64, sources.size() - first);
      reach_pass(pairs, sources, first, count, reaches);
      for (size_t k = 0; k < count; ++k, ++it) {
        for (size_t b : it->second) judge_pair(it->first, b, ((reaches[b] >> k) & 1) != 0);
      }
    }
  }

  // One forward pass from sources[first], ..., sources[first + count - 1] (count <= 64).
  void reach_pass(const std::map<size_t, std::set<size_t>>& pairs,
                  const std::vector<size_t>& sources, size_t first, size_t count,
                  std::vector<uint64_t>& reaches) {
    struct Window {
      size_t from;
      size_t to;  // the last sampled partner: the bit is dropped after it
      uint64_t bit;
    };
    std::vector<Window> windows;
    for (size_t k = 0; k < count; ++k) {
      const size_t a = sources[first + k];
      windows.push_back({a, *pairs.at(a).rbegin(), uint64_t{1} << k});
    }
    std::vector<Window> by_end = windows;
    std::sort(by_end.begin(), by_end.end(),
              [](const Window& x, const Window& y) { return x.to < y.to; });
    const size_t begin = windows.front().from;  // sources are in increasing order
    const size_t end = by_end.back().to;
    size_t next_source = 0;
    size_t next_end = 0;
    uint64_t active = 0;
    for (size_t i = begin; i <= end; ++i) {
      uint64_t mask = 0;
      while (next_source < windows.size() && windows[next_source].from == i) {
        active |= windows[next_source].bit;
        mask |= windows[next_source].bit;
        ++next_source;
      }
      if (process_pred_[i] != kNone && process_pred_[i] >= begin) mask |= reaches[process_pred_[i]];
      if (send_pred_[i] != kNone && send_pred_[i] >= begin) mask |= reaches[send_pred_[i]];
      mask &= active;
      reaches[i] = mask;
      report_.bfs_visits += __builtin_popcountll(mask);
      while (next_end < by_end.size() && by_end[next_end].to == i) {
        active &= ~by_end[next_end].bit;
        ++next_end;
      }
    }
  }

  void judge_pair(size_t a, size_t b, bool a_reaches_b) {
    ++report_.pairs_sampled;
    if (a_reaches_b) {
      ++report_.ordered_pairs;
    } else {
      ++report_.concurrent_pairs;  // b cannot reach a: edges only go forward
      if (report_.concurrent_examples.size() < options_.max_listed) {
        report_.concurrent_examples.emplace_back(a, b);
      }
    }
    if (!vectors_ok_) return;
    const VectorOrder order = compare_vectors(trace_[a].vector, trace_[b].vector);
    if (order == VectorOrder::Equal) {
      violation("vector-equal", "distinct events", a, b);
    } else if (!a_reaches_b && order != VectorOrder::Concurrent) {
      violation("vector-false-order",
                order == VectorOrder::Before ? "concurrent, but V(a) < V(b)"
                                             : "concurrent, but V(b) < V(a)",
                a, b);
    }
    // a -> b with V(a) not < V(b) is reported by the edge check on the path between them.
  }

  const std::vector<TraceEvent>& trace_;
  const HbOptions& options_;
  std::vector<size_t> process_pred_;  // the node's previous event, or kNone
  std::vector<size_t> send_pred_;     // a receive's send (when well formed), or kNone
  bool vectors_ok_ = false;
  HbReport report_;
};

nlohmann::ordered_json event_json(const std::vector<TraceEvent>& trace, size_t i) {
  const TraceEvent& e = trace[i];
  nlohmann::ordered_json j;
  j["index"] = i;
  j["node"] = e.node;
  j["kind"] = trace_kind_name(e.kind);
  if (e.kind != TraceKind::Local) j["message"] = e.message;
  j["lamport"] = e.lamport;
  if (!e.vector.empty()) j["vector"] = e.vector;
  return j;
}

}  // namespace

HbReport check_happens_before(const std::vector<TraceEvent>& trace, const HbOptions& options) {
  return Checker(trace, options).run();
}

nlohmann::ordered_json to_json(const HbReport& r, const std::vector<TraceEvent>& trace) {
  nlohmann::ordered_json j;
  j["ok"] = r.ok();
  j["events"] = r.events;
  j["message_edges"] = r.message_edges;
  j["process_edges"] = r.process_edges;
  j["vector_clocks"] = r.vector_clocks;
  j["well_formed"] = r.well_formed;
  j["pairs_sampled"] = r.pairs_sampled;
  j["exhaustive"] = r.exhaustive;
  j["ordered_pairs"] = r.ordered_pairs;
  j["concurrent_pairs"] = r.concurrent_pairs;
  j["bfs_visits"] = r.bfs_visits;
  nlohmann::ordered_json examples = nlohmann::ordered_json::array();
  for (const auto& [a, b] : r.concurrent_examples) examples.push_back({a, b});
  j["concurrent_examples"] = std::move(examples);
  j["violation_count"] = r.violation_count;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const HbViolation& v : r.violations) {
    nlohmann::ordered_json one;
    one["kind"] = v.kind;
    one["detail"] = v.detail;
    if (v.first < trace.size()) one["a"] = event_json(trace, v.first);
    if (v.second != v.first && v.second < trace.size()) one["b"] = event_json(trace, v.second);
    list.push_back(std::move(one));
  }
  j["violations"] = std::move(list);
  return j;
}

}  // namespace synod::analysis
