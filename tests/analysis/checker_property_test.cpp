// Property tests: the checker against the brute-force reference on thousands of random small
// histories (STYLE.md, layer 3: a clever function against a naive one). Every failure prints the
// seed; rerun one with that seed to replay it.
#include <sstream>

#include <gtest/gtest.h>

#include "analysis/linearizability.hpp"
#include "random_history.hpp"

namespace synod::analysis {
namespace {

using testing::RandomHistoryOptions;
using testing::Rng;

std::string dump(const std::vector<Event>& events) {
  std::ostringstream out;
  for (const Event& e : events) {
    nlohmann::json j{{"process", e.process}, {"type", to_string(e.type)}, {"f", to_string(e.f)},
                     {"value", e.value}};
    if (e.key) j["key"] = *e.key;
    if (e.time_s) j["time"] = *e.time_s;
    out << j.dump() << "\n";
  }
  return out.str();
}

// Events of `events` on `key`, up to (and if `inclusive`, including) the one at `line`. An
// operation that fails in the whole history is left out even before its failure is reported:
// `fail` means it never took effect, and the checker knows that from the start.
std::vector<Event> key_prefix(const std::vector<Event>& events, const std::optional<std::string>& key,
                              size_t line, bool inclusive) {
  std::vector<bool> fails(events.size(), false);
  std::vector<size_t> open_invoke(64, SIZE_MAX);  // by process
  for (size_t i = 0; i < events.size(); ++i) {
    const auto p = static_cast<size_t>(events[i].process);
    if (p >= open_invoke.size()) open_invoke.resize(p + 1, SIZE_MAX);
    if (events[i].type == EventType::Invoke) {
      open_invoke[p] = i;
    } else if (events[i].type == EventType::Fail) {
      fails[open_invoke[p]] = true;
      fails[i] = true;
    }
  }
  std::vector<Event> prefix;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (e.line > line || (e.line == line && !inclusive)) break;
    if (e.key == key && !fails[i]) prefix.push_back(e);
  }
  return prefix;
}

struct Tally {
  size_t linearizable = 0;
  size_t not_linearizable = 0;
};

void compare_on_random_histories(Model model, size_t histories, uint64_t seed_base, Tally& tally) {
  for (size_t i = 0; i < histories; ++i) {
    const uint64_t seed = seed_base + i;
    Rng rng(seed);
    RandomHistoryOptions options;
    options.model = model;
    options.ops = 1 + rng.below(8);
    options.processes = 1 + rng.below(4);
    options.keys = rng.chance(0.25) ? 2 : 1;
    options.with_times = rng.chance(0.3);
    options.corrupt_probability = 0.7;
    const std::vector<Event> events = testing::random_events(rng, options);
    const History history = build_history(events, "random");

    const Verdict expected = check_brute_force(history, model);
    const CheckResult result = check(history, model);
    ASSERT_EQ(result.verdict, expected) << "seed " << seed << "\n" << dump(events);
    (expected == Verdict::Linearizable ? tally.linearizable : tally.not_linearizable) += 1;
    if (expected != Verdict::NotLinearizable) continue;

    // The explanation's claim: the failing key's history is linearizable up to just before the
    // blocking operation's completion, and not linearizable once it is included (operations
    // that end in `fail` count as never having happened).
    const KeyResult* failing = nullptr;
    for (const KeyResult& key : result.keys) {
      if (key.verdict == Verdict::NotLinearizable) failing = &key;
    }
    ASSERT_NE(failing, nullptr) << "seed " << seed;
    ASSERT_TRUE(failing->explanation.has_value()) << "seed " << seed;
    const Explanation& ex = *failing->explanation;
    EXPECT_FALSE(ex.sentence.empty());
    EXPECT_EQ(ex.unplaced.front().id, ex.blocking.id);
    const size_t line = ex.blocking.complete_line;
    const History before = build_history(key_prefix(events, failing->key, line, false), "before");
    const History through = build_history(key_prefix(events, failing->key, line, true), "through");
    EXPECT_EQ(check_brute_force(before, model), Verdict::Linearizable)
        << "seed " << seed << "\n" << dump(events);
    EXPECT_EQ(check_brute_force(through, model), Verdict::NotLinearizable)
        << "seed " << seed << "\n" << dump(events);
  }
}

TEST(CheckerProperty, RegisterAgreesWithBruteForce) {
  Tally tally;
  compare_on_random_histories(Model::Register, 10000, 1'000'000, tally);
  // Both verdicts in meaningful numbers, or the comparison proves little.
  EXPECT_GT(tally.linearizable, 2500u);
  EXPECT_GT(tally.not_linearizable, 2500u);
  std::cout << "register: " << tally.linearizable << " linearizable, " << tally.not_linearizable
            << " not\n";
}

TEST(CheckerProperty, KvAgreesWithBruteForce) {
  Tally tally;
  compare_on_random_histories(Model::Kv, 10000, 2'000'000, tally);
  EXPECT_GT(tally.linearizable, 2500u);
  EXPECT_GT(tally.not_linearizable, 2500u);
  std::cout << "kv: " << tally.linearizable << " linearizable, " << tally.not_linearizable
            << " not\n";
}

// The verdict and explanation do not depend on anything but the history.
TEST(CheckerProperty, ReportIsDeterministic) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    RandomHistoryOptions options;
    options.ops = 8;
    options.keys = 2;
    const History history = build_history(testing::random_events(rng, options), "random");
    const std::string first = to_json(check(history, Model::Register), false).dump();
    const std::string second = to_json(check(history, Model::Register), false).dump();
    ASSERT_EQ(first, second) << "seed " << seed;
  }
}

}  // namespace
}  // namespace synod::analysis
