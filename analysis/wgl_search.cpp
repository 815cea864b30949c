// The linearizability search (see wgl_search.hpp for the algorithm and what is ours).
#include "analysis/wgl_search.hpp"

#include <algorithm>
#include <cassert>
#include <tuple>

namespace synod::analysis::detail {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

constexpr uint64_t kFullWord = ~uint64_t{0};

// A bitset with two exact bounds that make its encoding short: full_ (the leading words that are
// all ones) and hi_ (one past the last non-zero word). A full word is non-zero: full_ <= hi_.
class Bits {
 public:
  explicit Bits(size_t n) : words_((n + 63) / 64, 0) {}

  void set(size_t i) {
    const size_t w = i >> 6;
    assert((words_[w] >> (i & 63) & 1) == 0);
    words_[w] |= uint64_t{1} << (i & 63);
    if (w + 1 > hi_) hi_ = w + 1;
    while (full_ < words_.size() && words_[full_] == kFullWord) ++full_;
  }

  void clear(size_t i) {
    const size_t w = i >> 6;
    assert((words_[w] >> (i & 63) & 1) == 1);
    words_[w] &= ~(uint64_t{1} << (i & 63));
    if (w < full_) full_ = w;
    while (hi_ > 0 && words_[hi_ - 1] == 0) --hi_;
  }

  // Appends the canonical encoding [full, hi, words full .. hi - 1]: the words before full are
  // all ones, those from hi on zero. Costs O(hi - full), a few words for the ok operations (the
  // concurrency window) and the info operations' words for those.
  void encode(std::vector<uint64_t>& arena) const {
    assert(full_ <= hi_);
    arena.push_back(full_);
    arena.push_back(hi_);
    arena.insert(arena.end(), words_.begin() + full_, words_.begin() + hi_);
  }

  // Compares with an encoding; returns its length in words if equal, 0 if not.
  size_t matches(const uint64_t* encoding) const {
    if (encoding[0] != full_ || encoding[1] != hi_) return 0;
    if (!std::equal(words_.begin() + full_, words_.begin() + hi_, encoding + 2)) return 0;
    return 2 + hi_ - full_;
  }

  size_t memory_bytes() const { return words_.size() * sizeof(uint64_t); }
  size_t max_encoded_words() const { return 2 + words_.size(); }

 private:
  std::vector<uint64_t> words_;
  size_t full_ = 0;
  size_t hi_ = 0;
};

// The set of linearized operations, with a Zobrist hash (the XOR of a fixed random key per
// member) updated in O(1). Ok operations (numbered 0 .. ok_count - 1 in invocation order) and
// info operations (numbered after them) live in separate bitsets: every ok operation must be
// linearized, so the ok bits are all ones up to the frontier, a few mixed words, then zeros, and
// their encoding stays short; an info operation may stay out forever, and in the same bitset
// its hole would stop the run of full words for good.
class LinearizedSet {
 public:
  LinearizedSet(size_t ok_count, size_t n) : ok_count_(ok_count), ok_(ok_count), info_(n - ok_count), keys_(n) {
    for (size_t i = 0; i < n; ++i) keys_[i] = splitmix64(0x5EED0000ull + i);
  }

  void set(uint32_t i) {
    hash_ ^= keys_[i];
    if (i < ok_count_) {
      ok_.set(i);
    } else {
      info_.set(i - ok_count_);
    }
  }

  void clear(uint32_t i) {
    hash_ ^= keys_[i];
    if (i < ok_count_) {
      ok_.clear(i);
    } else {
      info_.clear(i - ok_count_);
    }
  }

  uint64_t hash() const { return hash_; }

  void encode(std::vector<uint64_t>& arena) const {
    ok_.encode(arena);
    info_.encode(arena);
  }

  bool equals(const uint64_t* encoding) const {
    const size_t ok_words = ok_.matches(encoding);
    return ok_words != 0 && info_.matches(encoding + ok_words) != 0;
  }

