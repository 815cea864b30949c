// Durations as people write them ("150ms", "1.5s", "2m") and as synod prints them: the one parser
// for the whole program, so a scenario file and the command line read the same text the same way.
//
// Rules: a decimal number with a unit, one of ns, us, ms, s, m (minutes) or h; "0" alone is zero.
// A bare number ("60") is refused: 60 what? The arithmetic is exact decimal ("1.5s" is
// 1'500'000'000 ns with no floating point in between), so the same text gives the same nanoseconds
// on every platform, and a value finer than a nanosecond or beyond int64 is refused, not rounded.
#pragma once

#include <string>

#include "protocols/common/types.hpp"

namespace synod {

// "150ms" → 150'000'000. False if the text is not a duration by the rules above.
bool parse_duration(const std::string& text, Nanos* out);

// Why `text` is not a duration, as a whole message: "a bare number is ambiguous as a duration,
// got '60' (add a unit: ...)", "expected a duration >= 0, got '-1ms'", or "expected a duration like
// 150ms, got 'fast'". Call it only when parse_duration failed.
std::string duration_problem(const std::string& text);

// The largest unit that shows the value exactly with at most three decimals ("150ms", "1.5s");
// minutes only when whole ("90s", not "1.5m"). parse_duration reads it back to the same value.
std::string format_duration(Nanos ns);

}  // namespace synod
