#include "protocols/raft/log.hpp"

#include <algorithm>
#include <cassert>

namespace synod::raft {

int64_t Log::term_at(int64_t index) const {
  assert(index >= 0 && index <= last_index());
  return index == 0 ? 0 : storage_->log[static_cast<size_t>(index - 1)].term;
}

const Entry& Log::at(int64_t index) const {
  assert(index >= 1 && index <= last_index());
  return storage_->log[static_cast<size_t>(index - 1)];
}

bool Log::matches(int64_t index, int64_t term) const {
  return index >= 0 && index <= last_index() && term_at(index) == term;
}

bool Log::is_up_to_date(int64_t other_last_term, int64_t other_last_index) const {
  if (other_last_term != last_term()) return other_last_term > last_term();
  return other_last_index >= last_index();
}

int64_t Log::first_index_of_term(int64_t term) const {
  const auto& log = storage_->log;
  auto it = std::lower_bound(log.begin(), log.end(), term,
                             [](const Entry& e, int64_t t) { return e.term < t; });
  if (it == log.end() || it->term != term) return 0;
  return static_cast<int64_t>(it - log.begin()) + 1;
}

int64_t Log::last_index_of_term(int64_t term) const {
  const auto& log = storage_->log;
  // First entry whose term is above `term`; the one before it, if of `term`, is the answer.
  auto it = std::upper_bound(log.begin(), log.end(), term,
                             [](int64_t t, const Entry& e) { return t < e.term; });
  if (it == log.begin() || std::prev(it)->term != term) return 0;
  return static_cast<int64_t>(it - log.begin());
}

int64_t Log::append(Entry e) {
  storage_->log.push_back(std::move(e));
  ++storage_->writes;
  note_written(last_index());
  return last_index();
}

Log::MergeResult Log::merge(int64_t first, const std::vector<Entry>& entries) {
  assert(first >= 1 && first <= last_index() + 1);
  MergeResult result;
  size_t i = 0;
  // Skip the prefix we already hold: same index and term means same entry (Log Matching, §5.3).
  for (; i < entries.size(); ++i) {
    const int64_t index = first + static_cast<int64_t>(i);
    if (index > last_index()) break;
    if (term_at(index) == entries[i].term) continue;
    storage_->log.resize(static_cast<size_t>(index - 1));  // a real conflict: cut here
    result.truncated_from = index;
    break;
  }
  if (i == entries.size()) return result;  // every entry already present: no write
  note_written(first + static_cast<int64_t>(i));
  storage_->log.insert(storage_->log.end(), entries.begin() + static_cast<std::ptrdiff_t>(i),
                       entries.end());
  ++storage_->writes;  // the cut and the appends reach the disk as one write
  result.changed = true;
  return result;
}

void Log::cut_after(int64_t index) {
  if (index >= last_index()) return;
  storage_->log.resize(static_cast<size_t>(index));
  note_written(index + 1);
  ++storage_->writes;
}

std::vector<Entry> Log::copy(int64_t from, int64_t to) const {
  assert(from >= 1 && to <= last_index());
  if (from > to) return {};
  return std::vector<Entry>(storage_->log.begin() + (from - 1), storage_->log.begin() + to);
}

std::vector<TermRun> Log::runs() const {
  std::vector<TermRun> runs;
  for (int64_t i = 1; i <= last_index(); ++i) {
    const int64_t t = term_at(i);
    if (runs.empty() || runs.back().term != t) {
      runs.push_back({t, i, i});
    } else {
      runs.back().last = i;
    }
  }
  return runs;
}

int64_t Log::take_lowest_written() {
  const int64_t lowest = lowest_written_;
  lowest_written_ = std::numeric_limits<int64_t>::max();
  return lowest;
}

}  // namespace synod::raft
