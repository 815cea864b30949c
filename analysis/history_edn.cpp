// The Jepsen history reader: one EDN map per line, such as
//   {:process 0, :type :invoke, :f :cas, :value [1 2], :key "x", :time 12345, :index 7}
// This is a small EDN reader, enough for Jepsen's op maps: maps, vectors, lists, sets, strings,
// numbers, keywords (read as their names), nil, booleans, symbols, and #tags (ignored, so
// `#jepsen.history.Op{...}` reads as its map).
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <istream>

#include <fmt/format.h>

#include "analysis/history.hpp"
#include "analysis/history_fields.hpp"

namespace synod::analysis {
namespace {

// The offset of the first byte that is not part of well-formed UTF-8 (EDN text is UTF-8), or
// npos. Strings and names go into JSON values later, which hold UTF-8 only.
size_t first_invalid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;  // the range of the byte after the lead one
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return i;
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return i;
    }
    i += n + 1;
  }
  return std::string_view::npos;
}

class EdnReader {
 public:
  explicit EdnReader(std::string_view text) : text_(text) {}

  // Reads the single form on the line; throws std::runtime_error with a column on bad input.
  nlohmann::json read_line_form() {
    nlohmann::json form = read_form();
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the map");
    return form;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw std::runtime_error(fmt::format("invalid EDN at column {}: {}", pos_ + 1, message));
  }

  void skip_space() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',') {
        ++pos_;
      } else if (c == ';') {
        pos_ = text_.size();  // a comment runs to the end of the line
      } else {
        return;
      }
    }
  }

  static bool is_delimiter(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '{' || c == '}' ||
           c == '[' || c == ']' || c == '(' || c == ')' || c == '"' || c == ';';
  }

  std::string_view read_token() {
    const size_t start = pos_;
    while (pos_ < text_.size() && !is_delimiter(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // Nesting deeper than this is refused: each level is a frame of this recursive reader (found
  // by tests/fuzz: a line of 100,000 '[' overflowed the stack). Jepsen's op maps nest 3 deep.
  static constexpr int kMaxDepth = 100;

  nlohmann::json read_form() {
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end of line");
    if (depth_ >= kMaxDepth) fail(fmt::format("nested more than {} deep", kMaxDepth));
    struct Deeper {
      int& d;
      explicit Deeper(int& depth) : d(depth) { ++d; }
      ~Deeper() { --d; }
    } deeper(depth_);
    const char c = text_[pos_];
    switch (c) {
      case '{': ++pos_; return read_map();
      case '[': ++pos_; return read_sequence(']');
      case '(': ++pos_; return read_sequence(')');
      case '"': ++pos_; return read_string();
      case '#': return read_dispatch();
      case '}': case ']': case ')': fail(fmt::format("unexpected '{}'", c));
      default: return read_atom();
    }
  }

  nlohmann::json read_dispatch() {
    ++pos_;  // '#'
    if (pos_ < text_.size() && text_[pos_] == '{') {
      ++pos_;
      return read_sequence('}');  // a set reads as an array
    }
    if (pos_ < text_.size() && text_[pos_] == '_') {
      ++pos_;
      read_form();  // #_ discards the next form
      return read_form();
    }
    if (read_token().empty()) fail("'#' must be followed by a tag, '{' or '_'");
    return read_form();  // a tagged element reads as its value
  }

  nlohmann::json read_map() {
    nlohmann::json map = nlohmann::json::object();
    while (true) {
      skip_space();
      if (pos_ >= text_.size()) fail("unterminated map (missing '}')");
      if (text_[pos_] == '}') {
        ++pos_;
        return map;
      }
      const nlohmann::json key = read_form();
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] == '}') fail("a map key has no value");
      nlohmann::json value = read_form();
      map[key.is_string() ? key.get<std::string>() : key.dump()] = std::move(value);
    }
  }

  nlohmann::json read_sequence(char close) {
    nlohmann::json items = nlohmann::json::array();
    while (true) {
      skip_space();
      if (pos_ >= text_.size()) fail(fmt::format("unterminated collection (missing '{}')", close));
      if (text_[pos_] == close) {
        ++pos_;
        return items;
      }
      items.push_back(read_form());
    }
  }

  nlohmann::json read_string() {
    std::string out;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) break;
      const char escaped = text_[pos_++];
      switch (escaped) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        default: fail(fmt::format("unsupported string escape '\\{}'", escaped));
      }
    }
    fail("unterminated string");
  }

  nlohmann::json read_atom() {
    const size_t start = pos_;
    const std::string token(read_token());
    if (token.empty()) fail(fmt::format("unexpected '{}'", text_[pos_]));
    if (token[0] == ':') {
      if (token.size() == 1) fail("empty keyword");
      return token.substr(1);
    }
    if (token == "nil") return nullptr;
    if (token == "true") return true;
    if (token == "false") return false;
    const char first = token[0];
    const bool numeric = std::isdigit(static_cast<unsigned char>(first)) ||
                         ((first == '-' || first == '+') && token.size() > 1 &&
                          std::isdigit(static_cast<unsigned char>(token[1])));
    if (!numeric) return token;  // a symbol
    std::string digits = token;
    if (digits.back() == 'N' || digits.back() == 'M') digits.pop_back();
    const bool is_float = digits.find_first_of(".eE") != std::string::npos;
    char* end = nullptr;
    errno = 0;
    if (is_float) {
      const double d = std::strtod(digits.c_str(), &end);
      if (*end == '\0' && errno == 0) return d;
    } else {
      const long long n = std::strtoll(digits.c_str(), &end, 10);
      if (*end == '\0' && errno == 0) return static_cast<int64_t>(n);
    }
    pos_ = start;
    fail(fmt::format("bad number '{}'", token));
  }

  std::string_view text_;
  int depth_ = 0;
  size_t pos_ = 0;
};

}  // namespace

History parse_history_edn(std::istream& in, const std::string& source_name) {
  std::vector<Event> events;
  std::string text;
  size_t line = 0;
  detail::FieldRules rules;
  rules.time_unit_s = 1e-9;  // Jepsen's :time is nanoseconds since the test began
  rules.skip_non_integer_process = true;
  while (std::getline(in, text)) {
    ++line;
    const size_t first = text.find_first_not_of(" \t\r,");
    if (first == std::string::npos || text[first] == ';') continue;
    const size_t bad = first_invalid_utf8(text);
    if (bad != std::string_view::npos) {
      throw HistoryError(fmt::format("{}:{}: invalid EDN at column {}: not UTF-8 (byte 0x{:02x})",
                                     source_name, line, bad + 1,
                                     static_cast<unsigned char>(text[bad])));
    }
    nlohmann::json fields;
    try {
      fields = EdnReader(text).read_line_form();
    } catch (const std::runtime_error& error) {
      throw HistoryError(fmt::format("{}:{}: {}", source_name, line, error.what()));
    }
    std::optional<Event> event = detail::event_from_fields(fields, source_name, line, rules);
    if (event) events.push_back(std::move(*event));
  }
  if (in.bad()) throw HistoryError(fmt::format("{}:{}: read error", source_name, line));
  return build_history(events, source_name);
}

}  // namespace synod::analysis
