// Consistency reports: JSON, the one-line summary, and the text report of `synod check`.
#include <ostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analysis/describe.hpp"
#include "analysis/linearizability.hpp"

namespace synod::analysis {
namespace {

std::string key_name(const std::optional<std::string>& key) {
  return key ? *key : std::string("(no key)");
}

std::string plural(size_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string_view to_string(BudgetExhausted exhausted) {
  switch (exhausted) {
    case BudgetExhausted::None: return "none";
    case BudgetExhausted::Time: return "time";
    case BudgetExhausted::Memory: return "memory";
    case BudgetExhausted::Stopped: return "stopped";
  }
  return "?";
}

nlohmann::json explanation_to_json(const Explanation& ex) {
  nlohmann::json j;
  j["sentence"] = ex.sentence;
  j["blocking"] = detail::op_to_json(ex.blocking);
  j["prefix_length"] = ex.prefix_length;
  j["prefix_tail"] = nlohmann::json::array();
  for (const Operation& op : ex.prefix_tail) j["prefix_tail"].push_back(detail::op_to_json(op));
  j["value_after_prefix"] = nlohmann::json::parse(ex.value_after_prefix);
  j["unplaced_count"] = ex.unplaced_count;
  j["unplaced"] = nlohmann::json::array();
  for (const Operation& op : ex.unplaced) j["unplaced"].push_back(detail::op_to_json(op));
  return j;
}

}  // namespace

std::string_view to_string(Model model) { return model == Model::Register ? "register" : "kv"; }

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::Linearizable: return "linearizable";
    case Verdict::NotLinearizable: return "not-linearizable";
    case Verdict::Unknown: return "unknown";
  }
  return "?";
}

std::optional<Model> parse_model(std::string_view name) {
  if (name == "register") return Model::Register;
  if (name == "kv") return Model::Kv;
  return std::nullopt;
}

nlohmann::json to_json(const CheckResult& result, bool include_timing) {
  nlohmann::json j;
  j["model"] = to_string(result.model);
  j["verdict"] = to_string(result.verdict);
  j["keys_checked"] = result.keys_checked;
  j["ops_checked"] = result.ops_checked;
  j["keys"] = nlohmann::json::array();
  for (const KeyResult& key : result.keys) {
    nlohmann::json k;
    k["key"] = key.key ? nlohmann::json(*key.key) : nlohmann::json(nullptr);
    k["verdict"] = to_string(key.verdict);
    k["ops"] = key.ops;
    if (key.verdict == Verdict::Unknown) k["budget_exhausted"] = to_string(key.exhausted);
    if (key.explanation) k["explanation"] = explanation_to_json(*key.explanation);
    if (include_timing) k["elapsed_s"] = key.elapsed_s;
    j["keys"].push_back(std::move(k));
  }
  j["lost_writes"] = nlohmann::json::array();
  for (const Operation& op : result.lost_writes) j["lost_writes"].push_back(detail::op_to_json(op));
  j["never_written_reads"] = nlohmann::json::array();
  for (const Operation& op : result.never_written_reads) {
    j["never_written_reads"].push_back(detail::op_to_json(op));
  }
  if (include_timing) {
    j["elapsed_s"] = result.elapsed_s;
    j["peak_memory_bytes"] = result.peak_memory_bytes;
  }
  return j;
}

std::string summary_line(const CheckResult& result) {
  const std::string keys = plural(result.keys_checked, "key", "keys");
  if (result.verdict == Verdict::Linearizable) {
    return fmt::format("linearizable: {}, {} ops checked in {:.2f} s", keys, result.ops_checked,
                       result.elapsed_s);
  }
  size_t failing = 0;
  size_t unknown = 0;
  const KeyResult* first_failing = nullptr;
  std::vector<std::string> unknown_names;
  for (const KeyResult& key : result.keys) {
    if (key.verdict == Verdict::NotLinearizable) {
      if (failing++ == 0) first_failing = &key;
    } else if (key.verdict == Verdict::Unknown) {
      if (unknown++ < 3) unknown_names.push_back(key_name(key.key));
    }
  }
  if (first_failing != nullptr) {
    const std::string where = first_failing->key ? fmt::format("key {}: ", *first_failing->key) : "";
    const std::string more = failing > 1 ? fmt::format(" (and {} more failing)", plural(failing - 1, "key", "keys")) : "";
    return fmt::format("NOT linearizable: {}{}{}", where, first_failing->explanation->sentence, more);
  }
  const bool is_memory = std::any_of(result.keys.begin(), result.keys.end(), [](const KeyResult& k) {
    return k.exhausted == BudgetExhausted::Memory;
  });
  const size_t others = result.keys_checked - unknown;
  const std::string rest =
      others == 0 ? "" : fmt::format("; the other {} {} linearizable", others, others == 1 ? "is" : "are");
  return fmt::format("unknown: the {} budget ran out on {} of {} ({}{}){}",
                     is_memory ? "memory" : "time", unknown, keys, fmt::join(unknown_names, ", "),
                     unknown > unknown_names.size() ? ", ..." : "", rest);
}

