// The workload section: the key-value clients, open or closed loop, keys and their popularity,
// the operation mix and timeouts. Keys in docs/scenarios.md, "workload".
#include <fmt/format.h>

#include "sim/scenario/sections.hpp"

namespace synod::sim {

namespace {

const std::vector<std::string> kWorkloadKeys = {"clients",         "rate",   "think", "keys",
                                                "distribution",    "zipf_s", "mix",   "timeout",
                                                "attempt_timeout", "start",  "stop"};
const std::vector<std::string> kMixKeys = {"read", "write", "cas"};

}  // namespace

WorkloadSpec read_workload(const Reader& rd, const Item* item) {
  WorkloadSpec w;
  w.stop_ns = rd.duration_ns();
  if (item == nullptr) return w;  // all defaults; they are consistent with any duration > 0
  Fields f(rd, *item, "workload", kWorkloadKeys);
  if (f.has("clients")) {
    // 0 is allowed: protocols such as lamport-mutex generate their own load.
    const Item ci = f.get("clients");
    w.clients = ci.node.IsScalar() && ci.node.Scalar() == "0" ? 0 : rd.count(ci, kMaxClients);
  }
  if (f.has("rate")) {
    const Item ri = f.get("rate");
    std::string s = rd.text(ri, "a rate like 500/s");
    if (s.size() > 2 && s.compare(s.size() - 2, 2, "/s") == 0) s.resize(s.size() - 2);
    if (!parse_number(s, &w.rate_per_s)) {
      rd.fail(ri, fmt::format("expected a rate like 500/s, got '{}'", ri.node.Scalar()));
    }
    if (w.rate_per_s <= 0) {
      rd.fail(ri, fmt::format("expected a rate > 0, got '{}' (leave rate out for a closed loop)",
                           ri.node.Scalar()));
    }
    f.forbid("think", "applies only to a closed loop (without rate)");
  }
  if (f.has("think")) w.think_ns = rd.duration(f.get("think"));
  if (f.has("keys")) w.keys = rd.count(f.get("keys"), kMaxKeys);
  if (f.has("distribution")) {
    if (rd.word(f.get("distribution"), "key distribution", {"uniform", "zipf"}) == "zipf") {
      w.key_dist = WorkloadSpec::KeyDist::Zipf;
    }
  }
  if (w.key_dist != WorkloadSpec::KeyDist::Zipf) {
    f.forbid("zipf_s", "applies only to distribution: zipf");
  }
  if (f.has("zipf_s")) {
    const Item zi = f.get("zipf_s");
    w.zipf_s = rd.number(zi, "a Zipf exponent like 1.0");
    if (w.zipf_s <= 0)
      rd.fail(zi, fmt::format("expected a Zipf exponent > 0, got '{}'", zi.node.Scalar()));
  }
  if (f.has("mix")) {
    Fields m(rd, f.get("mix"), "workload.mix", kMixKeys);
    double* weights[] = {&w.read, &w.write, &w.cas};
    double sum = 0;
    for (size_t i = 0; i < kMixKeys.size(); ++i) {
      *weights[i] = 0;
      if (!m.has(kMixKeys[i])) continue;
      const Item wi = m.get(kMixKeys[i]);
      *weights[i] = rd.number(wi, "a weight like 0.5");
      if (*weights[i] < 0)
        rd.fail(wi, fmt::format("expected a weight >= 0, got '{}'", wi.node.Scalar()));
      sum += *weights[i];
    }
    if (sum <= 0) rd.fail(m.item(), "the mix needs at least one operation with a weight > 0");
    for (double* x : weights) *x /= sum;
  }
  if (f.has("timeout")) w.timeout_ns = rd.positive_duration(f.get("timeout"));
  if (f.has("attempt_timeout")) w.attempt_timeout_ns = rd.positive_duration(f.get("attempt_timeout"));
  if (w.attempt_timeout_ns > w.timeout_ns) {
    const Item at = f.has("attempt_timeout") ? f.get("attempt_timeout") : f.get("timeout");
    rd.fail(at, fmt::format("attempt_timeout {} must be <= timeout {}",
                         format_duration(w.attempt_timeout_ns), format_duration(w.timeout_ns)));
  }
  if (f.has("start")) {
    const Item si = f.get("start");
    w.start_ns = rd.duration(si);
    if (w.start_ns >= rd.duration_ns()) {
      rd.fail(si, fmt::format("start {} is not before the end of the run (duration {})",
                           format_duration(w.start_ns), format_duration(rd.duration_ns())));
    }
  }
  if (f.has("stop")) {
    const Item si = f.get("stop");
    w.stop_ns = rd.duration(si);
    if (w.stop_ns > rd.duration_ns()) {
      rd.fail(si, fmt::format("stop {} is after the end of the run (duration {})",
                           format_duration(w.stop_ns), format_duration(rd.duration_ns())));
    }
    if (w.stop_ns <= w.start_ns) {
      rd.fail(si, fmt::format("stop {} must be after start {}", format_duration(w.stop_ns),
                           format_duration(w.start_ns)));
    }
  }
  return w;
}

}  // namespace synod::sim
