// The history readers: JSON Lines (DESIGN.md, "Histories") and Jepsen's EDN op maps, pairing of
// invocations with completions, and errors that name the line.
#include "analysis/history.hpp"

#include <sstream>

#include <gtest/gtest.h>

namespace synod::analysis {
namespace {

History jsonl(const std::string& text) {
  std::istringstream in(text);
  return parse_history_jsonl(in, "h.jsonl");
}

History edn(const std::string& text) {
  std::istringstream in(text);
  return parse_history_edn(in, "h.edn");
}

// The message of the HistoryError that parsing `text` throws ("" if none).
std::string jsonl_error(const std::string& text) {
  try {
    jsonl(text);
  } catch (const HistoryError& error) {
    return error.what();
  }
  return "";
}

std::string edn_error(const std::string& text) {
  try {
    edn(text);
  } catch (const HistoryError& error) {
    return error.what();
  }
  return "";
}

TEST(HistoryJsonl, PairsInvocationsWithCompletions) {
  const History h = jsonl(R"(
{"process": 3, "type": "invoke", "f": "write", "key": "x", "value": 4, "time": 0.0123}
{"process": 1, "type": "invoke", "f": "cas", "key": "x", "value": [4, 0], "time": 0.013}
{"process": 3, "type": "ok",     "f": "write", "key": "x", "value": 4, "time": 0.0150}
{"process": 1, "type": "fail",   "f": "cas",   "key": "x", "value": [4, 0], "time": 0.016}
{"process": 2, "type": "invoke", "f": "read",  "key": "x", "value": null, "time": 0.017}
{"process": 2, "type": "ok",     "f": "read",  "key": "x", "value": 4, "time": 0.018}
{"process": 4, "type": "invoke", "f": "read",  "value": null, "time": 0.019}
)");
  ASSERT_EQ(h.ops.size(), 4u);
  EXPECT_TRUE(h.has_times);
  EXPECT_EQ(h.event_count, 7u);

  const Operation& write = h.ops[0];
  EXPECT_EQ(write.process, 3);
  EXPECT_EQ(write.f, OpFunction::Write);
  EXPECT_EQ(write.key, std::optional<std::string>("x"));
  EXPECT_EQ(write.value, 4);
  EXPECT_EQ(write.outcome, Outcome::Ok);
  EXPECT_EQ(write.invoke_line, 2u);  // the text starts with a blank line
  EXPECT_EQ(write.complete_line, 4u);
  EXPECT_DOUBLE_EQ(*write.invoke_time_s, 0.0123);

  EXPECT_EQ(h.ops[1].outcome, Outcome::Fail);
  EXPECT_EQ(h.ops[1].value, nlohmann::json::array({4, 0}));
  EXPECT_EQ(h.ops[2].value, 4);  // a read's value is its result

  const Operation& pending = h.ops[3];
  EXPECT_FALSE(pending.key.has_value());
  EXPECT_FALSE(pending.is_completed);
  EXPECT_EQ(pending.outcome, Outcome::Info);  // never completed: it may have happened
}

TEST(HistoryJsonl, OrdersByLinesWithoutTimesAndTreatsEqualTimesAsConcurrent) {
  const History by_line = jsonl(R"({"process": 0, "type": "invoke", "f": "write", "value": 1}
{"process": 0, "type": "ok", "f": "write", "value": 1}
{"process": 1, "type": "invoke", "f": "read"}
{"process": 1, "type": "ok", "f": "read", "value": 1})");
  EXPECT_FALSE(by_line.has_times);
  EXPECT_LT(by_line.ops[0].complete_seq, by_line.ops[1].invoke_seq);

  // The write completes at the same instant the read is invoked: they count as concurrent.
  const History tied = jsonl(R"({"process": 0, "type": "invoke", "f": "write", "value": 1, "time": 1}
{"process": 0, "type": "ok", "f": "write", "value": 1, "time": 2}
{"process": 1, "type": "invoke", "f": "read", "time": 2}
{"process": 1, "type": "ok", "f": "read", "value": 1, "time": 3})");
  EXPECT_TRUE(tied.has_times);
  EXPECT_GT(tied.ops[0].complete_seq, tied.ops[1].invoke_seq);
}

TEST(HistoryJsonl, CanonicalizesNumbersAndAcceptsStringValuesAndIntegerKeys) {
  const History h = jsonl(R"({"process": 0, "type": "invoke", "f": "write", "key": 7, "value": 3.0}
{"process": 0, "type": "ok", "f": "write", "key": 7, "value": 3.0}
{"process": 0, "type": "invoke", "f": "write", "value": "abc"}
{"process": 0, "type": "ok", "f": "write", "value": "abc"})");
  EXPECT_EQ(h.ops[0].value.dump(), "3");
  EXPECT_EQ(h.ops[0].key, std::optional<std::string>("7"));
  EXPECT_EQ(h.ops[1].value, "abc");
}

TEST(HistoryJsonl, SkipsTheNemesis) {
  const History h = jsonl(R"({"process": "nemesis", "type": "info", "f": "read"}
{"process": 0, "type": "invoke", "f": "read"})");
  EXPECT_EQ(h.ops.size(), 1u);
}

TEST(HistoryJsonl, MalformedLinesNameTheLine) {
  EXPECT_EQ(jsonl_error("{\"process\": 0, \"type\": \"invoke\", \"f\": \"read\"}\n\n{oops}\n")
                .rfind("h.jsonl:3: invalid JSON", 0),
            0u);
  EXPECT_EQ(jsonl_error(R"({"type": "invoke", "f": "read"})"), "h.jsonl:1: missing field 'process'");
  EXPECT_EQ(jsonl_error(R"({"process": 0, "type": "begin", "f": "read"})"),
            "h.jsonl:1: unknown type \"begin\" (expected invoke, ok, fail or info)");
  EXPECT_EQ(jsonl_error(R"({"process": 0, "type": "invoke", "f": "delete"})"),
            "h.jsonl:1: unknown f \"delete\" (expected read, write, cas, get, put or append)");
  EXPECT_EQ(jsonl_error(R"({"process": 0.5, "type": "invoke", "f": "read"})"),
            "h.jsonl:1: 'process' must be an integer, not 0.5");
  EXPECT_EQ(jsonl_error(R"({"process": 0, "type": "invoke", "f": "cas", "value": 3})"),
            "h.jsonl:1: cas value must be [expected, new], not 3");
  EXPECT_EQ(jsonl_error(R"({"process": 0, "type": "invoke", "f": "put", "value": 3})"),
            "h.jsonl:1: put value must be a string, not 3");
  EXPECT_EQ(jsonl_error(R"({"process": 0, "type": "invoke", "f": "read", "time": "noon"})"),
            "h.jsonl:1: 'time' must be a number, not \"noon\"");
}

TEST(HistoryJsonl, InconsistentPairingNamesTheLine) {
  EXPECT_EQ(jsonl_error(R"({"process": 0, "type": "ok", "f": "read", "value": 1})"),
            "h.jsonl:1: ok of read for process 0, which has no operation outstanding");
  EXPECT_EQ(jsonl_error(R"({"process": 0, "type": "invoke", "f": "write", "value": 1}
{"process": 0, "type": "invoke", "f": "read"})"),
            "h.jsonl:2: process 0 invokes read while its write from line 1 has not completed");
  EXPECT_EQ(jsonl_error(R"({"process": 0, "type": "invoke", "f": "write", "value": 1}
{"process": 0, "type": "ok", "f": "read", "value": 1})"),
            "h.jsonl:2: completion is a read but process 0 invoked a write at line 1");
  EXPECT_EQ(jsonl_error(R"({"process": 0, "type": "invoke", "f": "read", "time": 2}
{"process": 0, "type": "ok", "f": "read", "value": 1, "time": 1})"),
            "h.jsonl:2: time 1 is earlier than the previous event's time 2 (events must be in "
            "real-time order)");
}

TEST(HistoryEdn, ReadsJepsenOpMaps) {
  const History h = edn(R"(
{:process 0, :type :invoke, :f :write, :value 3, :time 1000000000, :index 0}
{:process 1, :type :invoke, :f :cas, :value [3 4], :time 1500000000}
{:process :nemesis, :type :info, :f :start, :value nil}
{:process 0, :type :ok, :f :write, :value 3, :time 2000000000}
{:process 1, :type :fail, :f :cas, :value [3 4], :time 2500000000}
#jepsen.history.Op{:process 2, :type :invoke, :f :read, :value nil, :key "k", :time 3000000000}
{:process 2, :type :ok, :f :read, :value 3, :key "k", :time 3500000000, :error "none"} ; done
)");
  ASSERT_EQ(h.ops.size(), 3u);
  EXPECT_EQ(h.ops[0].value, 3);
  EXPECT_DOUBLE_EQ(*h.ops[0].invoke_time_s, 1.0);  // :time is in nanoseconds
  EXPECT_EQ(h.ops[1].value, nlohmann::json::array({3, 4}));
  EXPECT_EQ(h.ops[1].outcome, Outcome::Fail);
  EXPECT_EQ(h.ops[2].key, std::optional<std::string>("k"));
  EXPECT_EQ(h.ops[2].complete_line, 8u);
}

TEST(HistoryEdn, ReadsKvStringsAndKeywordKeys) {
  const History h = edn(R"({:process 0 :type :invoke :f :append :key :k1 :value "a\"b"}
{:process 0 :type :ok :f :append :key :k1 :value "a\"b"}
{:process 1 :type :invoke :f :get :key :k1 :value nil}
{:process 1 :type :ok :f :get :key :k1 :value "a\"b"})");
  ASSERT_EQ(h.ops.size(), 2u);
  EXPECT_EQ(h.ops[0].key, std::optional<std::string>("k1"));
  EXPECT_EQ(h.ops[1].value, "a\"b");
}

TEST(HistoryEdn, MalformedLinesNameTheLine) {
  EXPECT_EQ(edn_error("{:process 0, :type :invoke, :f :read}\n{:process 1, :type :invoke"),
            "h.edn:2: invalid EDN at column 27: unterminated map (missing '}')");
  EXPECT_EQ(edn_error("{:process 0, :type :invoke, :f :read, :value [1 2}"),
            "h.edn:1: invalid EDN at column 50: unexpected '}'");
  EXPECT_EQ(edn_error("{:process 0, :type :invoke, :f :read} extra"),
            "h.edn:1: invalid EDN at column 39: unexpected text after the map");
  EXPECT_EQ(edn_error("{:process 0, :type :invoke, :f :frobnicate}"),
            "h.edn:1: unknown f \"frobnicate\" (expected read, write, cas, get, put or append)");
}

// Found by tests/fuzz (fuzz_history_jsonl, fuzz_history_edn): both ended in std::terminate.
TEST(HistoryFuzzRegressions, HugeNumbersAndBytesThatAreNotUtf8AreErrorsWithTheLine) {
  // nlohmann throws out_of_range, not parse_error, for a number past a double's range.
  EXPECT_EQ(jsonl_error("\n555555500e00000000000000002089818148K5.1"),
            "h.jsonl:2: invalid JSON: number overflow parsing '555555500e00000000000000002089818148'");
  EXPECT_EQ(jsonl_error(R"({"process": 0, "type": "invoke", "f": "write", "value": 1e400})")
                .rfind("h.jsonl:1: invalid JSON: number overflow", 0),
            0u);
  // A byte that is not UTF-8 became a keyword, and nlohmann's dump() of it threw type_error.
  EXPECT_EQ(edn_error("{:process 2, :type \x9einvoke, :f :read}"),
            "h.edn:1: invalid EDN at column 20: not UTF-8 (byte 0x9e)");
  EXPECT_EQ(edn_error("{:process 2, :type :invoke, :f :read, :value \"\xe2\x82\"}"),
            "h.edn:1: invalid EDN at column 47: not UTF-8 (byte 0xe2)");
  EXPECT_EQ(edn_error("{:process 2, :type :invoke, :f :read, :value \"\xed\xa0\x80\"}"),
            "h.edn:1: invalid EDN at column 47: not UTF-8 (byte 0xed)");  // a surrogate
  // Deep nesting: a line of '[' overflowed the recursive reader's stack.
  EXPECT_EQ(edn_error(std::string(100000, '[')),
            "h.edn:1: invalid EDN at column 101: nested more than 100 deep");
  EXPECT_EQ(edn_error("{:process 0, :type :invoke, :f :read, :value " + std::string(98, '[') +
                      std::string(98, ']') + "}")
                .find("nested"),
            std::string::npos);  // 99 levels with the map: still read
  // Well-formed UTF-8 still reads: two, three and four bytes.
  const History h = edn("{:process 0 :type :invoke :f :put :key \"caf\xc3\xa9\" :value \"\xe2\x82\xac\xf0\x9f\x98\x80\"}\n"
                        "{:process 0 :type :ok :f :put :key \"caf\xc3\xa9\" :value \"\xe2\x82\xac\xf0\x9f\x98\x80\"}");
  ASSERT_EQ(h.ops.size(), 1u);
  EXPECT_EQ(h.ops[0].key, std::optional<std::string>("caf\xc3\xa9"));
}

TEST(HistoryFormat, SniffsEdnAndJsonl) {
  EXPECT_EQ(sniff_history_format("{:process 0}"), HistoryFormat::Edn);
  EXPECT_EQ(sniff_history_format("  { :process 0}"), HistoryFormat::Edn);
  EXPECT_EQ(sniff_history_format("#jepsen.history.Op{:process 0}"), HistoryFormat::Edn);
  EXPECT_EQ(sniff_history_format("{\"process\": 0}"), HistoryFormat::Jsonl);
  EXPECT_EQ(sniff_history_format(""), HistoryFormat::Jsonl);
  EXPECT_EQ(parse_history_format("jsonl"), HistoryFormat::Jsonl);
  EXPECT_EQ(parse_history_format("jepsen"), HistoryFormat::Edn);
  EXPECT_EQ(parse_history_format("edn"), HistoryFormat::Edn);
  EXPECT_EQ(parse_history_format("csv"), std::nullopt);
}

}  // namespace
}  // namespace synod::analysis
