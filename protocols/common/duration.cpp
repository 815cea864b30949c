#include "protocols/common/duration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <numeric>

namespace synod {

namespace {

bool parse_uint64(const std::string& s, uint64_t* out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool is_plain_number(const std::string& s) {
  if (s.empty()) return false;
  const char* begin = s.data();
  if (*begin == '+' || *begin == '-') ++begin;
  double v = 0;
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v, std::chars_format::general);
  return begin != s.data() + s.size() && ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

bool parse_duration(const std::string& text, Nanos* out) {
  if (text == "0") {
    *out = 0;
    return true;
  }
  const std::pair<const char*, Nanos> units[] = {{"ns", 1},
                                                 {"us", kNanosPerMicro},
                                                 {"ms", kNanosPerMilli},
                                                 {"s", kNanosPerSecond},
                                                 {"m", 60 * kNanosPerSecond},
                                                 {"h", 3600 * kNanosPerSecond}};
  for (const auto& [suffix, unit_ns] : units) {
    const size_t len = std::char_traits<char>::length(suffix);
    if (text.size() <= len || text.compare(text.size() - len, len, suffix) != 0) continue;
    const std::string number = text.substr(0, text.size() - len);
    const size_t dot = number.find('.');
    const std::string whole = number.substr(0, dot);
    const std::string frac = dot == std::string::npos ? "" : number.substr(dot + 1);
    auto digits = [](const std::string& s) {
      return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (whole.empty() || !digits(whole) || !digits(frac)) return false;
    if (dot != std::string::npos && frac.empty()) return false;  // "1.s"
    if (whole.size() > 19 || frac.size() > 9) return false;  // keeps the arithmetic in range
    uint64_t w = 0;
    uint64_t fr = 0;
    parse_uint64(whole, &w);
    if (!frac.empty()) parse_uint64(frac, &fr);
    uint64_t scale = 1;  // 10^(fraction digits)
    for (size_t i = 0; i < frac.size(); ++i) scale *= 10;
    const uint64_t unit = static_cast<uint64_t>(unit_ns);
    const uint64_t max_ns = static_cast<uint64_t>(std::numeric_limits<Nanos>::max());
    if (w > max_ns / unit) return false;
    // fr / scale of a unit, in ns: fr * unit / scale. Dividing both by their gcd keeps the product
    // below lcm(unit, scale) <= 6e10, far inside 64 bits.
    const uint64_t g = std::gcd(unit, scale);
    if ((fr * (unit / g)) % (scale / g) != 0) return false;  // finer than a nanosecond
    const uint64_t frac_ns = fr * (unit / g) / (scale / g);
    const uint64_t ns = w * unit;
    if (frac_ns > max_ns - ns) return false;
    *out = static_cast<Nanos>(ns + frac_ns);
    return true;
  }
  return false;
}

std::string duration_problem(const std::string& text) {
  if (is_plain_number(text) && text[0] != '-') {
    return fmt::format("a bare number is ambiguous as a duration, got '{}' (add a unit: ns, us, "
                       "ms, s, m or h, as in 150ms)",
                       text);
  }
  if (!text.empty() && text[0] == '-') return fmt::format("expected a duration >= 0, got '{}'", text);
  return fmt::format("expected a duration like 150ms, got '{}'", text);
}

std::string format_duration(Nanos ns) {
  if (ns == 0) return "0s";
  if (ns == std::numeric_limits<Nanos>::min()) return fmt::format("{}ns", ns);
  if (ns < 0) return "-" + format_duration(-ns);
  if (ns % (60 * kNanosPerSecond) == 0) return fmt::format("{}m", ns / (60 * kNanosPerSecond));
  const std::pair<const char*, Nanos> units[] = {
      {"s", kNanosPerSecond}, {"ms", kNanosPerMilli}, {"us", kNanosPerMicro}};
  for (const auto& [suffix, unit_ns] : units) {
    if (ns < unit_ns || ns % (unit_ns / 1000) != 0) continue;
    std::string s = fmt::format("{}", ns / unit_ns);
    Nanos frac = (ns % unit_ns) / (unit_ns / 1000);  // thousandths of the unit
    if (frac != 0) {
      std::string f = fmt::format("{:03}", frac);
      while (f.back() == '0') f.pop_back();
      s += "." + f;
    }
    return s + suffix;
  }
  return fmt::format("{}ns", ns);
}

}  // namespace synod