void write_text_report(const CheckResult& result, std::ostream& out) {
  size_t failing = 0;
  for (const KeyResult& key : result.keys) failing += key.verdict == Verdict::NotLinearizable;
  const std::string verdict = result.verdict == Verdict::Linearizable      ? "linearizable"
                              : result.verdict == Verdict::NotLinearizable ? "NOT linearizable"
                                                                           : "unknown";
  out << fmt::format("{}: {} ({} model)", result.source, verdict, to_string(result.model));
  if (failing > 0) out << fmt::format(": {} of {}", failing, plural(result.keys_checked, "key", "keys"));
  out << "\n";
  std::vector<std::string> stopped;
  for (const KeyResult& key : result.keys) {
    if (key.verdict == Verdict::Unknown && key.exhausted == BudgetExhausted::Stopped) {
      stopped.push_back(key_name(key.key));
    } else if (key.verdict == Verdict::Unknown) {
      out << fmt::format("key {}: unknown ({} budget ran out)\n", key_name(key.key),
                         to_string(key.exhausted));
    }
    if (!key.explanation) continue;
    const Explanation& ex = *key.explanation;
    out << fmt::format("key {}: {}\n", key_name(key.key), ex.sentence);
    out << fmt::format("  longest linearizable prefix: {}", plural(ex.prefix_length, "operation", "operations"));
    if (!ex.prefix_tail.empty()) {
      out << (ex.prefix_tail.size() < ex.prefix_length ? fmt::format(", the last {}:", ex.prefix_tail.size()) : ":");
    }
    out << "\n";
    for (const Operation& op : ex.prefix_tail) out << "    " << detail::describe_op(op) << "\n";
    out << fmt::format("  value after it: {}\n", ex.value_after_prefix);
    out << fmt::format("  could not be placed ({}):\n", ex.unplaced_count);
    for (const Operation& op : ex.unplaced) out << "    " << detail::describe_op(op) << "\n";
    if (ex.unplaced_count > ex.unplaced.size()) {
      out << fmt::format("    ... and {} more\n", ex.unplaced_count - ex.unplaced.size());
    }
  }
  if (!stopped.empty()) {
    constexpr size_t kShown = 10;
    const std::vector<std::string> shown(stopped.begin(), stopped.begin() + std::min(kShown, stopped.size()));
    out << fmt::format("not decided: {} ({}{}): the check stops at the first round that finds a "
                       "non-linearizable key; --all-keys decides every key\n",
                       plural(stopped.size(), "key", "keys"), fmt::join(shown, ", "),
                       stopped.size() > kShown ? ", ..." : "");
  }
  if (!result.lost_writes.empty()) {
    out << fmt::format("lost writes ({}):\n", result.lost_writes.size());
    for (const Operation& op : result.lost_writes) out << "  " << detail::describe_op(op) << "\n";
  }
  if (!result.never_written_reads.empty()) {
    out << fmt::format("reads of values never written ({}):\n", result.never_written_reads.size());
    for (const Operation& op : result.never_written_reads) {
      out << "  " << detail::describe_op(op) << "\n";
    }
  }
  out << fmt::format("checked {}, {} in {:.2f} s\n", plural(result.keys_checked, "key", "keys"),
                     plural(result.ops_checked, "operation", "operations"), result.elapsed_s);
}

}  // namespace synod::analysis
