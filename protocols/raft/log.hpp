// The replicated log as a view over Storage::log, with Raft's 1-based indexes (Raft paper, §5.3):
// index 0 is the empty prefix, whose term is 0, so "prevLogIndex = 0" always matches.
//
// The Log owns the rules that only look at one log: the term at an index, the up-to-date
// comparison that decides votes (§5.4.1), the merge of a leader's entries that truncates only at
// a real conflict (§5.3), and the term-run lookups that the fast backup of nextIndex needs. Every
// change is one persistent write (Storage::writes), done before the caller's step returns.
//
// It also remembers the lowest index written since the invariant checker last looked, so that the
// "terms never decrease along the log" check costs O(new entries), not O(log), per step.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "protocols/common/node.hpp"
#include "protocols/raft/storage.hpp"

namespace synod::raft {

class Log {
 public:
  explicit Log(Storage* storage) : storage_(storage) {}

  int64_t last_index() const { return static_cast<int64_t>(storage_->log.size()); }
  int64_t last_term() const { return storage_->log.empty() ? 0 : storage_->log.back().term; }

  // Term of the entry at `index`, 0 for index 0. Requires 0 <= index <= last_index().
  int64_t term_at(int64_t index) const;
  // The entry at `index`. Requires 1 <= index <= last_index().
  const Entry& at(int64_t index) const;
  // True if the log holds an entry at `index` with `term` (index 0 always matches): the
  // AppendEntries consistency check (§5.3).
  bool matches(int64_t index, int64_t term) const;

  // §5.4.1: a log ending in (last_term, last_index) is at least as up-to-date as this one if its
  // last term is higher, or equal with an index at least as long.
  bool is_up_to_date(int64_t other_last_term, int64_t other_last_index) const;

  // Lowest and highest index holding `term`, or 0 if the log has no entry of that term. Terms
  // never decrease along a log (entries are appended in term order, §5.3), so both are binary
  // searches.
  int64_t first_index_of_term(int64_t term) const;
  int64_t last_index_of_term(int64_t term) const;

  // Appends one entry (one persistent write) and returns its index.
  int64_t append(Entry e);

  struct MergeResult {
    bool changed = false;        // something was written
    int64_t truncated_from = 0;  // first index removed on a conflict, 0 if none
  };
  // Stores `entries` at indexes first, first+1, ... (AppendEntries step 3-4 of Figure 2): entries
  // already present with the same term are kept as they are; the log is cut at the first index
  // whose term differs; what remains is appended. A stale, duplicated or reordered AppendEntries
  // therefore never removes an entry that matches. Requires 1 <= first <= last_index() + 1.
  MergeResult merge(int64_t first, const std::vector<Entry>& entries);

  // Removes every entry after `index` (one persistent write if any). Only the bug knob
  // truncate-suffix uses it: a correct follower cuts only at a conflict (merge).
  void cut_after(int64_t index);

  // Copies of entries [from, to] (inclusive), for an AppendEntries message.
  std::vector<Entry> copy(int64_t from, int64_t to) const;

  // The whole log as maximal runs of equal terms (for the Role=leader event).
  std::vector<TermRun> runs() const;

  // Lowest index written (appended, or cut) since the last call of take_lowest_written(); a value
  // above last_index() means no entry changed. Used by the invariant checks.
  int64_t take_lowest_written();

 private:
  void note_written(int64_t index) {
    if (index < lowest_written_) lowest_written_ = index;
  }

  Storage* storage_;
  int64_t lowest_written_ = 1;  // a fresh incarnation checks its whole log once
};

}  // namespace synod::raft
