// The run's files besides report.json — history.jsonl, events.jsonl, timeline.csv,
// messages.jsonl, report.html — and the terminal summary.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

#include <fmt/format.h>

#include "sim/report/html_report.hpp"
#include "sim/report/report.hpp"

namespace synod::sim {

using ojson = nlohmann::ordered_json;

std::string history_jsonl(const RunResult& r) {
  std::string out;
  for (const HistoryOp& h : r.history) {
    ojson j;
    j["process"] = h.process;
    j["type"] = history_type_name(h.type);
    j["f"] = op_name(h.f);
    j["key"] = h.key;
    if (h.f == OpType::Cas)
      j["value"] = {h.expected, h.value.value_or(0)};
    else if (h.value)
      j["value"] = *h.value;
    else
      j["value"] = nullptr;
    j["time"] = to_seconds(h.time);
    out += j.dump();
    out += '\n';
  }
  return out;
}

void write_events_jsonl(const RunResult& r, std::ostream& out) {
  for (const auto& e : r.events) out << analysis::to_json(e, r.scenario.cluster.node_names).dump() << '\n';
}

void write_messages_jsonl(const RunResult& r, std::ostream& out) {
  for (size_t i = 0; i < r.trace.size() && i < r.trace_detail.size(); ++i) {
    const auto& t = r.trace[i];
    const auto& d = r.trace_detail[i];
    auto name = [&](Address a) {
      return a < r.scenario.node_count() ? r.scenario.cluster.node_names[a]
                                         : fmt::format("client{}", a - r.scenario.node_count() + 1);
    };
    ojson j;
    j["time"] = to_seconds(d.time);
    j["node"] = name(t.node);
    j["kind"] = analysis::trace_kind_name(t.kind);
    j[t.kind == analysis::TraceKind::Send ? "to" : "from"] = name(d.peer);
    j["message"] = t.message;
    j["lamport"] = t.lamport;
    if (!t.vector.empty()) j["vector"] = t.vector;
    j["what"] = d.text;
    out << j.dump() << '\n';
  }
}

std::string timeline_csv(const ojson& report) {
  const auto& tl = report["timeline"];
  const double window_s = tl["window_s"].get<double>();
  std::string out = "t_s,ok,fail,info,ok_per_s,p50_ms,p99_ms\n";
  for (const auto& w : tl["windows"])
    out += fmt::format("{},{},{},{},{},{},{}\n", w["t_s"].get<double>(), w["ok"].get<uint64_t>(),
                       w["fail"].get<uint64_t>(), w["info"].get<uint64_t>(),
                       w["ok"].get<uint64_t>() / window_s, w["p50_ms"].get<double>(),
                       w["p99_ms"].get<double>());
  return out;
}

std::string text_summary(const RunResult& r, const RunAnalysis& a, const ojson& j) {
  std::string out;
  auto line = [&](const std::string& k, const std::string& v) {
    out += fmt::format("  {:<22} {}\n", k, v);
  };
  const ShardSpec& sh = r.scenario.protocol.shards;
  const std::string shape =
      sh.count > 0 ? fmt::format(" ({} shards of {} replicas)", sh.count, sh.replication) : "";
  out += fmt::format("synod: {} — {}{} on {} nodes, seed {}, {} simulated\n", r.scenario.name,
                     r.scenario.protocol.name, shape, r.scenario.node_count(), r.scenario.seed,
                     format_duration(r.simulated_ns));
  if (a.kv_clients) {
    const auto& ops = j["ops"];
    line("operations", fmt::format("{} invoked: {} ok, {} fail, {} info", ops["invoked"].get<uint64_t>(),
                                   ops["ok"].get<uint64_t>(), ops["fail"].get<uint64_t>(),
                                   ops["info"].get<uint64_t>()));
    line("throughput", fmt::format("{:.1f} ok ops/s", j["throughput_ok_per_s"].get<double>()));
    const auto& l = j["latency_ms"];
    line("latency (ok ops)", fmt::format("p50 {:.2f} ms  p90 {:.2f} ms  p99 {:.2f} ms  max {:.2f} ms",
                                         l["p50"].get<double>(), l["p90"].get<double>(),
                                         l["p99"].get<double>(), l["max"].get<double>()));
  }
  line("elections", fmt::format("{} started, {} leaders elected", r.elections_started,
                                r.leaders_elected));
  const auto& m = j["messages"];
  line("messages", fmt::format("{} sent, {} delivered, {} dropped, {} duplicated",
                               m["sent"].get<uint64_t>(), m["delivered"].get<uint64_t>(),
                               m["dropped"].get<uint64_t>(), m["duplicated"].get<uint64_t>()));
  if (a.kv_clients) {
    line("availability", fmt::format("longest stretch without an ok op: {:.3f} s (from {:.3f} s)",
                                     j["availability"]["longest_gap_s"].get<double>(),
                                     j["availability"]["longest_gap_from_s"].get<double>()));
  }
  line("faults", fmt::format("{} nemesis actions", r.faults.size()));
  line("invariants", a.invariants.violations.empty()
                         ? fmt::format("{} checked, 0 violations", a.invariants.checked.size())
                         : fmt::format("{} VIOLATIONS", a.invariants.violations.size()));
  for (size_t i = 0; i < a.invariants.violations.size() && i < 5; ++i) {
    const auto& v = a.invariants.violations[i];
    out += fmt::format("    {:.6f}s {}: {}\n", v.time_s, v.name, v.detail);
  }
  if (a.kv_clients) line("consistency", a.consistency_line);
  line("clock condition", a.clocks_line);
  for (const ReportSection& section : a.sections) {
    line(section.label, section.line);
    for (const auto& [label, text] : section.more_lines) line(label, text);
  }
  line("simulation speed", fmt::format("{:.1f} simulated s per wall s ({:.2f} s wall)",
                                       r.wall_seconds > 0 ? to_seconds(r.simulated_ns) / r.wall_seconds : 0.0,
                                       r.wall_seconds));
  return out;
}

bool check_output_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return false;
  if (!fs::is_directory(dir, ec))
    throw std::runtime_error(fmt::format("{}: exists and is not a directory", dir));
  static const char* const kOutputs[] = {"report.json", "history.jsonl", "events.jsonl",
                                         "timeline.csv", "messages.jsonl", "report.html"};
  std::vector<std::string> present;
  for (const char* name : kOutputs) {
    if (fs::exists(fs::path(dir) / name, ec)) present.push_back(name);
  }
  if (present.empty()) return false;
  bool ours = false;  // an earlier run's report.json: an object with our schema's first keys
  {
    std::ifstream in(fs::path(dir) / "report.json", std::ios::binary);
    if (in) {
      const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
      ours = j.is_object() && j.contains("schema_version") && j.contains("scenario") &&
             j.contains("simulated_seconds");
    }
  }
  if (!ours) {
    std::string names;
    for (const auto& n : present) names += (names.empty() ? "" : ", ") + n;
    throw std::runtime_error(fmt::format(
        "{}: holds {}, not from a synod run (no report.json of ours); they would be overwritten: "
        "choose another --out, or move them",
        dir, names));
  }
  return true;
}

