// lamport-mutex and lamport-lww as families: Lamport's mutual exclusion (1978) with its
// mutual-exclusion and timestamp-order checks and a report section that says plainly when the
// algorithm blocked; and the last-writer-wins store, which promises no linearizability (it is
// eventually consistent by design; the checker shows where it is not linearizable).
//
// Lamport's protocols keep nothing across a crash: a restarted node starts empty (documented in
// their headers; for the mutex that is why a crash blocks everyone).
#include <fmt/format.h>

#include "analysis/events.hpp"
#include "protocols/lamport/lww_node.hpp"
#include "protocols/lamport/mutex_node.hpp"
#include "sim/families/family.hpp"
#include "sim/families/node_factory.hpp"
#include "sim/families/bug_knobs.hpp"
#include "sim/report/metrics.hpp"

namespace synod::sim {

namespace {

using ojson = nlohmann::ordered_json;

struct MutexSection final : ProtocolConfig {
  double request_rate_per_s = 5;
  Nanos hold = 10 * kNanosPerMilli;
  lamport::MutexBugs bugs;
};

struct LwwSection final : ProtocolConfig {
  Nanos anti_entropy = 100 * kNanosPerMilli;  // 0: off
  lamport::LwwBugs bugs;
};

std::shared_ptr<const ProtocolConfig> parse_mutex(const Reader& rd, const Fields& f) {
  auto c = std::make_shared<MutexSection>();
  if (f.has("request_rate")) c->request_rate_per_s = rd.rate(f.get("request_rate"));
  if (f.has("hold")) c->hold = rd.positive_duration(f.get("hold"));
  read_bug_knobs(rd, f, lamport::mutex_bug_knobs(), &c->bugs);
  return c;
}

// anti_entropy: off | a period
std::shared_ptr<const ProtocolConfig> parse_lww(const Reader& rd, const Fields& f) {
  auto c = std::make_shared<LwwSection>();
  if (f.has("anti_entropy")) {
    const Item ai = f.get("anti_entropy");
    const bool off =
        ai.node.IsScalar() && (ai.node.Scalar() == "off" || ai.node.Scalar() == "false");
    c->anti_entropy = off ? 0 : rd.positive_duration(ai);
  }
  read_bug_knobs(rd, f, lamport::lww_bug_knobs(), &c->bugs);
  return c;
}

std::unique_ptr<ProtocolFactory> mutex_factory(const Scenario& s) {
  const auto& p = s.protocol.config_as<MutexSection>();
  lamport::MutexConfig c;
  c.request_rate_per_s = p.request_rate_per_s;
  c.hold = p.hold;
  c.bugs = p.bugs;
  c.start = s.workload.start_ns;
  c.stop = s.workload.stop_ns > 0 ? s.workload.stop_ns : s.duration_ns;
  return std::make_unique<VolatileNodeFactory<lamport::MutexNode, lamport::MutexConfig>>(
      s.node_count(), c);
}

std::unique_ptr<ProtocolFactory> lww_factory(const Scenario& s) {
  lamport::LwwConfig c;
  const Nanos period = s.protocol.config_as<LwwSection>().anti_entropy;
  c.anti_entropy_interval = period > 0 ? period : kNever;
  c.bugs = s.protocol.config_as<LwwSection>().bugs;
  return std::make_unique<VolatileNodeFactory<lamport::LwwNode, lamport::LwwConfig>>(
      s.node_count(), c);
}

// lamport-mutex: entries, messages per entry (3(N−1) without faults: N−1 requests, acks and
// releases), and what was still waiting at the end — said plainly, since with a crashed node
// Lamport's algorithm blocks for good.
void mutex_section(const RunResult& r, RunAnalysis* a) {
  ReportSection section;
  section.key = "mutex";
  section.label = "mutual exclusion";
  analysis::MutexSummary m;
  analysis::check_mutex_invariants(r.events, r.scenario.cluster.node_names, &m);
  uint64_t msgs = 0;
  for (MsgKind k : {MsgKind::LamportRequest, MsgKind::LamportAck, MsgKind::LamportRelease})
    msgs += r.messages[static_cast<size_t>(k)].sent;
  const int n = r.scenario.node_count();
  const double per_entry = m.entries > 0 ? static_cast<double>(msgs) / m.entries : 0;
  ojson waiting = ojson::array();
  for (const auto& w : m.waiting)
    waiting.push_back({{"node", r.scenario.cluster.node_names[w.node]},
                       {"request", w.request},
                       {"timestamp", w.timestamp},
                       {"since_s", round6(w.since_s)}});
  // Blocked: a request has waited for more than a second at the end of the run.
  const double end_s = to_seconds(r.simulated_ns);
  bool blocked = false;
  for (const auto& w : m.waiting) blocked = blocked || end_s - w.since_s > 1.0;
  section.json = {{"requests", m.requests},
              {"entries", m.entries},
              {"messages", msgs},
              {"messages_per_entry", round6(per_entry)},
              {"expected_messages_per_entry", 3 * (n - 1)},
              {"blocked", blocked},
              {"waiting_at_end", waiting}};
  section.line =
      blocked ? fmt::format("BLOCKED: {} request(s) waiting since {:.3f} s — Lamport's algorithm needs "
                            "an acknowledgement from every node, and a crashed or unreachable node never "
                            "sends one ({} entries before)",
                            m.waiting.size(), m.waiting.front().since_s, m.entries)
              : fmt::format("{} entries, {:.2f} messages per entry (3(N-1) = {})", m.entries, per_entry,
                            3 * (n - 1));
  a->sections.push_back(std::move(section));
}

}  // namespace

Family lamport_mutex_family() {
  Family f;
  f.name = "lamport-mutex";
  f.summary = "Lamport's 1978 mutual exclusion over logical clocks (no client operations)";
  f.keys = {"request_rate", "hold", "bugs"};
  f.parse = parse_mutex;
  f.make_factory = mutex_factory;
  // It serves no client operations: nothing to linearize, no log to lose writes from.
  f.analysis.traits = {/*replicated_log=*/false, /*promises_linearizability=*/false};
  f.analysis.invariants = [](const std::vector<analysis::RunEvent>& events,
                             const std::vector<std::string>& node_names) {
    return analysis::check_mutex_invariants(events, node_names);
  };
  f.analysis.sections = mutex_section;
  return f;
}

Family lamport_lww_family() {
  Family f;
  f.name = "lamport-lww";
  f.summary = "a last-writer-wins store ordered by Lamport timestamps, with anti-entropy";
  f.keys = {"anti_entropy", "bugs"};
  f.parse = parse_lww;
  f.make_factory = lww_factory;
  f.analysis.traits = {/*replicated_log=*/false, /*promises_linearizability=*/false};
  return f;
}

}  // namespace synod::sim
