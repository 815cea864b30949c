// The budget: past its time or memory, a key's verdict is Unknown, never a guess.
#include <chrono>
#include <sstream>

#include <gtest/gtest.h>

#include "analysis/linearizability.hpp"
#include "random_history.hpp"

namespace synod::analysis {
namespace {

// `writers` concurrent writes of distinct values, and a concurrent read that returns none of
// them and completes first. Not linearizable, but the search only learns that after trying every
// subset of the writes in every state: about 2^writers configurations.
std::vector<Event> hard_key(const std::string& key, int writers, size_t& line) {
  std::vector<Event> events;
  auto add = [&](int64_t process, EventType type, OpFunction f, nlohmann::json value) {
    Event e;
    e.process = process;
    e.type = type;
    e.f = f;
    e.key = key;
    e.value = std::move(value);
    e.line = ++line;
    events.push_back(e);
  };
  for (int p = 0; p < writers; ++p) add(p, EventType::Invoke, OpFunction::Write, p);
  add(writers, EventType::Invoke, OpFunction::Read, nullptr);
  add(writers, EventType::Ok, OpFunction::Read, 999);
  for (int p = 0; p < writers; ++p) add(p, EventType::Ok, OpFunction::Write, p);
  return events;
}

std::vector<Event> easy_key(const std::string& key, size_t& line) {
  std::vector<Event> events;
  for (int i = 0; i < 3; ++i) {
    Event e;
    e.process = 100;
    e.f = OpFunction::Write;
    e.key = key;
    e.value = i;
    e.type = EventType::Invoke;
    e.line = ++line;
    events.push_back(e);
    e.type = EventType::Ok;
    e.line = ++line;
    events.push_back(e);
  }
  return events;
}

TEST(Budget, TinyTimeoutOnAHardHistoryIsUnknown) {
  size_t line = 0;
  const History history = build_history(hard_key("x", 26, line), "hard");
  CheckOptions options;
  options.timeout_s = 0.05;
  const auto start = std::chrono::steady_clock::now();
  const CheckResult result = check(history, Model::Register, options);
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(result.verdict, Verdict::Unknown);
  EXPECT_EQ(result.keys.at(0).exhausted, BudgetExhausted::Time);
  EXPECT_FALSE(result.keys.at(0).explanation.has_value());
  EXPECT_LT(elapsed_s, 1.0);
  EXPECT_EQ(summary_line(result), "unknown: the time budget ran out on 1 of 1 key (x)");
}

TEST(Budget, MemoryLimitOnAHardHistoryIsUnknown) {
  size_t line = 0;
  const History history = build_history(hard_key("x", 26, line), "hard");
  CheckOptions options;
  options.max_memory_bytes = 1 << 20;
  const CheckResult result = check(history, Model::Register, options);
  EXPECT_EQ(result.verdict, Verdict::Unknown);
  EXPECT_EQ(result.keys.at(0).exhausted, BudgetExhausted::Memory);
  EXPECT_EQ(to_json(result, false)["keys"][0]["budget_exhausted"], "memory");
}

// A hard key first must not starve the easy keys after it: each key gets an equal share first,
// and the keys that ran out share what is left.
TEST(Budget, AHardKeyDoesNotStarveTheOthers) {
  size_t line = 0;
  std::vector<Event> events = hard_key("a", 26, line);
  for (const char* key : {"b", "c", "d"}) {
    std::vector<Event> more = easy_key(key, line);
    events.insert(events.end(), more.begin(), more.end());
  }
  CheckOptions options;
  options.timeout_s = 0.2;
  const CheckResult result = check(build_history(events, "mixed"), Model::Register, options);
  ASSERT_EQ(result.keys.size(), 4u);
  EXPECT_EQ(result.keys[0].verdict, Verdict::Unknown);
  for (size_t k = 1; k < 4; ++k) EXPECT_EQ(result.keys[k].verdict, Verdict::Linearizable);
  EXPECT_EQ(result.verdict, Verdict::Unknown);
  EXPECT_NE(summary_line(result).find("the other 3 are linearizable"), std::string::npos)
      << summary_line(result);
}

TEST(Budget, AViolationElsewhereStillMeansNotLinearizable) {
  size_t line = 0;
  std::vector<Event> events = hard_key("a", 26, line);
  std::vector<Event> small = hard_key("b", 3, line);  // the same shape, small: quickly refuted
  events.insert(events.end(), small.begin(), small.end());
  CheckOptions options;
  options.timeout_s = 0.1;
  const CheckResult result = check(build_history(events, "mixed"), Model::Register, options);
  EXPECT_EQ(result.keys[0].verdict, Verdict::Unknown);
  EXPECT_EQ(result.keys[1].verdict, Verdict::NotLinearizable);
  EXPECT_EQ(result.verdict, Verdict::NotLinearizable);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// What Porcupine's c50-bad shows: hard keys and one easy violation. With
// stop_at_first_violation the first round (65,536 configurations a key) finds the violation and
// the check ends there; the hard key is left undecided, and says why.
TEST(Budget, StopAtFirstViolationEndsWithoutDecidingTheHardKeys) {
  size_t line = 0;
  std::vector<Event> events = hard_key("a", 26, line);
  std::vector<Event> bad = hard_key("b", 3, line);
  std::vector<Event> easy = easy_key("c", line);
  events.insert(events.end(), bad.begin(), bad.end());
  events.insert(events.end(), easy.begin(), easy.end());
  const History history = build_history(events, "c50-like");
  for (unsigned jobs : {1u, 3u}) {
    CheckOptions options;
    options.timeout_s = 20;  // far away: the check must end on its own, as Stopped
    options.stop_at_first_violation = true;
    options.jobs = jobs;
    const CheckResult result = check(history, Model::Register, options);
    ASSERT_EQ(result.keys.size(), 3u);
    EXPECT_EQ(result.verdict, Verdict::NotLinearizable);
    EXPECT_EQ(result.keys[0].verdict, Verdict::Unknown);
    EXPECT_EQ(result.keys[0].exhausted, BudgetExhausted::Stopped);
    EXPECT_EQ(result.keys[1].verdict, Verdict::NotLinearizable);
    EXPECT_TRUE(result.keys[1].explanation.has_value());
    EXPECT_EQ(result.keys[2].verdict, Verdict::Linearizable);
    EXPECT_EQ(to_json(result, false)["keys"][0]["budget_exhausted"], "stopped");
    std::ostringstream text;
    write_text_report(result, text);
    EXPECT_NE(text.str().find("not decided: 1 key (a)"), std::string::npos) << text.str();
  }
  // Without it the hard key is searched on until the deadline.
  CheckOptions all_keys;
  all_keys.timeout_s = 0.2;
  const CheckResult result = check(history, Model::Register, all_keys);
  EXPECT_EQ(result.keys[0].exhausted, BudgetExhausted::Time);
  EXPECT_EQ(result.keys[1].verdict, Verdict::NotLinearizable);
}

// The result (all but timing) is the same whatever the number of threads, on random histories
// of many keys, with and without stopping at the first violation.
TEST(Budget, JobsDoNotChangeTheResult) {
  size_t differing = 0;
  size_t not_linearizable = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    testing::Rng rng(seed);
    testing::RandomHistoryOptions random;
    random.model = seed % 2 == 0 ? Model::Register : Model::Kv;
    random.ops = 40 + rng.below(80);
    random.processes = 2 + rng.below(6);
    random.keys = 2 + rng.below(8);
    random.corrupt_probability = 0.6;
    const History history = build_history(testing::random_events(rng, random), "random");
    for (bool stop : {false, true}) {
      CheckOptions one;
      one.stop_at_first_violation = stop;
      CheckOptions four = one;
      four.jobs = 4;
      const std::string a = to_json(check(history, random.model, one), false).dump();
      const CheckResult r = check(history, random.model, four);
      differing += a != to_json(r, false).dump();
      not_linearizable += r.verdict == Verdict::NotLinearizable;
    }
  }
  EXPECT_EQ(differing, 0u);
  EXPECT_GT(not_linearizable, 10u);  // the corrupted histories exercise the explanations too
}

// The timeout is a deadline for the whole check, on every thread: four hard keys on two threads
// end within a small margin of it (measured: a few ms; the margin is for a loaded machine).
TEST(Budget, TheTimeoutIsAHardDeadline) {
  size_t line = 0;
  std::vector<Event> events;
  for (const char* key : {"a", "b", "c", "d"}) {
    std::vector<Event> more = hard_key(key, 26, line);
    events.insert(events.end(), more.begin(), more.end());
  }
  CheckOptions options;
  options.timeout_s = 0.3;
  options.jobs = 2;
  const auto start = std::chrono::steady_clock::now();
  const CheckResult result = check(build_history(events, "hard"), Model::Register, options);
  EXPECT_LT(seconds_since(start), 0.3 + 0.7);
  for (const KeyResult& key : result.keys) EXPECT_EQ(key.exhausted, BudgetExhausted::Time);
}

// The memory bound is shared among the searches running at once: none allocates past its share.
TEST(Budget, MemoryIsSharedAmongTheThreads) {
  size_t line = 0;
  std::vector<Event> events;
  for (const char* key : {"a", "b", "c", "d"}) {
    std::vector<Event> more = hard_key(key, 26, line);
    events.insert(events.end(), more.begin(), more.end());
  }
  CheckOptions options;
  options.max_memory_bytes = 8 << 20;
  options.jobs = 4;
  const CheckResult result = check(build_history(events, "hard"), Model::Register, options);
  for (const KeyResult& key : result.keys) EXPECT_EQ(key.exhausted, BudgetExhausted::Memory);
  EXPECT_LE(result.peak_memory_bytes, (8u << 20) / 4);
  EXPECT_GT(result.peak_memory_bytes, (8u << 20) / 16);  // it did use its share
}

}  // namespace
}  // namespace synod::analysis
