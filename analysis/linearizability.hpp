// Linearizability checking of client histories, and the reports built on it.
//
// The checker splits a history by key (linearizability is compositional: a history is
// linearizable iff each key's sub-history is; Herlihy & Wing 1990, P-compositionality in Horn &
// Kroening 2015) and checks each key with the Wing & Gong / Lowe depth-first search (the algorithm
// Porcupine uses), with these semantics:
// - `ok` operations happened, between their invocation and completion;
// - `fail` operations did not take effect and are ignored;
// - `info` operations, and operations invoked but never completed, may take effect at any point
//   after their invocation, or never.
// Models: `register` (read / write / cas, every key initially null) and `kv` (get / put / append
// of strings, every key initially the empty string; get returns the whole string).
//
// Contract:
// - A verdict is never a guess: past its budget (time or memory) a key's verdict is Unknown.
// - Determinism: everything in a CheckResult except the fields named *elapsed_s and
//   peak_memory_bytes depends only on the history, the model and stop_at_first_violation (not
//   on jobs), unless the time or memory budget ran out. to_json(result, /*include_timing=*/false) is byte-identical for the same history.
// - Rounds: keys are searched in rounds. Round r gives every key still undecided a search of at
//   most 65,536 * 4^r configurations, from scratch (so a key costs at most 4/3 of its last round),
//   `jobs` keys at a time on threads; a round ends when all its searches have. A key decided in a
//   round is decided exactly as an unbounded search would decide it, so the result of a round does
//   not depend on `jobs`, on timing or on the order the threads finish in. With
//   stop_at_first_violation the check ends after the first round in which a key is not
//   linearizable: an easy violation is found in milliseconds however hard the other keys are
//   (Porcupine stops at the first failing key too, but at whichever its threads reach first).
// - Budget: the timeout is a hard deadline for the whole check: every search, and the cache's
//   rehash, give up once it passes (keys not decided are Unknown / Time). The memory bound is
//   shared equally among the searches running at once; the cache never allocates past its share.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/history.hpp"

namespace synod::analysis {

enum class Model { Register, Kv };
enum class Verdict { Linearizable, NotLinearizable, Unknown };
// Why a key's verdict is Unknown. Stopped: not decided because the check stopped once a round
// had found a non-linearizable key (CheckOptions::stop_at_first_violation).
enum class BudgetExhausted { None, Time, Memory, Stopped };

struct CheckOptions {
  double timeout_s = 30;  // a hard deadline for the whole check
  size_t max_memory_bytes = 4ull << 30;  // shared out equally among the searches running at once
  // Stop after the first round that finds a non-linearizable key (the verdict is then known);
  // the keys not decided by then are Unknown / Stopped. false: decide every key.
  bool stop_at_first_violation = false;
  unsigned jobs = 1;  // keys searched at once (threads); the result does not depend on it
};

// Why a key's sub-history is not linearizable, for a person to read.
struct Explanation {
  // The operation whose completion first makes the key's history non-linearizable: the history
  // up to just before that completion is linearizable, the history up to and including it is not
  // (operations that end in `fail` count as never having happened, even before they end).
  Operation blocking;
  // A linearization of that longest linearizable prefix: its length and its last operations
  // (at most 10), in linearization order.
  size_t prefix_length = 0;
  std::vector<Operation> prefix_tail;
  std::string value_after_prefix;  // the model's value at the end of that linearization
  // Operations that could not be placed: `blocking` first, then the operations invoked before
  // it completed that the prefix's linearization had not placed (at most 10; see unplaced_count).
  std::vector<Operation> unplaced;
  size_t unplaced_count = 0;
  std::string sentence;  // "read of x returned 3 at 1.204 s, but the only operation that wrote 3 ..."
};

struct KeyResult {
  std::optional<std::string> key;  // nullopt: the history's unnamed register
  Verdict verdict = Verdict::Unknown;
  BudgetExhausted exhausted = BudgetExhausted::None;  // why the verdict is Unknown
  size_t ops = 0;  // operations on this key, all outcomes
  std::optional<Explanation> explanation;  // for NotLinearizable
  double elapsed_s = 0;  // timing: not deterministic
};

struct CheckResult {
  std::string source;
  Model model = Model::Register;
  Verdict verdict = Verdict::Linearizable;  // NotLinearizable if any key is, else Unknown if any is
  size_t keys_checked = 0;
  size_t ops_checked = 0;  // operations in the history, all outcomes
  std::vector<KeyResult> keys;  // in key order (the unnamed register first)
  // Durability view (independent of the search; see docs/checker.md for the exact definitions):
  // acknowledged writes whose value no read ever returns although a read came after them and no
  // other write could have overwritten them; and reads (and successful cas) whose value no
  // operation ever wrote.
  std::vector<Operation> lost_writes;
  std::vector<Operation> never_written_reads;
  // Timing and resources: not deterministic, left out of to_json(..., false).
  double elapsed_s = 0;
  size_t peak_memory_bytes = 0;  // the largest search's cache and stack, as counted by the checker
};

// Checks `history` against `model`. Throws HistoryError when an operation does not belong to the
// model (e.g. an append in a register history) or its value has the wrong type for it.
CheckResult check(const History& history, Model model, const CheckOptions& options = {});

// The reference checker for tests: tries every order of every subset of the info operations
// (at most 8 operations that are not `fail`; more throws std::invalid_argument). Slow and simple
// on purpose: it shares no code with check() beyond the parsed History.
Verdict check_brute_force(const History& history, Model model);

nlohmann::json to_json(const CheckResult& result, bool include_timing);
// "linearizable: 20 keys, 10234 ops checked in 0.12 s" / "NOT linearizable: key k3: read of ..."
std::string summary_line(const CheckResult& result);
// The multi-line text report `synod check` prints: verdict, explanations, durability view.
void write_text_report(const CheckResult& result, std::ostream& out);

std::string_view to_string(Model model);
std::string_view to_string(Verdict verdict);
std::optional<Model> parse_model(std::string_view name);  // "register" | "kv"

// `synod check`: the CLI subcommand calls this with its parsed flags.
struct CheckCommandOptions {
  Model model = Model::Register;
  std::optional<HistoryFormat> format;  // nullopt: guessed from each file's first line
  double timeout_s = 30;                // per file
  size_t max_memory_bytes = 4ull << 30;
  bool all_keys = false;  // decide every key, instead of stopping at the first violation
  unsigned jobs = 1;      // keys checked at once
  bool json = false;  // print to_json(result, true) instead of the text report
  std::vector<std::string> files;  // checked one after the other
};

// Checks each file in turn. Exit code: 0 linearizable, 1 not linearizable, 2 unknown (budget ran
// out) or the file could not be read or parsed (message on `err`; the other files are still
// checked); with several files, the largest of theirs. With --json and several files, a JSON
// array with one object per file ("file", and the result or "error").
int run_check_command(const CheckCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace synod::analysis
