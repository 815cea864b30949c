// The clock-condition checker (analysis/happens_before): traces whose clocks were computed by the
// rules pass, traces with one clock broken fail with the right kind of violation, and on a small
// three-process diagram in the style of the 1978 paper's figures the concurrent pairs are exactly
// those a naive transitive closure finds.
#include "analysis/happens_before.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace synod::analysis {
namespace {

// Builds a trace event by event, giving each event the clocks the implementation rules give it
// (Lamport: tick on local/send, max+1 on receive; vectors: tick own entry, merge on receive).
class TraceBuilder {
 public:
  explicit TraceBuilder(int n) : lamport_(n, 0), vector_(n, std::vector<int64_t>(n, 0)) {}

  size_t local(int p) { return add(p, TraceKind::Local, -1); }
  size_t send(int p, int64_t m) {
    const size_t i = add(p, TraceKind::Send, m);
    sent_[m] = i;
    return i;
  }
  size_t receive(int p, int64_t m) {
    const TraceEvent& s = trace_[sent_.at(m)];
    auto& l = lamport_[static_cast<size_t>(p)];
    auto& v = vector_[static_cast<size_t>(p)];
    l = std::max(l, s.lamport);
    for (size_t k = 0; k < v.size(); ++k) v[k] = std::max(v[k], s.vector[k]);
    return add(p, TraceKind::Receive, m);
  }

  std::vector<TraceEvent> trace() const { return trace_; }

 private:
  size_t add(int p, TraceKind kind, int64_t m) {
    auto& l = lamport_[static_cast<size_t>(p)];
    auto& v = vector_[static_cast<size_t>(p)];
    ++l;
    ++v[static_cast<size_t>(p)];
    trace_.push_back({p, kind, m, l, v});
    return trace_.size() - 1;
  }

  std::vector<int64_t> lamport_;
  std::vector<std::vector<int64_t>> vector_;
  std::map<int64_t, size_t> sent_;
  std::vector<TraceEvent> trace_;
};

// A random run of n processes: local events, sends, receives of messages in flight in any
// order, some messages dropped and some received twice.
std::vector<TraceEvent> random_trace(int n, int events, uint64_t seed) {
  TraceBuilder b(n);
  uint64_t s = seed;
  auto next = [&s](uint64_t bound) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (s >> 33) % bound;
  };
  std::vector<std::pair<int, int64_t>> flight;  // (destination, message)
  int64_t next_message = 1;
  for (int e = 0; e < events; ++e) {
    const int p = static_cast<int>(next(static_cast<uint64_t>(n)));
    const uint64_t what = next(10);
    if (what < 3 || (what >= 7 && flight.empty())) {
      b.local(p);
    } else if (what < 7) {
      b.send(p, next_message);
      flight.emplace_back(static_cast<int>(next(static_cast<uint64_t>(n))), next_message++);
    } else {
      const size_t k = next(flight.size());
      const auto [to, m] = flight[k];
      if (next(10) == 0) {
        flight.erase(flight.begin() + static_cast<std::ptrdiff_t>(k));  // dropped
        continue;
      }
      b.receive(to, m);
      if (next(8) != 0) flight.erase(flight.begin() + static_cast<std::ptrdiff_t>(k));  // else dup
    }
  }
  return b.trace();
}

int count_kind(const HbReport& r, const std::string& kind) {
  return static_cast<int>(std::count_if(r.violations.begin(), r.violations.end(),
                                        [&](const HbViolation& v) { return v.kind == kind; }));
}

TEST(HappensBefore, CorrectTracesPass) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const auto trace = random_trace(4, 300, seed);
    const HbReport r = check_happens_before(trace);
    EXPECT_TRUE(r.ok()) << "seed " << seed << ": " << to_json(r, trace).dump();
    EXPECT_TRUE(r.vector_clocks);
    EXPECT_TRUE(r.well_formed);
    EXPECT_EQ(r.events, trace.size());
    EXPECT_EQ(r.process_edges, trace.size() - 4);  // every node has events
    EXPECT_GT(r.message_edges, 0u);
    EXPECT_GT(r.pairs_sampled, 0);
    EXPECT_LE(r.pairs_sampled, HbOptions{}.max_pairs);
    EXPECT_GT(r.concurrent_pairs, 0);
    EXPECT_GT(r.ordered_pairs, 0);
    EXPECT_EQ(r.ordered_pairs + r.concurrent_pairs, r.pairs_sampled);
  }
}