void write_outputs(const std::string& dir, const RunResult& r, const RunAnalysis& a,
                   const ojson& report) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw std::runtime_error(fmt::format("{}: exists and is not a directory", dir));
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("{}: cannot create directory: {}", dir, ec.message()));
  // Each file is written as it is produced, through a 1 MiB buffer: the event log of a long run
  // is hundreds of MB, and building it as one string first doubled the run's peak memory.
  std::vector<char> buffer(1 << 20);
  auto write_with = [&](const std::string& name, const std::function<void(std::ostream&)>& produce) {
    std::string path = (fs::path(dir) / name).string();
    std::ofstream f;
    f.rdbuf()->pubsetbuf(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    f.open(path, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error(fmt::format("{}: cannot write", path));
    produce(f);
    f.flush();
    if (!f) throw std::runtime_error(fmt::format("{}: write failed", path));
  };
  auto write = [&](const std::string& name, const std::string& text) {
    write_with(name, [&](std::ostream& f) { f << text; });
  };
  write("report.json", report.dump(2) + "\n");
  write("history.jsonl", a.history_text);
  write_with("events.jsonl", [&](std::ostream& f) { write_events_jsonl(r, f); });
  write("timeline.csv", timeline_csv(report));
  if (r.scenario.trace.messages)
    write_with("messages.jsonl", [&](std::ostream& f) { write_messages_jsonl(r, f); });
  const auto& formats = r.scenario.report.formats;
  if (std::find(formats.begin(), formats.end(), "html") != formats.end())
    write("report.html", html_report(r, a, report));
}

}  // namespace synod::sim
