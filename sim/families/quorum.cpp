// quorum as a family: a Dynamo/Cassandra-style store (protocols/quorum) served to the key-value
// clients, and a report section on what it promises and what it did: staleness of reads by time
// since the last acknowledged write (PBS t-visibility) and by versions (k-staleness), PBS's closed
// form where the run is its model, and the final state — replicas that disagree, and keys whose
// last acknowledged write lost to an older one (last writer wins by clock, not by real time).
// It promises no linearizability: the checker says where a run is not linearizable.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "analysis/queueing.hpp"
#include "analysis/staleness.hpp"
#include "protocols/quorum/quorum_node.hpp"
#include "sim/families/family.hpp"
#include "sim/families/node_factory.hpp"
#include "sim/report/svg.hpp"

namespace synod::sim {

namespace {

using ojson = nlohmann::ordered_json;

struct QuorumSection final : ProtocolConfig {
  quorum::Config q;
};

std::shared_ptr<const ProtocolConfig> parse(const Reader& rd, const Fields& f) {
  auto c = std::make_shared<QuorumSection>();
  quorum::Config& q = c->q;
  const int nodes = static_cast<int>(rd.node_names().size());
  if (f.has("n")) q.n = rd.count(f.get("n"), 64);
  if (q.n > nodes) {
    if (!f.has("n"))  // found by tests/fuzz: f.get("n") of a key not there
      rd.fail(f.item(), fmt::format("n {} (the default) is more replicas than the cluster's {} "
                                    "nodes: set n", q.n, nodes));
    rd.fail(f.get("n"), fmt::format("n {} is more replicas than the cluster's {} nodes", q.n, nodes));
  }
  q.r = std::min(q.r, q.n);
  q.w = std::min(q.w, q.n);
  if (f.has("r")) q.r = rd.count(f.get("r"), 64);
  if (f.has("w")) q.w = rd.count(f.get("w"), 64);
  if (q.r > q.n) rd.fail(f.get("r"), fmt::format("r {} is more than n {}", q.r, q.n));
  if (q.w > q.n) rd.fail(f.get("w"), fmt::format("w {} is more than n {}", q.w, q.n));
  if (f.has("placement"))
    q.placement = rd.word(f.get("placement"), "placement", {"consistent", "rendezvous", "modulo"});
  // vnodes is read whatever the placement (so `compare --vary protocol.placement=...` can keep
  // it); rendezvous and modulo have no ring points and do not use it.
  if (f.has("vnodes")) q.vnodes = rd.count(f.get("vnodes"), 4096);
  if (f.has("send_to")) q.send_to_all = rd.word(f.get("send_to"), "send_to", {"all", "quorum"}) == "all";
  if (f.has("read_repair")) q.read_repair = rd.boolean(f.get("read_repair"));
  if (f.has("sloppy")) q.sloppy = rd.boolean(f.get("sloppy"));
  if (f.has("request_timeout")) q.request_timeout = rd.positive_duration(f.get("request_timeout"));
  if (f.has("suspect_for")) q.suspect_for = rd.positive_duration(f.get("suspect_for"));
  if (f.has("handoff_interval")) q.handoff_interval = rd.positive_duration(f.get("handoff_interval"));
  if (f.has("anti_entropy")) q.anti_entropy = rd.duration(f.get("anti_entropy"));
  if (f.has("buckets")) q.buckets = rd.count(f.get("buckets"), 65536);
  if (f.has("conflicts"))
    q.siblings = rd.word(f.get("conflicts"), "conflicts", {"lww", "siblings"}) == "siblings";
  return c;
}

// C(a, b), small arguments.
double choose(int a, int b) {
  if (b < 0 || b > a) return 0;
  double c = 1;
  for (int i = 1; i <= b; ++i) c = c * (a - b + i) / i;
  return c;
}

std::vector<analysis::KvOp> ok_ops(const RunResult& r) {
  std::vector<analysis::KvOp> ops;
  std::map<int64_t, size_t> open;  // process → index of its invoked op
  std::vector<std::pair<HistoryOp, bool>> invoked;
  for (const HistoryOp& h : r.history) {
    if (h.type == HistoryOp::Type::Invoke) {
      open[h.process] = invoked.size();
      invoked.push_back({h, false});
      continue;
    }
    const auto it = open.find(h.process);
    if (it == open.end()) continue;
    const HistoryOp& inv = invoked[it->second].first;
    open.erase(it);
    if (h.type != HistoryOp::Type::Ok || inv.f == OpType::Cas) continue;
    analysis::KvOp op;
    op.write = inv.f == OpType::Write;
    op.key = inv.key;
    op.value = op.write ? inv.value : h.value;
    op.invoke = inv.time;
    op.complete = h.time;
    ops.push_back(std::move(op));
  }
  return ops;
}

// The final state from the nodes' digests ("key=value@time.node;"): per key, the versions held.
struct Held {
  std::string value;
  Nanos time;
  int node;   // the timestamp's node (the coordinator)
  int owner;  // the node that holds it
};
std::map<std::string, std::vector<Held>> final_state(const RunResult& r) {
  std::map<std::string, std::vector<Held>> out;
  for (const auto& [node, digest] : r.final_digests) {
    std::stringstream ss(digest);
    std::string item;
    while (std::getline(ss, item, ';')) {
      const size_t eq = item.find('='), at = item.rfind('@'), dot = item.rfind('.');
      if (eq == std::string::npos || at == std::string::npos || dot == std::string::npos || dot < at) continue;
      out[item.substr(0, eq)].push_back({item.substr(eq + 1, at - eq - 1),
                                         std::stoll(item.substr(at + 1, dot - at - 1)),
                                         std::stoi(item.substr(dot + 1)), node});
    }
  }
  return out;
}

void section(const RunResult& r, RunAnalysis* a) {
  const quorum::Config& q = r.scenario.protocol.config_as<QuorumSection>().q;
  const std::vector<analysis::KvOp> ops = ok_ops(r);
  const std::vector<double> edges = {0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
  const analysis::StalenessReport st = analysis::measure_staleness(ops, edges);
  ReportSection s;
  s.key = "quorum";
  s.label = "quorum";
  ojson& j = s.json;
  j["n"] = q.n;
  j["r"] = q.r;
  j["w"] = q.w;
  j["send_to"] = q.send_to_all ? "all" : "quorum";
  j["read_repair"] = q.read_repair;
  j["sloppy"] = q.sloppy;
  j["anti_entropy_s"] = to_seconds(q.anti_entropy);
  j["strict_quorum"] = q.r + q.w > q.n && !q.sloppy;
  const double p_stale = st.reads > 0 ? static_cast<double>(st.stale) / st.reads : 0;
  j["reads_measured"] = st.reads;
  j["stale_reads"] = st.stale;
  j["stale_fraction"] = std::round(p_stale * 1e6) / 1e6;
  j["missed_latest"] = st.missed_latest;
  j["missed_latest_fraction"] = st.reads > 0 ? std::round(1e6 * static_cast<double>(st.missed_latest) / st.reads) / 1e6 : 0.0;
  ojson bins = ojson::array();
  std::vector<std::pair<double, double>> curve, pbs_curve;
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : st.bins) {
    if (b.reads == 0) continue;
    const double p = static_cast<double>(b.stale) / b.reads;
    const double pm = static_cast<double>(b.missed_latest) / b.reads;
    bins.push_back({{"from_ms", b.from_ms}, {"to_ms", b.to_ms > 1e299 ? -1 : b.to_ms}, {"reads", b.reads},
                    {"stale", b.stale}, {"consistent_fraction", std::round((1 - p) * 1e6) / 1e6},
                    {"missed_latest", b.missed_latest},
                    {"pbs_consistent_fraction", std::round((1 - pm) * 1e6) / 1e6}});
    curve.push_back({b.from_ms, 1 - p});
    pbs_curve.push_back({b.from_ms, 1 - pm});
    rows.push_back({b.to_ms > 1e299 ? fmt::format("≥ {:g}", b.from_ms) : fmt::format("{:g}–{:g}", b.from_ms, b.to_ms),
                    fmt::format("{}", b.reads), fmt::format("{}", b.stale), fmt::format("{:.4f}", 1 - p),
                    fmt::format("{:.4f}", 1 - pm)});
  }
  j["t_visibility"] = bins;
  ojson kst = ojson::object();
  for (const auto& [k, n] : st.by_versions) kst[std::to_string(k)] = n;
  j["versions_behind"] = kst;
  // PBS's closed form: a read of R replicas drawn at random misses all W that have the write,
  // when nothing spreads a write beyond its W (send_to: quorum, no repair, no anti-entropy).
  const double closed = choose(q.n - q.w, q.r) / choose(q.n, q.r);
  j["pbs_closed_form"] = std::round(closed * 1e6) / 1e6;
  const bool model = !q.send_to_all && q.anti_entropy == 0 && !q.sloppy && r.faults.empty();
  j["pbs_model_applies"] = model;
  // The final state: replicas of a key that disagree; keys whose last acknowledged write is not
  // the value the store settled on (it lost to a write with a later timestamp but an earlier
  // acknowledgement: clock skew, or concurrent writes).
  const auto state = final_state(r);
  // The final state: replicas of a key that disagree; and keys where the store settled on a value
  // older in real time than the last acknowledged write (its write was acknowledged before that
  // one began): the newer write lost to a later timestamp — clock skew under last writer wins.
  struct W {
    Nanos invoked, acked;
    int64_t value;
  };
  std::map<std::string, W> last_acked;
  std::map<std::pair<std::string, std::string>, W> by_value;  // (key, value text) → its write
  for (const auto& op : ops) {
    if (!op.write || !op.value) continue;
    const W w{op.invoke, op.complete, *op.value};
    by_value[{op.key, std::to_string(*op.value)}] = w;
    if (!last_acked.count(op.key) || last_acked[op.key].acked < op.complete) last_acked[op.key] = w;
  }
  size_t divergent = 0, lost_last = 0;
  ojson lost = ojson::array();
  // Divergence among the key's replicas (its preference list, as every node computes it); a live
  // replica without the key at all disagrees too.
  // The membership at the start and at the end (the joins and leaves the nemesis made).
  std::vector<NodeId> initial;
  if (r.scenario.cluster.members.empty()) {
    for (NodeId i = 0; i < r.scenario.node_count(); ++i) initial.push_back(i);
  } else {
    initial.assign(r.scenario.cluster.members.begin(), r.scenario.cluster.members.end());
  }
  std::vector<NodeId> final_members = initial;
  size_t changes = 0;
  for (const FaultRecord& f : r.faults) {
    if (f.kind != "join" && f.kind != "leave") continue;
    for (const std::string& name : f.targets) {
      const auto at = std::find(r.scenario.cluster.node_names.begin(), r.scenario.cluster.node_names.end(), name);
      const NodeId id = static_cast<NodeId>(at - r.scenario.cluster.node_names.begin());
      const auto it = std::find(final_members.begin(), final_members.end(), id);
      if (f.kind == "join" && it == final_members.end()) final_members.push_back(id), ++changes;
      if (f.kind == "leave" && it != final_members.end()) final_members.erase(it), ++changes;
    }
  }
  std::sort(final_members.begin(), final_members.end());
  const auto ring_ptr = placement::make_placement(q.placement, final_members, q.vnodes);
  const placement::Placement& ring = *ring_ptr;
  std::map<std::string, std::map<int, const Held*>> at;  // key → node → version held
  std::map<int, bool> live;
  for (const auto& [node, digest] : r.final_digests) live[node] = true;
  for (const auto& [key, held] : state)
    for (const Held& h : held) at[key][h.owner] = &h;
  // Siblings: per key and node the versions held; the most siblings any replica holds.
  std::map<std::string, std::map<int, std::set<std::pair<std::string, Nanos>>>> sets;
  size_t keys_with_siblings = 0, most_siblings = 0;
  if (q.siblings) {
    for (const auto& [key, held] : state) {
      std::map<int, size_t> per_owner;
      for (const Held& h : held) {
        sets[key][h.owner].insert({h.value, h.time});
        most_siblings = std::max(most_siblings, ++per_owner[h.owner]);
      }
      bool multiple = false;
      for (const auto& [owner, n] : per_owner) multiple |= n > 1;
      keys_with_siblings += multiple ? 1 : 0;
    }
  }
  for (const auto& [key, held] : state) {
    bool differ = false;
    const Held* win = &held[0];
    for (const Held& h : held)
      if (h.time > win->time || (h.time == win->time && h.node > win->node)) win = &h;
    std::set<std::pair<std::string, Nanos>> first_set;
    bool first = true;
    for (NodeId rep : ring.replicas(key, q.n)) {
      if (!live.count(rep)) continue;
      const auto it = at[key].find(rep);
      if (q.siblings) {  // replicas agree when they hold the same siblings
        const auto& mine = sets[key][rep];
        if (first) first_set = mine, first = false;
        differ |= it == at[key].end() || mine != first_set;
        continue;
      }
      differ |= it == at[key].end() || it->second->value != win->value || it->second->time != win->time;
    }
    divergent += differ ? 1 : 0;
    const auto la = last_acked.find(key);
    if (la == last_acked.end() || win->value == std::to_string(la->second.value)) continue;
    if (q.siblings) {  // kept as a sibling somewhere: not lost
      bool kept = false;
      for (const Held& h : held) kept |= h.value == std::to_string(la->second.value);
      if (kept) continue;
    }
    const auto wv = by_value.find({key, win->value});
    const bool older = wv == by_value.end() ? win->value == "null" : wv->second.acked < la->second.invoked;
    if (!older) continue;
    ++lost_last;
    if (lost.size() < 20)
      lost.push_back(fmt::format("{}: last acknowledged write {} ({:.6f}s), the store holds {}, written "
                                 "before it", key, la->second.value, to_seconds(la->second.acked), win->value));
  }
  if (changes > 0) {
    // What the membership changes moved: replica sets that changed between the first and the
    // last ring, key copies that had to go to a node that did not hold them, and the streams.
    const auto first_ptr = placement::make_placement(q.placement, initial, q.vnodes);
    const placement::Placement& first = *first_ptr;
    size_t changed = 0, copies = 0;
    for (const auto& [key, held] : state) {
      const auto a = first.replicas(key, q.n), b = ring.replicas(key, q.n);
      changed += a != b ? 1 : 0;
      for (NodeId x : b) copies += std::find(a.begin(), a.end(), x) == a.end() ? 1 : 0;
    }
    uint64_t stream_msgs = 0, stream_bytes = 0;
    for (size_t k = 0; k < r.message_kind_names.size() && k < r.messages.size(); ++k)
      if (r.message_kind_names[k] == std::string("QuorumStream"))
        stream_msgs = r.messages[k].sent, stream_bytes = r.messages[k].bytes_sent;
    auto names_of = [&](const std::vector<NodeId>& ids) {
      std::vector<std::string> out;
      for (NodeId i : ids) out.push_back(r.scenario.cluster.node_names[static_cast<size_t>(i)]);
      return out;
    };
    const double denom = std::max<size_t>(1, state.size());
    j["membership"] = {{"initial", names_of(initial)},
                       {"final", names_of(final_members)},
                       {"changes", changes},
                       {"replica_sets_changed_fraction", std::round(1e6 * changed / denom) / 1e6},
                       {"key_copies_moved_fraction", std::round(1e6 * copies / (denom * q.n)) / 1e6},
                       {"stream_messages", stream_msgs},
                       {"stream_bytes", stream_bytes}};
    s.more_lines.push_back(
        {"membership", fmt::format("{} -> {} nodes: {:.4f} of replica sets changed, {:.4f} of key "
                                   "copies moved; {} stream messages, {} bytes",
                                   initial.size(), final_members.size(), changed / denom,
                                   copies / (denom * q.n), stream_msgs, stream_bytes)});
  }
  // Load: key copies each final member is a replica of, max / mean.
  std::map<NodeId, size_t> copies_per_node;
  for (NodeId m : final_members) copies_per_node[m] = 0;
  for (const auto& [key, held] : state)
    for (NodeId x : ring.replicas(key, q.n)) copies_per_node[x]++;
  size_t copies_max = 0, copies_sum = 0;
  for (const auto& [node, c] : copies_per_node) copies_max = std::max(copies_max, c), copies_sum += c;
  const double load_imbalance =
      copies_sum > 0 ? static_cast<double>(copies_max) * copies_per_node.size() / copies_sum : 0;
  j["placement"] = q.placement;
  j["load_imbalance"] = std::round(load_imbalance * 1e6) / 1e6;
  j["keys"] = state.size();
  j["divergent_keys"] = divergent;
  j["last_acknowledged_write_lost"] = lost_last;
  j["lost_examples"] = lost;
  if (q.siblings) {
    j["conflicts"] = "siblings";
    j["keys_with_siblings_at_end"] = keys_with_siblings;
    j["most_siblings"] = most_siblings;
  }
  j["compare"] = {{"stale fraction", j["stale_fraction"]},
                  {"load max/mean", j["load_imbalance"]},
                  {"divergent keys", divergent},
                  {"last acked write lost", lost_last}};
  if (j.contains("membership"))
    j["compare"]["key copies moved"] = j["membership"]["key_copies_moved_fraction"];
  s.line = fmt::format("N={} R={} W={}{}{}: {} of {} reads stale ({:.4f}), {} missed the last "
                       "acknowledged write ({:.4f}){}",
                       q.n, q.r, q.w, q.sloppy ? " sloppy" : "", q.send_to_all ? "" : " send_to=quorum",
                       st.stale, st.reads, p_stale, st.missed_latest,
                       st.reads > 0 ? static_cast<double>(st.missed_latest) / st.reads : 0.0,
                       model ? fmt::format("; PBS closed form C(N-W,R)/C(N,R) = {:.4f}", closed) : "");
  s.more_lines.push_back(
      {"final state",
       q.siblings ? fmt::format("{} keys, {} with replicas that disagree, {} whose last acknowledged "
                                "write lost (vector-clock siblings: {} keys hold siblings, at most {})",
                                state.size(), divergent, lost_last, keys_with_siblings, most_siblings)
                  : fmt::format("{} keys, {} with replicas that disagree, {} whose "
                                "last acknowledged write lost (last writer wins by clock)",
                                state.size(), divergent, lost_last)});
  s.html = svg_chart("t-visibility: reads consistent by time since the last acknowledged write",
                     {{"P(consistent)", "#1f6feb", curve}, {"PBS: P(latest or newer)", "#d29922", pbs_curve}},
                     "ms", "share") +
           html_table({"t (ms)", "reads", "stale", "P(consistent)", "PBS P(latest or newer)"}, rows);
  a->sections.push_back(std::move(s));
}

}  // namespace

Family quorum_family() {
  Family f;
  f.name = "quorum";
  f.summary = "a Dynamo/Cassandra-style quorum store: N replicas on a ring, R and W, read repair, "
              "sloppy quorums and hinted handoff, anti-entropy, last writer wins or vector-clock siblings";
  f.keys = {"n", "r", "w", "placement", "vnodes", "send_to", "read_repair", "sloppy", "request_timeout",
            "suspect_for", "handoff_interval", "anti_entropy", "buckets", "conflicts"};
  f.parse = parse;
  f.make_factory = [](const Scenario& s) {
    return std::make_unique<StoredNodeFactory<quorum::QuorumNode, quorum::Storage, quorum::Config>>(
        s.node_count(), s.protocol.config_as<QuorumSection>().q);
  };
  f.analysis.traits.replicated_log = false;
  f.analysis.traits.promises_linearizability = false;
  f.analysis.traits.compare_digests = false;
  f.analysis.sections = section;
  f.membership = true;
  return f;
}

}  // namespace synod::sim