  size_t memory_bytes() const {
    return ok_.memory_bytes() + info_.memory_bytes() + keys_.size() * sizeof(uint64_t);
  }
  size_t max_encoded_words() const { return ok_.max_encoded_words() + info_.max_encoded_words(); }

 private:
  size_t ok_count_;
  Bits ok_;
  Bits info_;
  std::vector<uint64_t> keys_;
  uint64_t hash_ = 0;
};

// Visited configurations: open addressing with linear probing, at most 70% full. A slot holds
// the combined hash, the state and the offset of the set's encoding in arena_ (plus one; 0 is
// empty). The cache is the search's one big allocation, so it enforces the limits itself before
// it grows: it never allocates past max_memory_bytes (counting the old and the new table while it
// rehashes) and gives up a rehash that runs past the deadline. Either way insert_if_absent returns
// OutOfBudget, exhausted() says which, and the search (whose cache is then unusable) ends Unknown.
class ConfigCache {
 public:
  enum class Insert { Added, Present, OutOfBudget };

  explicit ConfigCache(const SearchLimits& limits) : limits_(limits), slots_(1024) {}

  Insert insert_if_absent(const LinearizedSet& set, uint32_t state) {
    const uint64_t hash = set.hash() ^ splitmix64(0xC0FFEE00ull ^ state);
    size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.encoding == 0) break;
      if (slot.hash == hash && slot.state == state && set.equals(&arena_[slot.encoding - 1])) {
        return Insert::Present;
      }
    }
    if (10 * (used_ + 1) > 7 * slots_.size() && !grow()) return Insert::OutOfBudget;
    if (!reserve_arena(set.max_encoded_words())) return Insert::OutOfBudget;
    mask = slots_.size() - 1;
    size_t i = hash & mask;
    while (slots_[i].encoding != 0) i = (i + 1) & mask;
    slots_[i] = Slot{hash, state, static_cast<uint32_t>(arena_.size() + 1)};
    set.encode(arena_);
    ++used_;
    return Insert::Added;
  }

  size_t memory_bytes() const {
    return slots_.capacity() * sizeof(Slot) + arena_.capacity() * sizeof(uint64_t);
  }
  BudgetExhausted exhausted() const { return exhausted_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t state = 0;
    uint32_t encoding = 0;
  };

  bool fits(size_t peak_bytes) {
    if (peak_bytes <= limits_.max_memory_bytes) return true;
    exhausted_ = BudgetExhausted::Memory;
    return false;
  }

  bool grow() {
    const size_t bytes = slots_.size() * 2 * sizeof(Slot);
    if (!fits(memory_bytes() + bytes)) return false;
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    size_t moved = 0;
    for (const Slot& slot : old) {
      if (slot.encoding == 0) continue;
      if ((++moved & 0xFFFFF) == 0 && std::chrono::steady_clock::now() >= limits_.deadline) {
        exhausted_ = BudgetExhausted::Time;
        return false;
      }
      size_t i = slot.hash & mask;
      while (slots_[i].encoding != 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
    return true;
  }

  // Room for `words` more in the arena, growing it by doubling (as push_back would) within the
  // bound: while the vector moves, the old and the new buffer are both alive.
  bool reserve_arena(size_t words) {
    if (arena_.capacity() - arena_.size() >= words) return true;
    const size_t capacity = std::max(2 * arena_.capacity(), arena_.size() + words);
    if (!fits(memory_bytes() + capacity * sizeof(uint64_t))) return false;
    arena_.reserve(capacity);
    return true;
  }

  const SearchLimits& limits_;
  BudgetExhausted exhausted_ = BudgetExhausted::None;
  std::vector<Slot> slots_;
  size_t used_ = 0;
  std::vector<uint64_t> arena_;
};

class Search {
 public:
  Search(KeyProblem& problem, const SearchLimits& limits)
      : problem_(problem), limits_(limits), set_(ok_count(problem), problem.ops.size()), cache_(limits_) {
    build_entries();
  }

  SearchResult run();

 private:
  static size_t ok_count(const KeyProblem& problem) {
    size_t count = 0;
    for (const CompiledOp& c : problem.ops) count += c.is_optional ? 0 : 1;
    return count;
  }

  struct Frame {
    int32_t entry;
    uint32_t state_before;
    bool is_forced;
  };

  void build_entries();
  bool step(uint32_t op, uint32_t state, uint32_t& next_state) {
    const CompiledOp& c = problem_.ops[op];
    switch (c.kind) {
      case StepKind::Read: next_state = state; return state == c.a;
      case StepKind::Write: next_state = c.a; return true;
      case StepKind::Cas: next_state = c.b; return state == c.a;
      case StepKind::Append: next_state = problem_.values.append(state, c.a); return true;
    }
    return false;
  }
  void unlink(int32_t e) {
    next_[prev_[e]] = next_[e];
    prev_[next_[e]] = prev_[e];
  }
  void relink(int32_t e) {
    next_[prev_[e]] = e;
    prev_[next_[e]] = e;
  }
  void lift(uint32_t op);
  void unlift(uint32_t op);
  void push(int32_t entry, uint32_t next_state, bool is_forced);
  // Pops frames until one that was not forced; false when the stack runs out.
  bool backtrack(int32_t& resume_from);
  void record_progress();
  bool is_over_budget(SearchResult& result);
  SearchResult unknown(SearchResult& result);
  size_t memory_bytes() const {
    return fixed_bytes_ + cache_.memory_bytes() + stack_.capacity() * sizeof(Frame) +
           best_.capacity() * sizeof(uint32_t) + problem_.values.memory_bytes();
  }

  KeyProblem& problem_;
  SearchLimits limits_;
  LinearizedSet set_;
  ConfigCache cache_;

  // Entry list: 0 is the head, 1..E the entries in real-time order, E + 1 the tail.
  std::vector<int32_t> next_;
  std::vector<int32_t> prev_;
  std::vector<uint32_t> entry_op_;
  std::vector<uint8_t> entry_is_call_;
  std::vector<int32_t> call_entry_;    // per op
  std::vector<int32_t> return_entry_;  // per op; -1 for optional (info) operations
  // Per op: it changes the state in no state (a read, a cas from v to v, an append of "").
  std::vector<uint8_t> is_pure_;
  std::vector<uint32_t> bit_;  // per op: its member index in set_ (ok operations first)
  size_t fixed_bytes_ = 0;

  // Progress: ok operations ordered by completion; frontier_ is the number of leading ones
  // linearized. best_ is the stack when the largest frontier was first reached; best_common_
  // the number of stack frames still equal to best_'s (so a snapshot copies only what changed).
  std::vector<uint32_t> by_completion_;
  std::vector<uint32_t> completion_rank_;
  std::vector<uint8_t> is_lifted_;
  size_t frontier_ = 0;
  size_t best_frontier_ = 0;
  std::vector<uint32_t> best_;
  size_t best_common_ = 0;
  uint32_t best_state_ = ValueTable::kInitial;

  std::vector<Frame> stack_;
  uint32_t state_ = ValueTable::kInitial;
  size_t remaining_ok_ = 0;
  uint64_t configurations_ = 0;
  size_t peak_memory_bytes_ = 0;
};

void Search::build_entries() {
  const auto n = static_cast<uint32_t>(problem_.ops.size());
  // (position, is_return, op): a call and a return never share a position; if they did,
  // the call first would count the two operations as concurrent.
  std::vector<std::tuple<uint64_t, uint8_t, uint32_t>> events;
  events.reserve(2 * n);
  for (uint32_t op = 0; op < n; ++op) {
    const CompiledOp& c = problem_.ops[op];
    events.emplace_back(c.invoke_seq, 0, op);
    if (!c.is_optional) events.emplace_back(c.complete_seq, 1, op);
  }
  std::sort(events.begin(), events.end());
  const auto count = static_cast<int32_t>(events.size());
  next_.resize(count + 2);
  prev_.resize(count + 2);
  entry_op_.assign(count + 2, 0);
  entry_is_call_.assign(count + 2, 0);  // head and tail count as returns: scans stop there
  call_entry_.assign(n, -1);
  return_entry_.assign(n, -1);
  for (int32_t e = 0; e <= count + 1; ++e) {
    next_[e] = e + 1;
    prev_[e] = e - 1;
  }
  for (int32_t i = 0; i < count; ++i) {
    const auto& [position, is_return, op] = events[i];
    const int32_t e = i + 1;
    entry_op_[e] = op;
    entry_is_call_[e] = is_return ? 0 : 1;
    (is_return ? return_entry_ : call_entry_)[op] = e;
  }
  completion_rank_.assign(n, UINT32_MAX);
  for (const auto& [position, is_return, op] : events) {
    if (!is_return) continue;
    completion_rank_[op] = static_cast<uint32_t>(by_completion_.size());
    by_completion_.push_back(op);
  }
  is_lifted_.assign(n, 0);
  bit_.assign(n, 0);
  uint32_t next_ok_bit = 0;
  uint32_t next_info_bit = static_cast<uint32_t>(ok_count(problem_));
  for (uint32_t op = 0; op < n; ++op) {
    bit_[op] = problem_.ops[op].is_optional ? next_info_bit++ : next_ok_bit++;
  }
  is_pure_.assign(n, 0);
  for (uint32_t op = 0; op < n; ++op) {
    const CompiledOp& c = problem_.ops[op];
    is_pure_[op] = c.kind == StepKind::Read || (c.kind == StepKind::Cas && c.a == c.b) ||
                   (c.kind == StepKind::Append && c.a == ValueTable::kInitial);  // "" is id 0
  }
  remaining_ok_ = by_completion_.size();
  fixed_bytes_ = set_.memory_bytes() + events.capacity() * 16 +
                 (next_.size() + prev_.size() + entry_op_.size()) * 4 + entry_is_call_.size() +
                 (call_entry_.size() + return_entry_.size() + completion_rank_.size() +
                  by_completion_.size()) * 4 + is_lifted_.size();
}

void Search::lift(uint32_t op) {
  unlink(call_entry_[op]);
  if (return_entry_[op] >= 0) {
    unlink(return_entry_[op]);
    --remaining_ok_;
  }
  is_lifted_[op] = 1;
  if (completion_rank_[op] == frontier_) {
    while (frontier_ < by_completion_.size() && is_lifted_[by_completion_[frontier_]]) ++frontier_;
  }
}

void Search::unlift(uint32_t op) {
  // Dancing links: restore in the reverse order of lift.
  if (return_entry_[op] >= 0) {
    relink(return_entry_[op]);
    ++remaining_ok_;
  }
  relink(call_entry_[op]);
  is_lifted_[op] = 0;
  if (completion_rank_[op] < frontier_) frontier_ = completion_rank_[op];
}

void Search::push(int32_t entry, uint32_t next_state, bool is_forced) {
  const uint32_t op = entry_op_[entry];
  stack_.push_back(Frame{entry, state_, is_forced});
  lift(op);
  state_ = next_state;
  ++configurations_;
  if (frontier_ > best_frontier_) record_progress();
}

void Search::record_progress() {
  best_frontier_ = frontier_;
  best_.resize(best_common_);
  for (size_t i = best_common_; i < stack_.size(); ++i) best_.push_back(entry_op_[stack_[i].entry]);
  best_common_ = stack_.size();
  best_state_ = state_;
}

bool Search::backtrack(int32_t& resume_from) {
  while (!stack_.empty()) {
    const Frame frame = stack_.back();
    stack_.pop_back();
    if (stack_.size() < best_common_) best_common_ = stack_.size();
    const uint32_t op = entry_op_[frame.entry];
    unlift(op);
    set_.clear(bit_[op]);
    state_ = frame.state_before;
    // A forced move's parent fails with it (see the header), so keep popping.
    if (!frame.is_forced) {
      resume_from = next_[frame.entry];
      return true;
    }
  }
  return false;
}

bool Search::is_over_budget(SearchResult& result) {
  const size_t bytes = memory_bytes();
  peak_memory_bytes_ = std::max(peak_memory_bytes_, bytes);
  if (bytes > limits_.max_memory_bytes) {
    result.exhausted = BudgetExhausted::Memory;
    return true;
  }
  if (std::chrono::steady_clock::now() >= limits_.deadline) {
    result.exhausted = BudgetExhausted::Time;
    return true;
  }
  if (configurations_ >= limits_.max_configurations) {
    result.out_of_configurations = true;
    return true;
  }
  return false;
}

SearchResult Search::unknown(SearchResult& result) {
  result.verdict = Verdict::Unknown;
  result.configurations = configurations_;
  result.peak_memory_bytes = std::max(peak_memory_bytes_, memory_bytes());
  return result;
}

SearchResult Search::run() {
  SearchResult result;
  int32_t cursor = next_[0];
  bool is_fresh = true;  // a configuration just entered: look for a forced move first
  uint64_t iterations = 0;
  while (remaining_ok_ > 0) {
    if ((++iterations & 1023) == 0 && is_over_budget(result)) return unknown(result);
    bool is_dead_end = false;
    if (is_fresh) {
      is_fresh = false;
      for (int32_t e = next_[0]; entry_is_call_[e]; e = next_[e]) {
        uint32_t next_state = 0;
        const uint32_t op = entry_op_[e];
        if (!is_pure_[op] || !step(op, state_, next_state)) continue;
        set_.set(bit_[op]);
        const ConfigCache::Insert inserted = cache_.insert_if_absent(set_, state_);
        if (inserted == ConfigCache::Insert::OutOfBudget) {
          result.exhausted = cache_.exhausted();
          return unknown(result);
        }
        if (inserted == ConfigCache::Insert::Added) {
          push(e, state_, /*is_forced=*/true);
          is_fresh = true;
        } else {
          set_.clear(bit_[op]);
          is_dead_end = true;  // the forced child was explored already, and failed
        }
        break;
      }
      if (is_fresh) continue;
      cursor = next_[0];
    }
    if (!is_dead_end) {
      // Try the minimal operations from the cursor on; a return entry ends the candidates.
      for (; entry_is_call_[cursor]; cursor = next_[cursor]) {
        uint32_t next_state = 0;
        const uint32_t op = entry_op_[cursor];
        if (!step(op, state_, next_state)) continue;
        set_.set(bit_[op]);
        const ConfigCache::Insert inserted = cache_.insert_if_absent(set_, next_state);
        if (inserted == ConfigCache::Insert::OutOfBudget) {
          result.exhausted = cache_.exhausted();
          return unknown(result);
        }
        if (inserted == ConfigCache::Insert::Added) {
          push(cursor, next_state, /*is_forced=*/false);
          is_fresh = true;
          break;
        }
        set_.clear(bit_[op]);
      }
      if (is_fresh) continue;
    }
    if (!backtrack(cursor)) {
      result.verdict = Verdict::NotLinearizable;
      result.linearization = best_;
      result.final_state = best_state_;
      result.blocking = by_completion_[best_frontier_];
      result.configurations = configurations_;
      result.peak_memory_bytes = std::max(peak_memory_bytes_, memory_bytes());
      return result;
    }
  }
  result.verdict = Verdict::Linearizable;
  for (const Frame& frame : stack_) result.linearization.push_back(entry_op_[frame.entry]);
  result.final_state = state_;
  result.configurations = configurations_;
  result.peak_memory_bytes = std::max(peak_memory_bytes_, memory_bytes());
  return result;
}

}  // namespace

SearchResult search_linearization(KeyProblem& problem, const SearchLimits& limits) {
  return Search(problem, limits).run();
}

}  // namespace synod::analysis::detail
