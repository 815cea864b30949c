// The tools every section of a scenario file is read with — the loader's own sections and each
// protocol family's (sim/families/): a value and where it stands in the file (Item), a mapping
// whose keys are checked against the keys allowed there (Fields), and scalar readers that either
// return a valid value or throw ScenarioError "file:line:col: what was expected, got what".
// Because every section reads through these, one mistake gets the same words wherever it is made.
//
// Values are read from the scalar text itself, not through yaml-cpp's conversions, so that "1.5"
// is never taken for a count and a bare "150" is never taken for a duration.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace synod::sim {

// A value from the file and where to point when it is wrong. yaml-cpp places an empty value
// ("seed:" with nothing after it) at the next token, often on the next line, so an empty value
// points at its key instead.
struct Item {
  YAML::Node node;
  YAML::Mark mark;
};
Item item_of(const YAML::Node& node);
Item value_item(const YAML::Node& key, const YAML::Node& value);

// How a value looks, for "expected X, got Y" messages: 'text', a list, a mapping, nothing.
std::string describe(const YAML::Node& n);
std::string join(const std::vector<std::string>& items, const char* sep = ", ");
bool contains(const std::vector<std::string>& items, const std::string& s);
// "did you mean 'topology'? " when one of `known` is within a couple of edits of `s` (the
// closest, the first of equals), else "".
std::string did_you_mean(const std::string& s, const std::vector<std::string>& known);
// Names of scenarios, nodes and regions end up in file names and SimGrid host names:
// letters, digits, '_', '.' and '-'.
bool is_valid_name(const std::string& s);
bool parse_uint64(const std::string& s, uint64_t* out);
// A plain decimal number ("0.3", "2", "1e-3"); no hex, no "inf", no "nan".
bool parse_number(const std::string& s, double* out);

// One file being read, and what later sections need from earlier ones (the run's duration, the
// node names), in the order the loader reads them: the cluster before anything that names nodes,
// the duration before anything that must fall inside it.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  Nanos duration_ns() const { return duration_ns_; }
  void set_duration(Nanos ns) { duration_ns_ = ns; }
  const std::vector<std::string>& node_names() const { return node_names_; }
  void set_node_names(std::vector<std::string> names) { node_names_ = std::move(names); }

  [[noreturn]] void fail(const YAML::Mark& m, const std::string& message) const;
  [[noreturn]] void fail(const Item& item, const std::string& message) const {
    fail(item.mark, message);
  }

  // --- shapes ---
  void expect_map(const Item& item, const std::string& what) const;
  void expect_list(const Item& item, const std::string& what) const;
  std::string key_text(const YAML::Node& key) const;
  // Fails if `key` is already among `entries` (pairs whose .second.first is the key node).
  template <typename Entries>
  void check_duplicate(const Entries& entries, const std::string& key,
                       const YAML::Node& key_node) const;
  std::vector<Item> list_items(const Item& list, const std::string& what) const;

  // --- scalars ---
  std::string text(const Item& item, const std::string& expected) const;
  std::string word(const Item& item, const std::string& what,
                   const std::vector<std::string>& choices) const;
  int count(const Item& item, int max) const;  // 1..max
  double rate(const Item& item) const;         // "5/s" or "5", > 0
  bool boolean(const Item& item) const;        // true/false, on/off, yes/no
  double number(const Item& item, const std::string& expected) const;
  double probability(const Item& item) const;  // [0, 1]
  Nanos duration(const Item& item) const;      // >= 0, with a unit
  Nanos positive_duration(const Item& item) const;
  // [min, max] of positive durations, min <= max. `expected` is the shape for "expected X, got Y"
  // ("a range like [10ms, 100ms]"); `what` names it in "what min 5ms is greater than max 1ms".
  std::pair<Nanos, Nanos> duration_range(const Item& item, const std::string& what,
                                         const std::string& expected) const;

  // --- nodes (after set_node_names) ---
  std::string node_list_text() const;  // "n1..n5", or the names
  int node_index(const Item& item) const;
  // A list of node names (or one name), each at most once.
  std::vector<int> node_set(const Item& item, const std::string& what) const;

 private:
  std::string file_;
  Nanos duration_ns_ = 0;
  std::vector<std::string> node_names_;
};

// The keys of one mapping, checked against the keys allowed at that place, so a typo is an error
// rather than a silently ignored setting.
class Fields {
 public:
  // `context` names the place in messages ("cluster", "workload.mix").
  Fields(const Reader& r, const Item& map, const std::string& context,
         const std::vector<std::string>& allowed);
  // A section that is not in the file: no keys, every `required` fails.
  Fields(const Reader& r, const std::string& context) : reader_(r), context_(context) {}

  bool has(const std::string& key) const { return find(key) != nullptr; }
  Item get(const std::string& key) const;  // has(key) must hold
  YAML::Mark key_mark(const std::string& key) const;
  Item required(const std::string& key) const;
  // Rejects `key` when it does not apply, with the reason.
  void forbid(const std::string& key, const std::string& why) const;
  const Item& item() const { return map_; }
  std::vector<std::string> keys() const;  // in file order

 private:
  const std::pair<YAML::Node, YAML::Node>* find(const std::string& key) const;
  const Reader& reader_;
  Item map_;
  std::string context_;
  std::vector<std::pair<std::string, std::pair<YAML::Node, YAML::Node>>> entries_;
};

template <typename Entries>
void Reader::check_duplicate(const Entries& entries, const std::string& key,
                             const YAML::Node& key_node) const {
  for (const auto& e : entries) {
    if (e.first == key) {
      fail(key_node.Mark(), "duplicate key '" + key + "' (first at line " +
                                std::to_string(e.second.first.Mark().line + 1) + ")");
    }
  }
}

}  // namespace synod::sim
