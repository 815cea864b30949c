#include "sim/families/readers.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace synod::sim {

namespace fs = std::filesystem;

namespace {
double seconds(const Reader& rd, const Item& item) { return to_seconds(rd.duration(item)); }
}  // namespace

Distribution read_distribution(const Reader& rd, const Item& item, const std::string& context) {
  if (item.node.IsScalar()) return Distribution::fixed(seconds(rd, item));
  Fields f(rd, item, context, {"dist", "mean", "lo", "hi", "sigma", "alpha"});
  const std::string kind = rd.word(f.required("dist"), context + ".dist",
                                   {"fixed", "exponential", "uniform", "lognormal", "pareto"});
  auto only = [&](const std::vector<std::string>& allowed) {
    for (const std::string& k : f.keys())
      if (k != "dist" && !contains(allowed, k))
        f.forbid(k, fmt::format("does not apply to dist: {} (it takes {})", kind, join(allowed)));
  };
  auto mean = [&] {
    const Item m = f.required("mean");
    const double v = seconds(rd, m);
    if (v <= 0) rd.fail(m, fmt::format("{}.mean must be > 0, got '{}'", context, m.node.Scalar()));
    return v;
  };
  if (kind == "fixed") {
    only({"mean"});
    return Distribution::fixed(seconds(rd, f.required("mean")));
  }
  if (kind == "exponential") {
    only({"mean"});
    return Distribution::exponential(mean());
  }
  if (kind == "uniform") {
    only({"lo", "hi"});
    const double lo = seconds(rd, f.required("lo"));
    const double hi = seconds(rd, f.required("hi"));
    if (hi < lo)
      rd.fail(f.get("hi"), fmt::format("{}: hi {}s is below lo {}s", context, hi, lo));
    return Distribution::uniform(lo, hi);
  }
  if (kind == "lognormal") {
    only({"mean", "sigma"});
    const double m = mean();
    const Item s = f.required("sigma");
    const double sigma = rd.number(s, "a log-space standard deviation like 0.5");
    if (sigma <= 0 || sigma > 5) rd.fail(s, fmt::format("sigma must be in (0, 5], got '{}'", s.node.Scalar()));
    return Distribution::lognormal(m, sigma);
  }
  only({"mean", "alpha"});
  const double m = mean();
  const Item a = f.required("alpha");
  const double alpha = rd.number(a, "a tail index > 1 like 2.5");
  if (alpha <= 1) rd.fail(a, fmt::format("alpha must be > 1 (a finite mean), got '{}'", a.node.Scalar()));
  return Distribution::pareto(m, alpha);
}

std::vector<CsvRow> read_csv_numbers(const Reader& rd, const Item& item, size_t columns,
                                     const std::string& expected_columns, std::string* path_out) {
  const std::string name = rd.text(item, "a CSV file name like trace.csv");
  fs::path p(name);
  if (p.is_relative()) p = fs::path(rd.file()).parent_path() / p;
  std::error_code ec;
  if (name.empty() || !fs::is_regular_file(p, ec))
    rd.fail(item, fmt::format("CSV file '{}' not found (looked for {})", name, p.string()));
  std::ifstream in(p);
  if (!in) rd.fail(item, fmt::format("cannot read CSV file {}", p.string()));
  const std::string shown = p.lexically_normal().string();
  if (path_out) *path_out = shown;
  std::vector<CsvRow> rows;
  std::string line;
  int n = 0;
  bool first = true;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) {
      const size_t a = cell.find_first_not_of(" \t");
      const size_t b = cell.find_last_not_of(" \t");
      cells.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
    }
    CsvRow row;
    row.line = n;
    bool numeric = cells.size() == columns;
    for (const std::string& c : cells) {
      double v = 0;
      if (!parse_number(c, &v)) numeric = false;
      row.values.push_back(v);
    }
    if (!numeric) {
      if (first) {  // a header
        first = false;
        continue;
      }
      throw ScenarioError(shown, n, 0,
                          fmt::format("expected {} numbers ({}), got '{}'", columns,
                                      expected_columns, line));
    }
    first = false;
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw ScenarioError(shown, 0, 0, "no rows (expected " + expected_columns + ")");
  return rows;
}

}  // namespace synod::sim
