#include "sim/report/compare.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>


namespace synod::sim {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

bool parse_seed_list(const std::string& text, std::vector<uint64_t>* out) {
  out->clear();
  std::stringstream ss(text);
  std::string part;
  auto number = [](const std::string& s, uint64_t* v) {
    if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos)
      return false;
    *v = std::stoull(s);
    return true;
  };
  while (std::getline(ss, part, ',')) {
    uint64_t a = 0, b = 0;
    auto dash = part.find('-');
    if (dash == std::string::npos) {
      if (!number(part, &a)) return false;
      out->push_back(a);
    } else {
      if (!number(part.substr(0, dash), &a) || !number(part.substr(dash + 1), &b) || a > b ||
          b - a >= 100000)
        return false;
      for (uint64_t s = a; s <= b; ++s) out->push_back(s);
    }
  }
  return !out->empty();
}


namespace {

struct Stat {
  std::vector<double> values;
  void add(double v) { values.push_back(v); }
  double mean() const {
    double s = 0;
    for (double v : values) s += v;
    return values.empty() ? 0 : s / values.size();
  }
  double min() const { return values.empty() ? 0 : *std::min_element(values.begin(), values.end()); }
  double max() const { return values.empty() ? 0 : *std::max_element(values.begin(), values.end()); }
  ojson json() const {
    if (values.empty()) return nullptr;
    return {{"mean", std::round(mean() * 1e6) / 1e6}, {"min", min()}, {"max", max()}};
  }
  std::string text(int precision) const {
    if (values.empty()) return "—";
    return fmt::format("{:.{}f} [{:.{}f}..{:.{}f}]", mean(), precision, min(), precision, max(),
                       precision);
  }
};

// The metrics of one run, from its report.json.
struct RunMetrics {
  double throughput = 0, p50 = 0, p99 = 0, longest_gap = 0, msgs_per_ok = 0;
  double worst_recovery = -1;  // -1: no fault hit anything (nothing to recover from)
  double elections = 0, leaders = 0, violations = 0, lost = 0;
  std::string verdict;
  bool promised = true;  // the protocol promises linearizability
  ojson recovery = ojson::array();  // per fault: kind, time, recovery_s
};

RunMetrics metrics(const nlohmann::json& r) {
  RunMetrics m;
  m.throughput = r["throughput_ok_per_s"].get<double>();
  m.p50 = r["latency_ms"]["p50"].get<double>();
  m.p99 = r["latency_ms"]["p99"].get<double>();
  m.longest_gap = r["availability"]["longest_gap_s"].get<double>();
  for (const auto& f : r["faults"]) {
    const std::string kind = f["kind"].get<std::string>();
    if (kind == "restart" || kind == "heal") continue;  // recoveries, not faults
    if (f["targets"].empty()) continue;                  // it hit nothing (no leader to crash)
    double t = f["recovery_s"].is_null() ? -1 : f["recovery_s"].get<double>();
    m.recovery.push_back({{"time_s", f["time_s"]}, {"kind", kind}, {"recovery_s", f["recovery_s"]}});
    if (t > m.worst_recovery) m.worst_recovery = t;
  }
  uint64_t protocol_msgs = r["messages"]["sent"].get<uint64_t>();
  for (const char* k : {"ClientRequest", "ClientReply"})
    if (r["messages"]["by_type"].contains(k)) protocol_msgs -= r["messages"]["by_type"][k]["sent"].get<uint64_t>();
  const double ok = r["ops"]["ok"].get<double>();
  m.msgs_per_ok = ok > 0 ? protocol_msgs / ok : 0;
  m.elections = r["elections"]["started"].get<double>();
  m.leaders = r["elections"]["leaders_elected"].get<double>();
  m.violations = static_cast<double>(r["invariants"]["violations"].size());
  m.lost = r["consistency"].contains("lost_acknowledged_writes")
               ? static_cast<double>(r["consistency"]["lost_acknowledged_writes"].size())
               : 0;
  m.verdict = r["consistency"]["verdict"].get<std::string>();
  m.promised = r["consistency"]["promised"].get<bool>();
  return m;
}

}  // namespace

