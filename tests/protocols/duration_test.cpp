// Durations: "150ms", "1.5s", "2m", "0". One parser serves scenario files and the command line
// alike. It is exact (no floating point), so the same text gives the same nanoseconds everywhere,
// and format_duration reads back.
#include <gtest/gtest.h>

#include "protocols/common/duration.hpp"

namespace synod {
namespace {

Nanos parsed(const std::string& text) {
  Nanos ns = -1;
  EXPECT_TRUE(parse_duration(text, &ns)) << text;
  return ns;
}

TEST(ParseDuration, EveryUnit) {
  EXPECT_EQ(parsed("10ns"), 10);
  EXPECT_EQ(parsed("200us"), 200 * kNanosPerMicro);
  EXPECT_EQ(parsed("150ms"), 150 * kNanosPerMilli);
  EXPECT_EQ(parsed("2s"), 2 * kNanosPerSecond);
  EXPECT_EQ(parsed("2m"), 120 * kNanosPerSecond);
  EXPECT_EQ(parsed("1h"), 3600 * kNanosPerSecond);
}

TEST(ParseDuration, DecimalsAreExact) {
  EXPECT_EQ(parsed("1.5s"), 1'500'000'000);
  EXPECT_EQ(parsed("0.5ms"), 500'000);
  EXPECT_EQ(parsed("1.25m"), 75 * kNanosPerSecond);
  EXPECT_EQ(parsed("0.000000001s"), 1);
  EXPECT_EQ(parsed("1.500us"), 1'500);
}

TEST(ParseDuration, ZeroNeedsNoUnit) {
  EXPECT_EQ(parsed("0"), 0);
  EXPECT_EQ(parsed("0s"), 0);
  EXPECT_EQ(parsed("0ms"), 0);
}

TEST(ParseDuration, RejectsMalformed) {
  for (const char* text : {"150", "", "ms", "s", "1.s", ".5s", "-1s", "+1s", "1 ms", "1e3ms", "1min",
                           "1,5s", "fast", "1.5ns", "0x10ms", "10S", "1.5.2s", "99999999999999s",
                           "00"}) {
    Nanos ns = 7;
    EXPECT_FALSE(parse_duration(text, &ns)) << "'" << text << "'";
    EXPECT_EQ(ns, 7) << "left untouched on failure: '" << text << "'";
  }
}

TEST(ParseDuration, LargestRepresentableFits) {
  // 9'223'372'036'854'775'807 ns is the limit; 9'223'372'036s is just under it.
  EXPECT_EQ(parsed("9223372036s"), 9'223'372'036 * kNanosPerSecond);
  Nanos ns = 0;
  EXPECT_FALSE(parse_duration("9223372037s", &ns));
  EXPECT_EQ(parsed("9223372036854775807ns"), INT64_MAX);
  EXPECT_FALSE(parse_duration("9223372036854775808ns", &ns));
  EXPECT_FALSE(parse_duration("153722867.281m", &ns));  // just over, via a fraction
}

TEST(FormatDuration, PicksTheLargestExactUnit) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(1), "1ns");
  EXPECT_EQ(format_duration(1'500), "1.5us");
  EXPECT_EQ(format_duration(150 * kNanosPerMilli), "150ms");
  EXPECT_EQ(format_duration(1'500 * kNanosPerMilli), "1.5s");
  EXPECT_EQ(format_duration(2 * kNanosPerSecond), "2s");
  EXPECT_EQ(format_duration(120 * kNanosPerSecond), "2m");
  EXPECT_EQ(format_duration(90 * kNanosPerSecond), "90s");  // whole minutes only
  EXPECT_EQ(format_duration(1'234'567), "1234.567us");
  EXPECT_EQ(format_duration(-5 * kNanosPerMilli), "-5ms");
}

TEST(FormatDuration, ReadsBack) {
  // A spread of magnitudes and digit patterns, each through format then parse.
  uint64_t x = 1;
  for (int i = 0; i < 2000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const Nanos ns = static_cast<Nanos>((x >> 10) >> (i % 50));
    Nanos back = -1;
    ASSERT_TRUE(parse_duration(format_duration(ns), &back)) << ns << " -> " << format_duration(ns);
    EXPECT_EQ(back, ns) << format_duration(ns);
  }
}

}  // namespace
}  // namespace synod

namespace synod {
namespace {

// The same words for the same mistake, wherever the duration was written.
TEST(DurationProblem, SaysWhatIsWrong) {
  EXPECT_EQ(duration_problem("60"),
            "a bare number is ambiguous as a duration, got '60' (add a unit: ns, us, ms, s, m or h, "
            "as in 150ms)");
  EXPECT_NE(duration_problem("1.5").find("bare number"), std::string::npos);
  EXPECT_EQ(duration_problem("-1ms"), "expected a duration >= 0, got '-1ms'");
  EXPECT_EQ(duration_problem("fast"), "expected a duration like 150ms, got 'fast'");
  EXPECT_EQ(duration_problem(""), "expected a duration like 150ms, got ''");
}

}  // namespace
}  // namespace synod
