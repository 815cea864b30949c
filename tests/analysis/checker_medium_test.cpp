// Histories of a few hundred operations, beyond brute force: the checker against a plainly
// memoized exhaustive search (sets as std::vector<bool>, states as JSON, failures in a std::set).
// This exercises what small histories cannot: sets spanning many 64-bit words, their run-length
// encoding in the cache, and long forced-move chains.
#include <set>

#include <gtest/gtest.h>

#include "analysis/linearizability.hpp"
#include "random_history.hpp"

namespace synod::analysis {
namespace {

using testing::RandomHistoryOptions;
using testing::Rng;

// Single-key histories only: the state is one JSON value.
class MemoizedSearch {
 public:
  MemoizedSearch(const History& history, Model model) : model_(model) {
    for (const Operation& op : history.ops) {
      if (op.outcome != Outcome::Fail) ops_.push_back(&op);
    }
  }

  Verdict run() {
    std::vector<bool> used(ops_.size(), false);
    const nlohmann::json initial =
        model_ == Model::Register ? nlohmann::json(nullptr) : nlohmann::json("");
    return extend(used, initial) ? Verdict::Linearizable : Verdict::NotLinearizable;
  }

 private:
  bool extend(std::vector<bool>& used, const nlohmann::json& state) {
    bool is_done = true;
    for (size_t i = 0; i < ops_.size(); ++i) is_done &= used[i] || ops_[i]->outcome != Outcome::Ok;
    if (is_done) return true;
    if (failed_.count({used, state.dump()}) > 0) return false;
    // The earliest completion among unused ok operations bounds which may go next.
    uint64_t first_completion = UINT64_MAX;
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (!used[i] && ops_[i]->outcome == Outcome::Ok) {
        first_completion = std::min(first_completion, ops_[i]->complete_seq);
      }
    }
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (used[i] || ops_[i]->invoke_seq > first_completion) continue;
      nlohmann::json next = state;
      if (!apply(*ops_[i], next)) continue;
      used[i] = true;
      const bool ok = extend(used, next);
      used[i] = false;
      if (ok) return true;
    }
    failed_.insert({used, state.dump()});
    return false;
  }

  static bool apply(const Operation& op, nlohmann::json& value) {
    switch (op.f) {
      case OpFunction::Read:
      case OpFunction::Get: return op.outcome != Outcome::Ok || value == op.value;
      case OpFunction::Write:
      case OpFunction::Put: value = op.value; return true;
      case OpFunction::Cas:
        if (value != op.value[0]) return false;
        value = op.value[1];
        return true;
      case OpFunction::Append:
        value = value.get<std::string>() + op.value.get<std::string>();
        return true;
    }
    return false;
  }

  Model model_;
  std::vector<const Operation*> ops_;
  std::set<std::pair<std::vector<bool>, std::string>> failed_;
};

void compare_on_medium_histories(Model model, uint64_t seed_base, size_t histories) {
  size_t linearizable = 0;
  size_t not_linearizable = 0;
  for (size_t i = 0; i < histories; ++i) {
    const uint64_t seed = seed_base + i;
    Rng rng(seed);
    RandomHistoryOptions options;
    options.model = model;
    options.ops = 80 + rng.below(120);
    options.processes = 2 + rng.below(3);
    options.info_probability = 0.03;
    options.corrupt_probability = 0.5;
    const History history = build_history(testing::random_events(rng, options), "medium");
    const Verdict expected = MemoizedSearch(history, model).run();
    ASSERT_EQ(check(history, model).verdict, expected) << "seed " << seed;
    (expected == Verdict::Linearizable ? linearizable : not_linearizable) += 1;
  }
  EXPECT_GT(linearizable, histories / 5);
  EXPECT_GT(not_linearizable, histories / 5);
}

TEST(CheckerMedium, RegisterAgreesWithMemoizedSearch) {
  compare_on_medium_histories(Model::Register, 3'000'000, 100);
}

TEST(CheckerMedium, KvAgreesWithMemoizedSearch) {
  compare_on_medium_histories(Model::Kv, 4'000'000, 60);
}

}  // namespace
}  // namespace synod::analysis