CompareResult summarize_compare(const Scenario& scenario, const CompareOptions& o,
                                const std::vector<CompareRun>& tasks) {
  CompareResult out;
  ojson protocols = ojson::object();
  ojson runs = ojson::array();
  out.csv =
      "protocol,seed,throughput_ok_per_s,p50_ms,p99_ms,longest_gap_s,worst_fault_recovery_s,"
      "protocol_msgs_per_ok,elections_started,leaders_elected,invariant_violations,"
      "lost_acknowledged_writes,linearizability\n";
  std::string table = fmt::format("{:<11} {:>24} {:>24} {:>26} {:>22} {:>20} {:>16} {:>6} {:>10}\n",
                                  "protocol", "ok ops/s", "p50 ms", "p99 ms", "worst recovery s",
                                  "msgs per ok op", "elections", "unsafe", "lin/total");
  for (const std::string& p : o.protocols) {
    Stat thr, p50, p99, gap, rec, mpo, el, lead;
    int unsafe = 0, linear = 0, n = 0;
    std::map<std::string, int> verdicts;
    for (size_t i = 0; i < tasks.size(); ++i) {
      const CompareRun& t = tasks[i];
      if (t.protocol != p) continue;
      if (t.status != 0 && t.status != 1)
        throw std::runtime_error(fmt::format("{} seed {}: the run failed (status {})", p, t.seed, t.status));
      std::ifstream f(fs::path(t.dir) / "report.json");
      nlohmann::json r = nlohmann::json::parse(f);
      RunMetrics m = metrics(r);
      thr.add(m.throughput);
      p50.add(m.p50);
      p99.add(m.p99);
      gap.add(m.longest_gap);
      if (m.worst_recovery >= 0) rec.add(m.worst_recovery);
      mpo.add(m.msgs_per_ok);
      el.add(m.elections);
      lead.add(m.leaders);
      const bool run_unsafe =
          m.violations > 0 || m.lost > 0 || (m.verdict == "not-linearizable" && m.promised);
      unsafe += run_unsafe;
      linear += m.verdict == "linearizable";
      verdicts[m.verdict]++;
      n++;
      if (run_unsafe) out.all_safe = false;
      runs.push_back({{"protocol", p},
                      {"seed", t.seed},
                      {"throughput_ok_per_s", m.throughput},
                      {"latency_ms", {{"p50", m.p50}, {"p99", m.p99}}},
                      {"longest_gap_s", m.longest_gap},
                      {"fault_recovery", m.recovery},
                      {"protocol_msgs_per_ok", std::round(m.msgs_per_ok * 1e3) / 1e3},
                      {"elections_started", m.elections},
                      {"leaders_elected", m.leaders},
                      {"invariant_violations", m.violations},
                      {"lost_acknowledged_writes", m.lost},
                      {"linearizability", m.verdict}});
      out.csv += fmt::format("{},{},{},{},{},{},{},{:.3f},{},{},{},{},{}\n", p, t.seed, m.throughput,
                             m.p50, m.p99, m.longest_gap, m.worst_recovery, m.msgs_per_ok,
                             m.elections, m.leaders, m.violations, m.lost, m.verdict);
    }
    ojson v = ojson::object();
    for (const auto& [k, c] : verdicts) v[k] = c;
    protocols[p] = {{"runs", n},
                    {"throughput_ok_per_s", thr.json()},
                    {"latency_p50_ms", p50.json()},
                    {"latency_p99_ms", p99.json()},
                    {"longest_gap_s", gap.json()},
                    {"worst_fault_recovery_s", rec.json()},
                    {"protocol_msgs_per_ok", mpo.json()},
                    {"elections_started", el.json()},
                    {"leaders_elected", lead.json()},
                    {"unsafe_runs", unsafe},
                    {"linearizability", v}};
    table += fmt::format("{:<11} {:>24} {:>24} {:>26} {:>22} {:>20} {:>16} {:>6} {:>10}\n", p,
                         thr.text(1), p50.text(2), p99.text(1), rec.text(3), mpo.text(1), el.text(1),
                         unsafe, fmt::format("{}/{}", linear, n));
  }
  out.summary["scenario"] = scenario.name;
  out.summary["seeds"] = o.seeds;
  out.summary["protocols"] = protocols;
  out.summary["runs"] = runs;
  out.table = table;

  auto write = [&](const char* name, const std::string& text) {
    fs::path path = fs::path(o.out_dir) / name;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f) throw std::runtime_error(fmt::format("{}: cannot write", path.string()));
  };
  write("compare.json", out.summary.dump(2) + "\n");
  write("compare.csv", out.csv);
  return out;
}

}  // namespace synod::sim