// Exhaustive on a small trace: every pair's relation, and the concurrent count equals the number
// of pairs whose correct vector clocks are incomparable.
TEST(HappensBefore, SmallTracesAreCheckedExhaustively) {
  const auto trace = random_trace(3, 40, 7);
  const HbReport r = check_happens_before(trace);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.exhaustive);
  const int64_t n = static_cast<int64_t>(trace.size());
  EXPECT_EQ(r.pairs_sampled, n * (n - 1) / 2);
  int64_t incomparable = 0;
  for (size_t a = 0; a < trace.size(); ++a) {
    for (size_t b = a + 1; b < trace.size(); ++b) {
      bool less = false;
      bool greater = false;
      for (size_t k = 0; k < 3; ++k) {
        less |= trace[a].vector[k] < trace[b].vector[k];
        greater |= trace[a].vector[k] > trace[b].vector[k];
      }
      incomparable += less && greater;
    }
  }
  EXPECT_EQ(r.concurrent_pairs, incomparable);
}

// Three processes in the manner of the paper's space-time diagrams (time runs down; our own
// example, not the paper's figure):
//
//      P            Q            R
//     p1 .         q1 --m3--.   r1 .
//     p2 --m1--.   |         `--> r2
//     |         `-> q2            |
//     |   .---m2-- q3             |
//     p3 <'        q4             r3
//     p4
TEST(HappensBefore, ThreeProcessDiagram) {
  TraceBuilder b(3);
  const size_t p1 = b.local(0);
  const size_t q1 = b.send(1, 3);
  const size_t r1 = b.local(2);
  const size_t p2 = b.send(0, 1);
  b.receive(1, 1);  // q2
  const size_t r2 = b.receive(2, 3);
  b.send(1, 2);  // q3
  const size_t p3 = b.receive(0, 2);
  const size_t q4 = b.local(1);
  const size_t r3 = b.local(2);
  const size_t p4 = b.local(0);
  const auto trace = b.trace();
  const HbReport r = check_happens_before(trace);
  ASSERT_TRUE(r.ok()) << to_json(r, trace).dump();
  EXPECT_EQ(r.events, 11u);
  EXPECT_EQ(r.message_edges, 3u);
  EXPECT_EQ(r.process_edges, 8u);
  EXPECT_TRUE(r.exhaustive);
  EXPECT_EQ(r.pairs_sampled, 55);

  // The ordered pairs by hand: what each event reaches, within its process and across messages.
  const std::set<std::pair<size_t, size_t>> concurrent(r.concurrent_examples.begin(),
                                                       r.concurrent_examples.end());
  auto conc = [&](size_t a, size_t b2) {
    return concurrent.count({std::min(a, b2), std::max(a, b2)}) > 0;
  };
  EXPECT_TRUE(conc(p1, q1));  // no message between them yet
  EXPECT_TRUE(conc(p1, r1));
  EXPECT_TRUE(conc(p2, r3));  // m1 goes to Q, which never writes to R afterwards
  EXPECT_TRUE(conc(q4, p3));  // q4 after q3, but p3 learns only of q3
  EXPECT_TRUE(conc(q4, r3));
  EXPECT_TRUE(conc(r2, p4));
  EXPECT_FALSE(conc(q1, p3));  // q1 -> q2 -> q3 -> p3
  EXPECT_FALSE(conc(p1, q4));  // p1 -> p2 -> q2 -> q3 -> q4
  EXPECT_FALSE(conc(q1, r3));  // q1 -> r2 -> r3
  EXPECT_FALSE(conc(r1, r3));
  // Each event's causal past, counted by hand: p1 0, p2 1 (p1), p3 5 (p1 p2 q1 q2 q3), p4 6,
  // q1 0, q2 3 (q1 p1 p2), q3 4, q4 5, r1 0, r2 2 (r1 q1), r3 3: 29 ordered pairs of 55.
  EXPECT_EQ(r.ordered_pairs, 29);
  EXPECT_EQ(r.concurrent_pairs, 26);
  EXPECT_EQ(r.concurrent_examples.size(), 26u);
  (void)p4;
}

// A receive whose Lamport time is not greater than its send's.
TEST(HappensBefore, ReceiveNotAfterSendFails) {
  TraceBuilder b(2);
  b.local(0);
  b.local(0);
  const size_t s = b.send(0, 1);     // time 3
  const size_t r = b.receive(1, 1);  // time 4
  auto trace = b.trace();
  trace[r].lamport = trace[s].lamport;  // a receive that ignored IR2
  const HbReport rep = check_happens_before(trace);
  EXPECT_FALSE(rep.ok());
  ASSERT_EQ(rep.violation_count, 1);
  EXPECT_EQ(rep.violations[0].kind, "clock-condition");
  EXPECT_EQ(rep.violations[0].detail, "message 1");
  EXPECT_EQ(rep.violations[0].first, s);
  EXPECT_EQ(rep.violations[0].second, r);
  const auto j = to_json(rep, trace);
  EXPECT_EQ(j["violations"][0]["a"]["lamport"], 3);
  EXPECT_EQ(j["violations"][0]["b"]["lamport"], 3);
  EXPECT_EQ(j["violations"][0]["b"]["kind"], "receive");
}

