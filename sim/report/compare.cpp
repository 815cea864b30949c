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

bool split_values(const std::string& text, std::vector<std::string>* out) {
  out->clear();
  std::string current;
  int depth = 0;
  char quote = 0;
  for (char c : text) {
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth < 0) return false;
    } else if (c == ',' && depth == 0) {
      out->push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  if (depth != 0 || quote != 0) return false;
  out->push_back(current);
  for (std::string& v : *out) {
    const size_t b = v.find_first_not_of(' '), e = v.find_last_not_of(' ');
    v = b == std::string::npos ? "" : v.substr(b, e - b + 1);
    if (v.empty()) return false;
  }
  return true;
}

namespace {

// A family without key-value clients publishes the numbers worth comparing in its report
// section, as report.json[section]["compare"] = {"name": number, ...}; nothing else is read.
std::vector<std::pair<std::string, double>> family_metrics(const nlohmann::json& r) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [key, value] : r.items()) {
    if (!value.is_object() || !value.contains("compare")) continue;
    for (const auto& [name, v] : value["compare"].items()) {
      if (v.is_number()) out.push_back({name, v.get<double>()});
    }
  }
  return out;
}

bool is_family_report(const nlohmann::json& r) {
  return r.contains("kv_clients") && !r["kv_clients"].get<bool>();
}

nlohmann::json read_report(const CompareRun& t) {
  if (t.status != 0 && t.status != 1)
    throw std::runtime_error(
        fmt::format("{} seed {}: the run failed (status {})", t.label, t.seed, t.status));
  std::ifstream f(fs::path(t.dir) / "report.json");
  if (!f) throw std::runtime_error(fmt::format("{}: cannot read", (fs::path(t.dir) / "report.json").string()));
  return nlohmann::json::parse(f);
}

size_t label_width(const CompareOptions& o) {
  size_t w = 11;
  for (const std::string& l : o.labels) w = std::max(w, l.size());
  return w;
}

// The table of a workload family: its own metrics, mean [min..max] across seeds.
void summarize_family(const CompareOptions& o, const std::vector<CompareRun>& tasks,
                      CompareResult* out, ojson* rows, ojson* runs) {
  std::vector<std::string> names;
  std::map<std::string, std::map<std::string, Stat>> stats;  // label → metric → values
  std::map<std::string, int> unsafe;
  for (const CompareRun& t : tasks) {
    const nlohmann::json r = read_report(t);
    ojson run = {{o.label_kind, t.label}, {"seed", t.seed}};
    std::string csv = fmt::format("{},{}", t.label, t.seed);
    for (const auto& [name, v] : family_metrics(r)) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      stats[t.label][name].add(v);
      run[name] = v;
    }
    const bool run_unsafe = t.status == 1;
    unsafe[t.label] += run_unsafe;
    if (run_unsafe) out->all_safe = false;
    run["unsafe"] = run_unsafe;
    runs->push_back(run);
  }
  out->csv = o.label_kind + ",seed";
  for (const std::string& n : names) out->csv += "," + n;
  out->csv += ",unsafe\n";
  for (const ojson& run : *runs) {
    out->csv += fmt::format("{},{}", run[o.label_kind].get<std::string>(), run["seed"].get<uint64_t>());
    for (const std::string& n : names)
      out->csv += run.contains(n) ? fmt::format(",{}", run[n].get<double>()) : std::string(",");
    out->csv += fmt::format(",{}\n", run["unsafe"].get<bool>() ? 1 : 0);
  }
  const size_t w = label_width(o);
  std::string table = fmt::format("{:<{}}", o.label_kind, w);
  for (const std::string& n : names) table += fmt::format(" {:>26}", n);
  table += fmt::format(" {:>6}\n", "unsafe");
  for (const std::string& label : o.labels) {
    ojson row = ojson::object();
    table += fmt::format("{:<{}}", label, w);
    for (const std::string& n : names) {
      const Stat& st = stats[label][n];
      row[n] = st.json();
      table += fmt::format(" {:>26}", st.text(st.mean() >= 100 ? 1 : 3));
    }
    row["unsafe_runs"] = unsafe[label];
    table += fmt::format(" {:>6}\n", unsafe[label]);
    (*rows)[label] = row;
  }
  out->table = table;
}

