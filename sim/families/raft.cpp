// raft as a family: its protocol keys, its nodes over persistent storage (term, vote, log), the
// consensus-log invariants (Raft Figure 3) on every run, and linearizability promised.
#include "sim/families/raft.hpp"

#include <fmt/format.h>

#include "analysis/events.hpp"
#include "sim/families/bug_knobs.hpp"
#include "sim/families/family.hpp"
#include "sim/families/leader_timing.hpp"
#include "sim/families/node_factory.hpp"
#include "sim/report/metrics.hpp"
#include "sim/report/report.hpp"

namespace synod::sim {

namespace {

constexpr int kMaxEntriesPerAppend = 1'000'000;

std::shared_ptr<const ProtocolConfig> parse(const Reader& rd, const Fields& f) {
  auto c = std::make_shared<RaftSection>();
  if (f.has("pre_vote")) c->raft.pre_vote = rd.boolean(f.get("pre_vote"));
  if (f.has("check_quorum")) c->raft.check_quorum = rd.boolean(f.get("check_quorum"));
  const LeaderTiming t = read_leader_timing(rd, f);
  c->raft.election_timeout_min = t.election_timeout_min;
  c->raft.election_timeout_max = t.election_timeout_max;
  c->raft.heartbeat_interval = t.heartbeat;
  if (f.has("max_entries_per_append")) {
    c->raft.max_entries_per_append = rd.count(f.get("max_entries_per_append"), kMaxEntriesPerAppend);
  }
  if (f.has("reads")) {
    const std::string m = rd.word(f.get("reads"), "reads", {"log", "read-index", "lease"});
    c->raft.reads = m == "log"          ? raft::ReadMode::Log
                    : m == "read-index" ? raft::ReadMode::ReadIndex
                                        : raft::ReadMode::Lease;
    // Dissertation §6.4.1: the lease holds because followers refuse votes inside it, which is
    // check-quorum's vote lease here (etcd/raft refuses ReadOnlyLeaseBased without CheckQuorum).
    if (c->raft.reads == raft::ReadMode::Lease && !c->raft.check_quorum)
      rd.fail(f.get("reads"), "reads: lease needs check_quorum: true (followers refuse votes "
                              "inside the leader's lease only with check-quorum)");
  }
  read_bug_knobs(rd, f, raft::bug_knobs(), &c->raft.bugs);
  if (f.has("max_clock_drift")) {
    const double d = rd.number(f.get("max_clock_drift"), "a fraction like 0.05");
    if (!(d >= 0 && d < 1))
      rd.fail(f.get("max_clock_drift"), fmt::format("max_clock_drift must be in [0, 1), got {}", d));
    c->raft.max_clock_drift = d;
  }
  return c;
}

// How reads were served and what they cost beside writes: the point of ReadIndex and lease reads
// (dissertation §6.4) is read latency without a log entry.
void section(const RunResult& r, RunAnalysis* a) {
  const raft::Config& c = r.scenario.protocol.config_as<RaftSection>().raft;
  const std::vector<double> reads = ok_latencies_ms(r, true);
  const std::vector<double> writes = ok_latencies_ms(r, false);
  ReportSection s;
  s.key = "reads";
  s.label = "reads";
  s.json["mode"] = raft::read_mode_name(c.reads);
  const double lease_ms =
      to_millis(c.election_timeout_min) / (1.0 + c.max_clock_drift);
  if (c.reads == raft::ReadMode::Lease) {
    s.json["max_clock_drift"] = c.max_clock_drift;
    s.json["lease_ms"] = round6(lease_ms);
  }
  s.json["reads_ok"] = reads.size();
  s.json["read_latency_ms"] = {{"p50", round6(percentile(reads, 50))},
                               {"p99", round6(percentile(reads, 99))}};
  s.json["writes_ok"] = writes.size();
  s.json["write_latency_ms"] = {{"p50", round6(percentile(writes, 50))},
                                {"p99", round6(percentile(writes, 99))}};
  s.json["compare"] = {{"read p50 ms", round6(percentile(reads, 50))},
                       {"read p99 ms", round6(percentile(reads, 99))},
                       {"write p50 ms", round6(percentile(writes, 50))}};
  const std::string how =
      c.reads == raft::ReadMode::Log         ? "through the log"
      : c.reads == raft::ReadMode::ReadIndex ? "by ReadIndex"
                                             : fmt::format("by lease ({:.1f} ms, clock drift bound {:g}%)",
                                                           lease_ms, c.max_clock_drift * 100);
  s.line = fmt::format("{}: p50 {:.2f} ms, p99 {:.2f} ms over {} reads; writes p50 {:.2f} ms", how,
                       percentile(reads, 50), percentile(reads, 99), reads.size(),
                       percentile(writes, 50));
  a->sections.push_back(std::move(s));
}

}  // namespace

Family raft_family() {
  Family f;
  f.name = "raft";
  f.summary = "Raft: leader election, log replication, pre-vote and check-quorum";
  f.keys = {"election_timeout", "heartbeat", "max_entries_per_append", "pre_vote", "check_quorum",
            "reads", "max_clock_drift", "bugs"};
  f.parse = parse;
  f.make_factory = [](const Scenario& s) {
    raft::Config c = s.protocol.config_as<RaftSection>().raft;
    // cluster.members are the first configuration; the other nodes are spares that a join adds.
    c.initial_voters.assign(s.cluster.members.begin(), s.cluster.members.end());
    return std::make_unique<StoredNodeFactory<raft::RaftNode, raft::Storage, raft::Config>>(
        s.node_count(), c);
  };
  f.analysis.traits = {/*replicated_log=*/true, /*promises_linearizability=*/true};
  f.analysis.invariants = analysis::check_log_invariants;
  f.analysis.sections = section;
  f.shardable = true;
  f.membership = true;  // configuration entries, learners (protocols/raft/membership.cpp)
  f.transfer = true;    // TimeoutNow (protocols/raft/transfer.cpp)
  return f;
}

}  // namespace synod::sim