// A node's clock going back between two of its own events.
TEST(HappensBefore, ProcessOrderDecreaseFails) {
  TraceBuilder b(2);
  b.local(0);
  const size_t e2 = b.local(0);
  const size_t e3 = b.local(0);
  b.local(1);
  auto trace = b.trace();
  trace[e3].lamport = 1;  // after e2 (time 2)
  const HbReport rep = check_happens_before(trace);
  EXPECT_EQ(count_kind(rep, "clock-condition"), 1);
  EXPECT_EQ(rep.violations[0].detail, "process order");
  EXPECT_EQ(rep.violations[0].first, e2);
  EXPECT_EQ(rep.violations[0].second, e3);
}

// A vector clock that forgot the message: the receive looks concurrent with its send.
TEST(HappensBefore, VectorClaimingConcurrencyForRelatedPairFails) {
  TraceBuilder b(2);
  const size_t s = b.send(0, 1);
  b.local(1);
  const size_t r = b.receive(1, 1);
  auto trace = b.trace();
  trace[r].vector = {0, 2};  // should be {1, 2}
  const HbReport rep = check_happens_before(trace);
  EXPECT_EQ(count_kind(rep, "vector-misses-order"), 1);
  EXPECT_EQ(rep.violations[0].first, s);
  EXPECT_EQ(rep.violations[0].second, r);
  EXPECT_EQ(count_kind(rep, "clock-condition"), 0);  // the Lamport times are fine
}

// A vector clock that claims an order between concurrent events. The edges are all fine (R's last
// event only gains entries), so only the sample of pairs can find it.
TEST(HappensBefore, VectorClaimingOrderForConcurrentEventsFails) {
  TraceBuilder b(3);
  const size_t p1 = b.local(0);
  const size_t p2 = b.local(0);
  b.local(2);
  const size_t r2 = b.local(2);
  auto trace = b.trace();
  trace[r2].vector = {2, 0, 2};  // claims p1, p2 -> r2
  const HbReport rep = check_happens_before(trace);
  EXPECT_EQ(count_kind(rep, "vector-misses-order"), 0);
  EXPECT_EQ(count_kind(rep, "vector-false-order"), 2);
  std::set<size_t> firsts;
  for (const HbViolation& v : rep.violations) {
    EXPECT_EQ(v.second, r2);
    firsts.insert(v.first);
  }
  EXPECT_EQ(firsts, (std::set<size_t>{p1, p2}));
}

TEST(HappensBefore, EqualVectorsOfDistinctEventsFail) {
  TraceBuilder b(2);
  b.local(0);
  const size_t q = b.local(1);
  auto trace = b.trace();
  trace[q].vector = trace[0].vector;
  const HbReport rep = check_happens_before(trace);
  EXPECT_EQ(count_kind(rep, "vector-equal"), 1);
}

TEST(HappensBefore, MalformedTracesAreReported) {
  std::vector<TraceEvent> t = {
      {0, TraceKind::Receive, 9, 1, {}},  // message 9 is never sent
      {1, TraceKind::Receive, 5, 1, {}},  // received before it is sent
      {0, TraceKind::Send, 5, 2, {}},
      {0, TraceKind::Send, 5, 3, {}},  // sent twice
  };
  const HbReport rep = check_happens_before(t);
  EXPECT_FALSE(rep.well_formed);
  EXPECT_EQ(count_kind(rep, "malformed"), 3);
  EXPECT_EQ(rep.message_edges, 0u);
  EXPECT_FALSE(rep.vector_clocks);

  std::vector<TraceEvent> mixed = {{0, TraceKind::Local, -1, 1, {1, 0}},
                                   {1, TraceKind::Local, -1, 1, {}}};
  const HbReport rep2 = check_happens_before(mixed);
  EXPECT_EQ(count_kind(rep2, "malformed"), 1);
}

// Large traces are sampled: bounded work, the same answer for the same seed, and a different
// sample for another seed.
TEST(HappensBefore, LargeTracesAreSampledDeterministically) {
  const auto trace = random_trace(5, 4000, 3);
  HbOptions o;
  o.max_pairs = 1000;
  o.max_sources = 20;
  const HbReport r1 = check_happens_before(trace, o);
  const HbReport r2 = check_happens_before(trace, o);
  EXPECT_TRUE(r1.ok());
  EXPECT_FALSE(r1.exhaustive);
  EXPECT_LE(r1.pairs_sampled, 1000);
  EXPECT_GT(r1.pairs_sampled, 900);  // duplicates among random partners are rare
  EXPECT_LE(r1.bfs_visits, 20 * static_cast<int64_t>(trace.size()));
  EXPECT_EQ(to_json(r1, trace).dump(), to_json(r2, trace).dump());
  o.seed = 2;
  const HbReport r3 = check_happens_before(trace, o);
  EXPECT_NE(to_json(r1, trace).dump(), to_json(r3, trace).dump());
}