// The table of key-value protocols: throughput, latency, recovery, message cost, safety.
void summarize_kv(const CompareOptions& o, const std::vector<CompareRun>& tasks,
                  CompareResult* result, ojson* rows, ojson* run_list) {
  CompareResult& out = *result;
  ojson& protocols = *rows;
  ojson& runs = *run_list;
  const size_t w = label_width(o);
  out.csv = o.label_kind + ",seed,throughput_ok_per_s,p50_ms,p99_ms,longest_gap_s,worst_fault_recovery_s,"
      "protocol_msgs_per_ok,elections_started,leaders_elected,invariant_violations,"
      "lost_acknowledged_writes,linearizability\n";
  std::string table = fmt::format("{:<{}} {:>24} {:>24} {:>26} {:>22} {:>20} {:>16} {:>6} {:>10}\n",
                                  o.label_kind, w, "ok ops/s", "p50 ms", "p99 ms", "worst recovery s",
                                  "msgs per ok op", "elections", "unsafe", "lin/total");
  std::vector<std::string> family_names;
  std::map<std::string, std::map<std::string, Stat>> family_stats;  // label → metric → values
  for (const CompareRun& t : tasks) {
    for (const auto& [name, v] : family_metrics(read_report(t))) {
      if (std::find(family_names.begin(), family_names.end(), name) == family_names.end())
        family_names.push_back(name);
      family_stats[t.label][name].add(v);
    }
  }
  for (const std::string& p : o.labels) {
    Stat thr, p50, p99, gap, rec, mpo, el, lead;
    int unsafe = 0, linear = 0, n = 0;
    std::map<std::string, int> verdicts;
    for (size_t i = 0; i < tasks.size(); ++i) {
      const CompareRun& t = tasks[i];
      if (t.label != p) continue;
      const nlohmann::json r = read_report(t);
      RunMetrics m = metrics(r);
      thr.add(m.throughput);
      p50.add(m.p50);
      p99.add(m.p99);
      gap.add(m.longest_gap);
      if (m.worst_recovery >= 0) rec.add(m.worst_recovery);
      mpo.add(m.msgs_per_ok);
      el.add(m.elections);
      lead.add(m.leaders);
      // The run's own verdict (its exit status) also counts what its family's sections found.
      const bool run_unsafe = t.status == 1 || m.violations > 0 || m.lost > 0 ||
                              (m.verdict == "not-linearizable" && m.promised);
      unsafe += run_unsafe;
      linear += m.verdict == "linearizable";
      verdicts[m.verdict]++;
      n++;
      if (run_unsafe) out.all_safe = false;
      runs.push_back({{o.label_kind, p},
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
    table += fmt::format("{:<{}} {:>24} {:>24} {:>26} {:>22} {:>20} {:>16} {:>6} {:>10}", p, w,
                         thr.text(1), p50.text(2), p99.text(1), rec.text(3), mpo.text(1), el.text(1),
                         unsafe, fmt::format("{}/{}", linear, n));
    // The family's own numbers (its section's "compare"), after the common columns.
    for (const std::string& name : family_names) {
      const Stat& st = family_stats[p][name];
      table += fmt::format(" {:>26}", st.text(st.mean() >= 100 ? 1 : 3));
      protocols[p]["family"][name] = st.json();
    }
    table += "\n";
  }
  if (!family_names.empty()) {
    // The header gains the family's column names.
    const size_t eol = table.find('\n');
    std::string extra;
    for (const std::string& name : family_names) extra += fmt::format(" {:>26}", name);
    table.insert(eol, extra);
  }
  out.table = table;
}

}  // namespace

CompareResult summarize_compare(const Scenario& scenario, const CompareOptions& o,
                                const std::vector<CompareRun>& tasks) {
  CompareResult out;
  ojson protocols = ojson::object();
  ojson runs = ojson::array();
  const bool family = !tasks.empty() && is_family_report(read_report(tasks.front()));
  if (family) {
    summarize_family(o, tasks, &out, &protocols, &runs);
  } else {
    summarize_kv(o, tasks, &out, &protocols, &runs);
  }
  out.summary["scenario"] = scenario.name;
  out.summary["seeds"] = o.seeds;
  out.summary[o.label_kind + "s"] = protocols;
  out.summary["runs"] = runs;

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
