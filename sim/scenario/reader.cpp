#include "sim/scenario/reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "protocols/common/duration.hpp"

namespace synod::sim {

Item item_of(const YAML::Node& node) { return Item{node, node.Mark()}; }

Item value_item(const YAML::Node& key, const YAML::Node& value) {
  return Item{value, value.IsNull() ? key.Mark() : value.Mark()};
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return "'" + n.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

std::string did_you_mean(const std::string& s, const std::vector<std::string>& known) {
  // Levenshtein distance, one row at a time.
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        const size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diag = up;
      }
    }
    return row[b.size()];
  };
  const std::string* best = nullptr;
  size_t best_d = 0;
  for (const std::string& k : known) {
    const size_t d = distance(s, k);
    if (best == nullptr || d < best_d) best = &k, best_d = d;
  }
  const size_t limit = std::max<size_t>(1, std::min<size_t>(2, s.size() / 3));
  if (best == nullptr || best_d == 0 || best_d > limit) return "";
  return fmt::format("did you mean '{}'? ", *best);
}

bool contains(const std::vector<std::string>& items, const std::string& s) {
  return std::find(items.begin(), items.end(), s) != items.end();
}

bool is_valid_name(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

bool parse_uint64(const std::string& s, uint64_t* out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool parse_number(const std::string& s, double* out) {
  if (s.empty()) return false;
  const char* begin = s.data();
  if (*begin == '+') ++begin;  // from_chars does not take a leading '+'
  if (begin == s.data() + s.size() ||
      !((*begin >= '0' && *begin <= '9') || *begin == '.' || *begin == '-'))
    return false;
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), *out, std::chars_format::general);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(*out);
}

// ---------------------------------------------------------------- Reader

void Reader::fail(const YAML::Mark& m, const std::string& message) const {
  // Marks are 0-based; an unknown mark is -1, which becomes 0 ("unknown").
  throw ScenarioError(file_, std::max(m.line, -1) + 1, std::max(m.column, -1) + 1, message);
}

void Reader::expect_map(const Item& item, const std::string& what) const {
  if (!item.node.IsMap()) {
    fail(item, fmt::format("expected a mapping for {}, got {}", what, describe(item.node)));
  }
}

void Reader::expect_list(const Item& item, const std::string& what) const {
  if (!item.node.IsSequence()) {
    fail(item, fmt::format("expected a list for {}, got {}", what, describe(item.node)));
  }
}

std::string Reader::key_text(const YAML::Node& key) const {
  if (!key.IsScalar()) fail(key.Mark(), "expected a plain word as a key, got " + describe(key));
  return key.Scalar();
}

std::vector<Item> Reader::list_items(const Item& list, const std::string& what) const {
  expect_list(list, what);
  std::vector<Item> out;
  for (const auto& n : list.node) out.push_back(item_of(n));
  return out;
}

std::string Reader::text(const Item& item, const std::string& expected) const {
  if (!item.node.IsScalar()) {
    fail(item, fmt::format("expected {}, got {}", expected, describe(item.node)));
  }
  return item.node.Scalar();
}

std::string Reader::word(const Item& item, const std::string& what,
                         const std::vector<std::string>& choices) const {
  std::string s = text(item, "one of: " + join(choices));
  if (!contains(choices, s)) {
    fail(item, fmt::format("unknown {} '{}' (expected one of: {})", what, s, join(choices)));
  }
  return s;
}

int Reader::count(const Item& item, int max) const {
  const std::string s = text(item, "a whole number like 5");
  uint64_t v = 0;
  if (!parse_uint64(s, &v)) fail(item, fmt::format("expected a whole number like 5, got '{}'", s));
  if (v < 1) fail(item, fmt::format("expected a count >= 1, got '{}'", s));
  if (v > static_cast<uint64_t>(max)) {
    fail(item, fmt::format("expected a count <= {}, got '{}'", max, s));
  }
  return static_cast<int>(v);
}

double Reader::rate(const Item& item) const {
  std::string s = text(item, "a rate like 5/s");
  if (s.size() > 2 && s.compare(s.size() - 2, 2, "/s") == 0) s.resize(s.size() - 2);
  double v = 0;
  if (!parse_number(s, &v) || v <= 0) {
    fail(item, fmt::format("expected a rate > 0 like 5/s, got '{}'", item.node.Scalar()));
  }
  return v;
}

bool Reader::boolean(const Item& item) const {
  const std::string s = text(item, "true or false");
  if (s == "true" || s == "on" || s == "yes") return true;
  if (s == "false" || s == "off" || s == "no") return false;
  fail(item, fmt::format("expected true or false, got '{}'", s));
}

