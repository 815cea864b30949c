#include "sim/report/html_report.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace synod::sim {

namespace {

using ojson = nlohmann::ordered_json;

constexpr int kWidth = 960;       // SVG width in px
constexpr int kLeft = 70;         // room for the y axis labels
constexpr int kRight = 20;
constexpr int kPlotWidth = kWidth - kLeft - kRight;

std::string escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

struct Band {
  double from_s, to_s;
  std::string label;
};

// Partitions (and cuts) from their start to the next heal; latency and loss windows from their
// start to their end. Crashes show in the role timeline instead.
std::vector<Band> fault_bands(const RunResult& r) {
  std::vector<Band> bands;
  const double end = to_seconds(r.simulated_ns);
  double partition_from = -1;
  std::string partition_label;
  std::map<std::string, std::pair<double, std::string>> windows;  // kind → (from, label)
  for (const FaultRecord& f : r.faults) {
    const double t = to_seconds(f.time);
    const bool ending = f.detail.find("end of") != std::string::npos;
    if (f.kind == "partition" || f.kind == "cut") {
      if (partition_from >= 0) bands.push_back({partition_from, t, partition_label});
      partition_from = t;
      partition_label = f.kind + " " + fmt::format("{}", fmt::join(f.targets, " | "));
    } else if (f.kind == "heal") {
      if (partition_from >= 0) bands.push_back({partition_from, t, partition_label});
      partition_from = -1;
      for (auto& [kind, w] : windows) bands.push_back({w.first, t, w.second});
      windows.clear();
    } else if (f.kind == "latency" || f.kind == "loss") {
      if (ending) {
        auto it = windows.find(f.kind);
        if (it != windows.end()) {
          bands.push_back({it->second.first, t, it->second.second});
          windows.erase(it);
        }
      } else {
        windows[f.kind] = {t, fmt::format("{} {} {}", f.kind, fmt::join(f.targets, ","), f.detail)};
      }
    }
  }
  if (partition_from >= 0) bands.push_back({partition_from, end, partition_label});
  for (auto& [kind, w] : windows) bands.push_back({w.first, end, w.second});
  return bands;
}

double x_of(double t, double end) { return kLeft + kPlotWidth * (end > 0 ? t / end : 0); }

std::string time_axis(double end, int y_bottom) {
  std::string s;
  double step = end <= 2 ? 0.25 : end <= 12 ? 1 : end <= 60 ? 5 : end <= 300 ? 30 : 60;
  for (double t = 0; t <= end + 1e-9; t += step) {
    double x = x_of(t, end);
    s += fmt::format(R"(<line x1="{:.1f}" y1="{}" x2="{:.1f}" y2="{}" class="tick"/>)", x, y_bottom, x,
                     y_bottom + 4);
    s += fmt::format(R"(<text x="{:.1f}" y="{}" class="axis" text-anchor="middle">{:g}s</text>)", x,
                     y_bottom + 16, t);
  }
  return s;
}

std::string bands_svg(const std::vector<Band>& bands, double end, int top, int height) {
  std::string s;
  for (const Band& b : bands) {
    double x0 = x_of(b.from_s, end), x1 = x_of(b.to_s, end);
    s += fmt::format(R"(<rect x="{:.1f}" y="{}" width="{:.1f}" height="{}" class="band"><title>{}</title></rect>)",
                     x0, top, std::max(1.0, x1 - x0), height, escape(b.label));
  }
  return s;
}

// A line chart of one or more series over the timeline windows.
std::string line_chart(const std::string& title, const ojson& windows, double window_s, double end,
                       const std::vector<std::pair<std::string, std::string>>& series,  // (field, css class)
                       double scale, const std::string& unit, const std::vector<Band>& bands,
                       const std::vector<std::pair<double, std::string>>& marks) {
  const int height = 180, top = 10, bottom = top + height;
  double ymax = 0;
  for (const auto& w : windows)
    for (const auto& [field, cls] : series) ymax = std::max(ymax, w[field].get<double>() * scale);
  if (ymax <= 0) ymax = 1;
  std::string s = fmt::format(R"(<h3>{}</h3><svg width="{}" height="{}" role="img">)", escape(title),
                              kWidth, bottom + 24);
  s += bands_svg(bands, end, top, height);
  for (int i = 0; i <= 4; ++i) {
    double v = ymax * i / 4;
    double y = bottom - height * i / 4.0;
    s += fmt::format(R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" class="grid"/>)", kLeft, y,
                     kWidth - kRight, y);
    s += fmt::format(R"(<text x="{}" y="{:.1f}" class="axis" text-anchor="end">{:.4g} {}</text>)",
                     kLeft - 6, y + 4, v, unit);
  }
  for (const auto& [t, label] : marks) {
    double x = x_of(t, end);
    s += fmt::format(R"(<line x1="{:.1f}" y1="{}" x2="{:.1f}" y2="{}" class="mark"><title>{}</title></line>)",
                     x, top, x, bottom, escape(label));
  }
  for (const auto& [field, cls] : series) {
    std::string pts;
    for (const auto& w : windows) {
      double t = w["t_s"].get<double>() + window_s / 2;
      double v = w[field].get<double>() * scale;
      pts += fmt::format("{:.1f},{:.1f} ", x_of(t, end), bottom - height * v / ymax);
    }
    s += fmt::format(R"(<polyline points="{}" class="{}"/>)", pts, cls);
  }
  s += time_axis(end, bottom);
  s += "</svg>";
  return s;
}

// One row per node: its role over time (follower, candidate, leader; down while crashed).
std::string role_timeline(const RunResult& r) {
  const int n = r.scenario.node_count();
  const double end = to_seconds(r.simulated_ns);
  const int row = 22, top = 4;
  std::vector<std::pair<double, std::string>> current(n, {0.0, "follower"});
  std::string rects;
  auto close = [&](int node, double t) {
    auto& [from, role] = current[node];
    if (t > from) {
      double x0 = x_of(from, end), x1 = x_of(t, end);
      rects += fmt::format(R"(<rect x="{:.2f}" y="{}" width="{:.2f}" height="{}" class="role-{}"><title>{} {} {:.3f}s–{:.3f}s</title></rect>)",
                           x0, top + node * row, std::max(0.5, x1 - x0), row - 6, role,
                           escape(r.scenario.cluster.node_names[node]), role, from, t);
    }
  };
  for (const auto& e : r.events) {
    if (e.node < 0 || e.node >= n) continue;
    std::string next;
    if (e.type == "role" && e.group < 0) next = e.role;  // a sharded node's roles are per group
    else if (e.type == "crash") next = "down";
    else if (e.type == "restart") next = "follower";
    else continue;
    if (next == current[e.node].second) continue;
    close(e.node, e.time_s);
    current[e.node] = {e.time_s, next};
  }
  for (int i = 0; i < n; ++i) close(i, end);
  std::string s = fmt::format(R"(<h3>Roles over time</h3><svg width="{}" height="{}" role="img">)",
                              kWidth, top + n * row + 24);
  for (int i = 0; i < n; ++i)
    s += fmt::format(R"(<text x="{}" y="{}" class="axis" text-anchor="end">{}</text>)", kLeft - 6,
                     top + i * row + 12, escape(r.scenario.cluster.node_names[i]));
  s += rects;
  s += time_axis(end, top + n * row);
  s += "</svg>";
  s += R"(<p class="legend"><span class="sw role-follower"></span>follower <span class="sw role-candidate"></span>candidate <span class="sw role-leader"></span>leader <span class="sw role-down"></span>crashed <span class="sw band"></span>partition / latency / loss window</p>)";
  return s;
}

const char* kStyle = R"(
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
h3 { font-size: 14px; margin: 18px 0 4px; color: #444; }
table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 3px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
.ok { color: #1a7f37; font-weight: 600; } .bad { color: #c62828; font-weight: 600; } .unk { color: #b26a00; font-weight: 600; }
.axis { font-size: 11px; fill: #555; } .tick { stroke: #888; } .grid { stroke: #eee; }
.band { fill: #f4b400; fill-opacity: 0.18; } .mark { stroke: #c62828; stroke-dasharray: 3 3; }
polyline { fill: none; stroke-width: 1.6; } .s-ok { stroke: #1f6feb; } .s-p50 { stroke: #1a7f37; } .s-p99 { stroke: #c62828; } .s-info { stroke: #b26a00; }
.role-follower { fill: #d0d7de; } .role-candidate { fill: #f0a030; } .role-leader { fill: #1a7f37; } .role-down { fill: #c62828; fill-opacity: .75; }
.legend { font-size: 12px; color: #555; } .sw { display: inline-block; width: 12px; height: 10px; margin: 0 4px 0 12px; vertical-align: middle; }
span.band { background: #f4b400; opacity: .35; } span.role-follower { background: #d0d7de; } span.role-candidate { background: #f0a030; } span.role-leader { background: #1a7f37; } span.role-down { background: #c62828; }
code, pre { font: 12px ui-monospace, monospace; } pre { background: #f6f8fa; padding: 8px; overflow-x: auto; }
)";

}  // namespace

std::string html_report(const RunResult& r, const RunAnalysis& a, const ojson& j) {
  const Scenario& s = r.scenario;
  const double end = to_seconds(r.simulated_ns);
  std::string h = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">";
  h += fmt::format("<title>synod: {} (seed {})</title><style>{}</style></head><body>", escape(s.name),
                   s.seed, kStyle);
  h += fmt::format("<h1>{}</h1><p>{}</p>", escape(s.name), escape(s.description));
  h += fmt::format("<p><b>{}</b> on {} nodes, {} clients, seed {}, {} simulated. Replay: <code>synod run {} --seed {}</code></p>",
                   escape(s.protocol.name), s.node_count(), s.workload.clients, s.seed,
                   format_duration(r.simulated_ns), escape(s.file), s.seed);

  // Verdicts first: that is what a reader wants to know.
  const bool inv_ok = a.invariants.violations.empty();
  const char* lin_cls = a.verdict == "linearizable" ? "ok" : a.verdict == "unknown" ? "unk" : "bad";
  h += "<h2>Verdicts</h2><table>";
  if (a.kv_clients) {
    h += fmt::format("<tr><th>linearizability</th><td class=\"{}\">{}</td><td>{}</td></tr>", lin_cls,
                     escape(a.verdict), escape(a.consistency_line));
  }
  h += fmt::format("<tr><th>invariants</th><td class=\"{}\">{}</td><td>{}</td></tr>",
                   inv_ok ? "ok" : "bad",
                   inv_ok ? "0 violations" : fmt::format("{} violations", a.invariants.violations.size()),
                   escape(fmt::format("{}", fmt::join(a.invariants.checked, ", "))));
  if (a.kv_clients) {
    h += fmt::format("<tr><th>lost acknowledged writes</th><td class=\"{}\">{}</td><td></td></tr>",
                     a.lost_writes.empty() ? "ok" : "bad", a.lost_writes.size());
  }
  for (const ReportSection& section : a.sections) {
    h += fmt::format("<tr><th>{}</th><td class=\"{}\">{}</td><td></td></tr>", escape(section.label),
                     section.unsafe ? "bad" : "ok", escape(section.line));
  }
  h += "</table>";
  if (!inv_ok) {
    h += "<table><tr><th>time</th><th>invariant</th><th>detail</th></tr>";
    for (const auto& v : a.invariants.violations)
      h += fmt::format("<tr><td>{:.6f}s</td><td>{}</td><td>{}</td></tr>", v.time_s, escape(v.name),
                       escape(v.detail));
    h += "</table>";
  }
  for (const auto& k : j["consistency"]["keys"]) {
    if (!k.contains("explanation")) continue;
    h += fmt::format("<h3>key {}: not linearizable</h3><pre>{}</pre>",
                     escape(k["key"].is_null() ? "(register)" : k["key"].get<std::string>()),
                     escape(k["explanation"].dump(2)));
  }

  for (const ReportSection& section : a.sections) {
    if (section.html.empty()) continue;
    h += fmt::format("<h2>{}</h2>", escape(section.label)) + section.html;
  }

  h += "<h2>Numbers</h2><table>";
  const auto& ops = j["ops"];
  const auto& lat = j["latency_ms"];
  const auto& m = j["messages"];
  if (a.kv_clients) {
    h += fmt::format("<tr><th>operations</th><td>{} invoked: {} ok, {} fail, {} info</td></tr>",
                     ops["invoked"].get<uint64_t>(), ops["ok"].get<uint64_t>(), ops["fail"].get<uint64_t>(),
                     ops["info"].get<uint64_t>());
    h += fmt::format("<tr><th>throughput</th><td>{:.1f} ok ops/s</td></tr>", j["throughput_ok_per_s"].get<double>());
    h += fmt::format("<tr><th>latency (ok)</th><td>p50 {:.2f} ms · p90 {:.2f} ms · p99 {:.2f} ms · max {:.2f} ms</td></tr>",
                     lat["p50"].get<double>(), lat["p90"].get<double>(), lat["p99"].get<double>(),
                     lat["max"].get<double>());
  }
  h += fmt::format("<tr><th>elections</th><td>{} started, {} leaders elected</td></tr>",
                   r.elections_started, r.leaders_elected);
  h += fmt::format("<tr><th>messages</th><td>{} sent, {} delivered, {} dropped, {} duplicated</td></tr>",
                   m["sent"].get<uint64_t>(), m["delivered"].get<uint64_t>(), m["dropped"].get<uint64_t>(),
                   m["duplicated"].get<uint64_t>());
  h += fmt::format("<tr><th>availability</th><td>longest stretch without an ok op: {:.3f} s from {:.3f} s</td></tr>",
                   j["availability"]["longest_gap_s"].get<double>(),
                   j["availability"]["longest_gap_from_s"].get<double>());
  h += "</table>";

  const auto bands = fault_bands(r);
  std::vector<std::pair<double, std::string>> marks;
  for (const FaultRecord& f : r.faults)
    if (f.kind == "crash" || f.kind == "restart")
      marks.push_back({to_seconds(f.time), fmt::format("{} {}", f.kind, fmt::join(f.targets, ","))});
  const auto& windows = j["timeline"]["windows"];
  const double window_s = j["timeline"]["window_s"].get<double>();
  h += "<h2>Over time</h2>";
  if (a.kv_clients) {
    h += line_chart(fmt::format("Throughput (ok ops/s per {:g} s window); dashed: crashes and restarts", window_s),
                    windows, window_s, end, {{"ok", "s-ok"}}, 1.0 / window_s, "/s", bands, marks);
    h += line_chart("Latency of ok ops (p50 green, p99 red), by completion window", windows, window_s,
                    end, {{"p50_ms", "s-p50"}, {"p99_ms", "s-p99"}}, 1.0, "ms", bands, marks);
  }
  h += role_timeline(r);

  h += "<h2>Faults</h2><table><tr><th>time</th><th>kind</th><th>targets</th><th>detail</th><th>recovery</th></tr>";
  for (const auto& f : j["faults"])
    h += fmt::format("<tr><td>{:.3f}s</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                     f["time_s"].get<double>(), escape(f["kind"].get<std::string>()),
                     escape(fmt::format("{}", fmt::join(f["targets"].get<std::vector<std::string>>(), " "))),
                     escape(f.value("detail", "")),
                     f["recovery_s"].is_null() ? std::string("—")
                                               : fmt::format("{:.3f} s", f["recovery_s"].get<double>()));
  h += "</table>";

  h += "<h2>Messages by type</h2><table><tr><th>type</th><th>sent</th><th>delivered</th><th>dropped</th><th>duplicated</th><th>bytes</th></tr>";
  for (const auto& [type, c] : m["by_type"].items())
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                     escape(type), c["sent"].get<uint64_t>(), c["delivered"].get<uint64_t>(),
                     c["dropped"].get<uint64_t>(), c["duplicated"].get<uint64_t>(), c["bytes"].get<uint64_t>());
  h += "</table>";
  h += "<p class=\"legend\">Generated by synod from report.json and events.jsonl in this directory.</p></body></html>\n";
  return h;
}

}  // namespace synod::sim
