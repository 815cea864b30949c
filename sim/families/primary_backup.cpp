// primary-backup as a family: `mode: sync | async`, the heartbeat and failover timeout, nodes over
// a storage that keeps only their epoch (protocols/pb), the consensus-log invariants from events
// (a primary's epoch plays Raft's term), and a report section that says what failover did.
//
// Linearizability and no lost acknowledged write are promised, in both modes: async breaks the
// promise whenever a primary crashes with writes still on their way, and the run says so (unsafe,
// with the lost writes named) — that is the lesson of the mode.
#include <fmt/format.h>

#include <set>

#include "analysis/events.hpp"
#include "protocols/pb/pb_node.hpp"
#include "sim/families/family.hpp"
#include "sim/families/node_factory.hpp"

namespace synod::sim {

namespace {

using ojson = nlohmann::ordered_json;

struct PbSection final : ProtocolConfig {
  pb::Config pb;
};

std::shared_ptr<const ProtocolConfig> parse(const Reader& rd, const Fields& f) {
  auto c = std::make_shared<PbSection>();
  if (f.has("mode"))
    c->pb.mode = rd.word(f.get("mode"), "mode", {"sync", "async"}) == "sync" ? pb::Mode::Sync
                                                                             : pb::Mode::Async;
  if (f.has("heartbeat")) c->pb.heartbeat = rd.positive_duration(f.get("heartbeat"));
  if (f.has("failover_timeout"))
    c->pb.failover_timeout = rd.positive_duration(f.get("failover_timeout"));
  if (c->pb.heartbeat * 2 > c->pb.failover_timeout) {
    const Item at = f.has("heartbeat") ? f.get("heartbeat") : f.get("failover_timeout");
    rd.fail(at, fmt::format("heartbeat {} must be at most half the failover_timeout {}",
                            format_duration(c->pb.heartbeat),
                            format_duration(c->pb.failover_timeout)));
  }
  return c;
}

// What failover did: the epochs and their primaries, when each primary took over, and how many
// acknowledged writes the durability check found missing (named under consistency).
void section(const RunResult& r, RunAnalysis* a) {
  const pb::Config& c = r.scenario.protocol.config_as<PbSection>().pb;
  ReportSection s;
  s.key = "replication";
  s.label = "replication";
  ojson primaries = ojson::array();
  std::set<int64_t> epochs;
  for (const auto& e : r.events) {
    if (e.type != "role" || e.role != "leader" || !epochs.insert(e.term).second) continue;
    primaries.push_back({{"epoch", e.term},
                         {"primary", r.scenario.cluster.node_names.at(static_cast<size_t>(e.node))},
                         {"at_s", e.time_s}});
  }
  const size_t failovers = epochs.empty() ? 0 : epochs.size() - 1;
  s.json["mode"] = c.mode == pb::Mode::Sync ? "sync" : "async";
  s.json["primaries"] = primaries;
  s.json["failovers"] = failovers;
  s.json["lost_acknowledged_writes"] = a->lost_writes.size();
  s.json["compare"] = {{"failovers", failovers},
                       {"lost acknowledged writes", a->lost_writes.size()}};
  s.line = fmt::format("{}, {} failover{}, {} acknowledged write{} lost", s.json["mode"].get<std::string>(),
                       failovers, failovers == 1 ? "" : "s", a->lost_writes.size(),
                       a->lost_writes.size() == 1 ? "" : "s");
  a->sections.push_back(std::move(s));
}

}  // namespace

Family primary_backup_family() {
  Family f;
  f.name = "primary-backup";
  f.summary = "primary-backup replication, sync or async, failover by lease and majority view change";
  f.keys = {"mode", "heartbeat", "failover_timeout"};
  f.parse = parse;
  f.make_factory = [](const Scenario& s) {
    return std::make_unique<StoredNodeFactory<pb::PbNode, pb::Storage, pb::Config>>(
        s.node_count(), s.protocol.config_as<PbSection>().pb);
  };
  f.analysis.traits = {/*replicated_log=*/true, /*promises_linearizability=*/true};
  f.analysis.invariants = analysis::check_log_invariants;
  f.shardable = true;
  f.analysis.sections = section;
  return f;
}

}  // namespace synod::sim