double Reader::number(const Item& item, const std::string& expected) const {
  const std::string s = text(item, expected);
  double v = 0;
  if (!parse_number(s, &v)) fail(item, fmt::format("expected {}, got '{}'", expected, s));
  return v;
}

double Reader::probability(const Item& item) const {
  const double p = number(item, "a probability like 0.01");
  if (p < 0 || p > 1) {
    fail(item, fmt::format("expected a probability in [0, 1], got '{}'", item.node.Scalar()));
  }
  return p;
}

Nanos Reader::duration(const Item& item) const {
  const std::string s = text(item, "a duration like 150ms");
  Nanos ns = 0;
  if (parse_duration(s, &ns)) return ns;
  fail(item, duration_problem(s));
}

Nanos Reader::positive_duration(const Item& item) const {
  const Nanos ns = duration(item);
  if (ns <= 0) fail(item, fmt::format("expected a duration > 0, got '{}'", item.node.Scalar()));
  return ns;
}

std::pair<Nanos, Nanos> Reader::duration_range(const Item& item, const std::string& what,
                                               const std::string& expected) const {
  if (!item.node.IsSequence() || item.node.size() != 2) {
    fail(item, fmt::format("expected {}, got {}", expected, describe(item.node)));
  }
  const Nanos lo = positive_duration(item_of(item.node[0]));
  const Nanos hi = positive_duration(item_of(item.node[1]));
  if (lo > hi) {
    fail(item, fmt::format("{} min {} is greater than max {}", what, format_duration(lo),
                           format_duration(hi)));
  }
  return {lo, hi};
}

std::string Reader::node_list_text() const {
  const int n = static_cast<int>(node_names_.size());
  bool is_default = true;
  for (int i = 0; i < n; ++i) is_default = is_default && node_names_[i] == fmt::format("n{}", i + 1);
  if (is_default) return n == 1 ? "n1" : fmt::format("n1..n{}", n);
  if (n <= 8) return join(node_names_);
  return fmt::format("{}, {}, ..., {}", node_names_[0], node_names_[1], node_names_[n - 1]);
}

int Reader::node_index(const Item& item) const {
  const std::string s = text(item, "a node name like n1");
  auto it = std::find(node_names_.begin(), node_names_.end(), s);
  if (it == node_names_.end()) {
    fail(item, fmt::format("unknown node '{}' (nodes are {})", s, node_list_text()));
  }
  return static_cast<int>(it - node_names_.begin());
}

std::vector<int> Reader::node_set(const Item& item, const std::string& what) const {
  std::vector<Item> items;
  if (item.node.IsScalar()) {
    items.push_back(item);
  } else {
    items = list_items(item, what);
  }
  if (items.empty()) fail(item, fmt::format("{} names no node", what));
  std::vector<int> out;
  for (const Item& i : items) {
    const int idx = node_index(i);
    if (std::find(out.begin(), out.end(), idx) != out.end()) {
      fail(i, fmt::format("node '{}' is listed twice in {}", node_names_[idx], what));
    }
    out.push_back(idx);
  }
  return out;
}

// ---------------------------------------------------------------- Fields

Fields::Fields(const Reader& r, const Item& map, const std::string& context,
               const std::vector<std::string>& allowed)
    : reader_(r), map_(map), context_(context) {
  r.expect_map(map, context);
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    const std::string key = r.key_text(it->first);
    if (!contains(allowed, key)) {
      r.fail(it->first.Mark(), fmt::format("unknown key '{}' in {} ({}expected one of: {})", key,
                                           context, did_you_mean(key, allowed), join(allowed)));
    }
    r.check_duplicate(entries_, key, it->first);
    entries_.push_back({key, {it->first, it->second}});
  }
}

Item Fields::get(const std::string& key) const {
  const auto* e = find(key);
  // A reader asking for a key it did not check for is a bug; still an error, not a crash.
  if (e == nullptr) reader_.fail(map_.mark, fmt::format("missing key '{}' in {}", key, context_));
  return value_item(e->first, e->second);
}

YAML::Mark Fields::key_mark(const std::string& key) const {
  const auto* e = find(key);
  return e == nullptr ? map_.mark : e->first.Mark();
}

Item Fields::required(const std::string& key) const {
  if (!has(key)) {
    reader_.fail(map_.mark, fmt::format("missing required key '{}' in {}", key, context_));
  }
  return get(key);
}

void Fields::forbid(const std::string& key, const std::string& why) const {
  if (has(key)) reader_.fail(key_mark(key), fmt::format("'{}' {}", key, why));
}

std::vector<std::string> Fields::keys() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.first);
  return out;
}

const std::pair<YAML::Node, YAML::Node>* Fields::find(const std::string& key) const {
  for (const auto& e : entries_) {
    if (e.first == key) return &e.second;
  }
  return nullptr;
}

}  // namespace synod::sim
