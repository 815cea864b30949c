// The budget: past its time or memory, a key's verdict is Unknown, never a guess.
#include <chrono>

#include <gtest/gtest.h>

#include "analysis/linearizability.hpp"

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

}  // namespace
}  // namespace synod::analysis