// The relation by definition: a -> b iff b is reachable from a over process-order and
// send -> receive edges, computed by a plain depth-first search per event.
std::vector<std::vector<char>> naive_reach(const std::vector<TraceEvent>& trace) {
  const size_t n = trace.size();
  std::vector<std::vector<size_t>> out(n);
  std::map<int, size_t> last;
  std::map<int64_t, size_t> send;
  for (size_t i = 0; i < n; ++i) {
    if (last.count(trace[i].node) != 0) out[last[trace[i].node]].push_back(i);
    last[trace[i].node] = i;
    if (trace[i].kind == TraceKind::Send) send[trace[i].message] = i;
    if (trace[i].kind == TraceKind::Receive) out[send.at(trace[i].message)].push_back(i);
  }
  std::vector<std::vector<char>> reach(n, std::vector<char>(n, 0));
  for (size_t a = 0; a < n; ++a) {
    std::vector<size_t> stack = out[a];
    while (!stack.empty()) {
      const size_t v = stack.back();
      stack.pop_back();
      if (reach[a][v] != 0) continue;
      reach[a][v] = 1;
      stack.insert(stack.end(), out[v].begin(), out[v].end());
    }
  }
  return reach;
}

// Exhaustive traces of up to 89 first events (more than the 64 one pass decides at once) and
// sampled ones of 200 sources: every decided pair agrees with the naive relation.
TEST(HappensBefore, ReachabilityAgreesWithANaiveClosure) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const int events = 40 + static_cast<int>(seed % 50);
    const auto trace = random_trace(2 + static_cast<int>(seed % 4), events, seed);
    const auto reach = naive_reach(trace);
    const size_t n = trace.size();
    int64_t ordered = 0;
    std::vector<std::pair<size_t, size_t>> concurrent;
    for (size_t a = 0; a + 1 < n; ++a) {
      for (size_t b = a + 1; b < n; ++b) {
        if (reach[a][b] != 0) {
          ++ordered;
        } else if (concurrent.size() < 100) {
          concurrent.emplace_back(a, b);
        }
      }
    }
    const HbReport r = check_happens_before(trace, {});
    ASSERT_TRUE(r.exhaustive) << n;
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.ordered_pairs, ordered) << "seed " << seed;
    EXPECT_EQ(r.pairs_sampled, static_cast<int64_t>(n * (n - 1) / 2));
    EXPECT_EQ(r.concurrent_examples, concurrent) << "seed " << seed;
    // Each first event a reaches itself and its ordered partners, all within its window.
    EXPECT_EQ(r.bfs_visits, static_cast<int64_t>(n - 1) + ordered) << "seed " << seed;
  }
  const auto trace = random_trace(4, 1500, 7);
  const auto reach = naive_reach(trace);
  HbOptions o;
  o.max_pairs = 3000;
  o.max_sources = 200;
  o.max_listed = 100000;
  const HbReport r = check_happens_before(trace, o);
  EXPECT_FALSE(r.exhaustive);
  EXPECT_GT(r.pairs_sampled, 2500);
  EXPECT_EQ(r.ordered_pairs + r.concurrent_pairs, r.pairs_sampled);
  EXPECT_GT(r.ordered_pairs, 0);
  EXPECT_GT(r.concurrent_pairs, 0);
  ASSERT_EQ(static_cast<int64_t>(r.concurrent_examples.size()), r.concurrent_pairs);
  for (const auto& [a, b] : r.concurrent_examples) EXPECT_EQ(reach[a][b], 0) << a << " " << b;
}

TEST(HappensBefore, JsonReport) {
  TraceBuilder b(2);
  b.send(0, 1);
  b.receive(1, 1);
  const auto trace = b.trace();
  const auto j = to_json(check_happens_before(trace), trace);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["events"], 2);
  EXPECT_EQ(j["message_edges"], 1);
  EXPECT_EQ(j["process_edges"], 0);
  EXPECT_EQ(j["pairs_sampled"], 1);
  EXPECT_EQ(j["concurrent_pairs"], 0);
  EXPECT_TRUE(j["violations"].empty());
  EXPECT_EQ(j.begin().key(), "ok");  // ordered keys
}

}  // namespace
}  // namespace synod::analysis
