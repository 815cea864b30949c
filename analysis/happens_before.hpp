// The clock condition, checked on a message trace (Lamport 1978; vector clocks after Fidge and
// Mattern). A trace is what each node did, in order: sends, receives and local events, each with
// the logical clock the node gave it. From the trace alone (no clocks) we know the happens-before
// relation "->": the smallest transitive relation that orders the events of one node as they
// happened (process order) and a send before every receive of that message (message order).
// This file builds that relation as a DAG (each event's one or two incoming edges) and checks
// the clocks against it:
//
//   clock condition (Lamport):   a -> b  implies  C(a) < C(b)
//   strong condition (vectors):  a -> b  iff      V(a) < V(b)   (component-wise <=, and !=)
//
// Contract:
// - Input: events in one global real-time order; a node's events appear in its own order. A
//   message id names one send; it may have any number of receives (the network duplicates) or
//   none (it drops). Vector clocks are optional, but all or none of the events carry one, all of
//   the same size.
// - Problems with the trace itself (a receive of a message never sent, or received before it was
//   sent in the global order, two sends of one id, vectors of mixed sizes) are violations of kind
//   "malformed"; an edge they concern is left out of the graph (so the graph stays acyclic, every
//   edge going forward in the global order), and the rest of the trace is checked as usual. A
//   vector of the wrong size turns the vector checks off.
// - Deterministic: the same trace and options give the same report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace synod::analysis {

enum class TraceKind { Send, Receive, Local };
const char* trace_kind_name(TraceKind k);  // "send" | "receive" | "local"

struct TraceEvent {
  int node = 0;
  TraceKind kind = TraceKind::Local;
  int64_t message = -1;         // Send, Receive: the message id; ignored for Local
  int64_t lamport = 0;          // the node's Lamport clock at this event
  std::vector<int64_t> vector;  // the node's vector clock at this event; empty = not recorded
};

struct HbOptions {
  uint64_t seed = 1;         // for the pair sample
  int64_t max_pairs = 4000;  // pairs whose relation is decided in the graph; all pairs if fewer
  int64_t max_sources = 64;  // distinct first events among sampled pairs (one BFS each)
  size_t max_listed = 100;   // violations listed in the report (all are counted)
};

struct HbViolation {
  // "malformed"                 the trace itself is inconsistent (see the contract);
  // "clock-condition"           a -> b along one edge but C(a) >= C(b);
  // "vector-misses-order"       a -> b along one edge but not V(a) < V(b);
  // "vector-false-order"        a, b concurrent (sampled) but V says one precedes the other;
  // "vector-equal"              two distinct events with the same vector.
  std::string kind;
  std::string detail;  // "process order" | "message 17" | what is malformed
  size_t first = 0;    // trace index of a
  size_t second = 0;   // trace index of b (== first for a malformed event)
};

struct HbReport {
  size_t events = 0;
  size_t message_edges = 0;  // send -> receive, one per receive
  size_t process_edges = 0;  // consecutive events of one node
  bool vector_clocks = false;
  bool well_formed = true;
  int64_t pairs_sampled = 0;     // pairs (a before b in the global order) decided by BFS
  bool exhaustive = false;       // the sample was every pair
  int64_t ordered_pairs = 0;     // of those, a -> b
  int64_t concurrent_pairs = 0;  // of those, neither a -> b nor b -> a
  // Summed over the sampled first events a: the events a reaches up to its last sampled partner
  // (what a search from a confined to that window discovers, a included): the sample's work.
  int64_t bfs_visits = 0;
  // The first HbOptions::max_listed concurrent pairs found (trace indexes, a < b), sample order.
  std::vector<std::pair<size_t, size_t>> concurrent_examples;
  int64_t violation_count = 0;
  std::vector<HbViolation> violations;  // the first HbOptions::max_listed
  bool ok() const { return violation_count == 0; }
};

HbReport check_happens_before(const std::vector<TraceEvent>& trace, const HbOptions& options = {});

// {"events": ..., "message_edges": ..., ..., "violations": [{"kind", "detail",
//   "a": {"index", "node", "kind", "message", "lamport", "vector"}, "b": {...}}]}
nlohmann::ordered_json to_json(const HbReport& report, const std::vector<TraceEvent>& trace);

}  // namespace synod::analysis
