#include "analysis/staleness.hpp"

#include <algorithm>

namespace synod::analysis {

StalenessReport measure_staleness(const std::vector<KvOp>& ops, const std::vector<double>& edges_ms) {
  StalenessReport rep;
  for (size_t b = 0; b < edges_ms.size(); ++b)
    rep.bins.push_back({edges_ms[b], b + 1 < edges_ms.size() ? edges_ms[b + 1] : 1e300, 0, 0});
  struct Written {
    Nanos invoked;
    Nanos acked;
    int64_t value;
  };
  std::map<std::string, std::vector<Written>> writes;  // by key, in acknowledgement order
  for (const KvOp& op : ops)
    if (op.write && op.value) writes[op.key].push_back({op.invoke, op.complete, *op.value});
  std::map<std::string, std::map<int64_t, size_t>> position;  // value → index in that order
  for (auto& [key, ws] : writes) {
    std::stable_sort(ws.begin(), ws.end(), [](const Written& a, const Written& b) { return a.acked < b.acked; });
    for (size_t i = 0; i < ws.size(); ++i) position[key][ws[i].value] = i;
  }
  for (const KvOp& op : ops) {
    if (op.write) continue;
    const auto w = writes.find(op.key);
    if (w == writes.end()) continue;
    const auto& ws = w->second;
    // The writes acknowledged before the read began: ws[0 .. latest].
    const auto after = std::lower_bound(ws.begin(), ws.end(), op.invoke,
                                        [](const Written& x, Nanos t) { return x.acked < t; });
    if (after == ws.begin()) continue;
    const size_t latest = static_cast<size_t>(after - ws.begin()) - 1;
    // k: how many of them are newer in real time than what the read returned (began after its
    // write was acknowledged); writes concurrent with it are in no order, and do not count.
    int64_t k = 0;
    bool missed = false;  // PBS: did not return the last acknowledged write (or a later one)
    if (!op.value) {
      k = static_cast<int64_t>(latest) + 1;
      missed = true;
    } else {
      const auto& pos = position[op.key];
      const auto p = pos.find(*op.value);
      if (p != pos.end()) {
        const Nanos returned_acked = ws[p->second].acked;
        for (size_t i = 0; i <= latest; ++i) k += ws[i].invoked > returned_acked ? 1 : 0;
        missed = p->second < latest;
      }
    }
    rep.missed_latest += missed ? 1 : 0;
    rep.reads++;
    rep.by_versions[k]++;
    const double t_ms = static_cast<double>(op.invoke - ws[latest].acked) / 1e6;
    for (auto& bin : rep.bins) {
      if (t_ms >= bin.from_ms && t_ms < bin.to_ms) {
        bin.reads++;
        bin.stale += k > 0 ? 1 : 0;
        bin.missed_latest += missed ? 1 : 0;
        break;
      }
    }
    rep.stale += k > 0 ? 1 : 0;
  }
  return rep;
}

}  // namespace synod::analysis
