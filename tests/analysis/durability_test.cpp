// The durability view: lost acknowledged writes and reads of values no operation wrote.
#include <sstream>

#include <gtest/gtest.h>

#include "analysis/linearizability.hpp"

namespace synod::analysis {
namespace {

CheckResult check_text(const std::string& text, Model model = Model::Register) {
  std::istringstream in(text);
  return check(parse_history_jsonl(in, "h.jsonl"), model);
}

TEST(Durability, AnAcknowledgedWriteNoLaterReadSeesIsLost) {
  const CheckResult result = check_text(R"({"process": 0, "type": "invoke", "f": "write", "value": 1}
{"process": 0, "type": "ok", "f": "write", "value": 1}
{"process": 1, "type": "invoke", "f": "read"}
{"process": 1, "type": "ok", "f": "read", "value": null})");
  ASSERT_EQ(result.lost_writes.size(), 1u);
  EXPECT_EQ(result.lost_writes[0].value, 1);
  EXPECT_TRUE(result.never_written_reads.empty());
}

TEST(Durability, AWriteThatCouldHaveBeenOverwrittenIsNotLost) {
  // The write of 2 is concurrent with the write of 1: it may have overwritten it.
  const CheckResult result = check_text(R"({"process": 0, "type": "invoke", "f": "write", "value": 1}
{"process": 2, "type": "invoke", "f": "write", "value": 2}
{"process": 0, "type": "ok", "f": "write", "value": 1}
{"process": 2, "type": "ok", "f": "write", "value": 2}
{"process": 1, "type": "invoke", "f": "read"}
{"process": 1, "type": "ok", "f": "read", "value": 2})");
  EXPECT_TRUE(result.lost_writes.empty());
  EXPECT_EQ(result.verdict, Verdict::Linearizable);
}

TEST(Durability, AWriteNobodyReadAfterIsNotLost) {
  const CheckResult result = check_text(R"({"process": 1, "type": "invoke", "f": "read"}
{"process": 1, "type": "ok", "f": "read", "value": null}
{"process": 0, "type": "invoke", "f": "write", "value": 1}
{"process": 0, "type": "ok", "f": "write", "value": 1})");
  EXPECT_TRUE(result.lost_writes.empty());
}

TEST(Durability, ReadsOfValuesNeverWritten) {
  const CheckResult result = check_text(R"({"process": 0, "type": "invoke", "f": "write", "value": 1}
{"process": 0, "type": "fail", "f": "write", "value": 1}
{"process": 1, "type": "invoke", "f": "read"}
{"process": 1, "type": "ok", "f": "read", "value": 1}
{"process": 1, "type": "invoke", "f": "cas", "value": [5, 6]}
{"process": 1, "type": "ok", "f": "cas", "value": [5, 6]}
{"process": 1, "type": "invoke", "f": "read"}
{"process": 1, "type": "ok", "f": "read", "value": 6})");
  // The failed write of 1 did not happen; nobody wrote 5; 6 was written by the cas.
  ASSERT_EQ(result.never_written_reads.size(), 2u);
  EXPECT_EQ(result.never_written_reads[0].f, OpFunction::Read);
  EXPECT_EQ(result.never_written_reads[0].value, 1);
  EXPECT_EQ(result.never_written_reads[1].f, OpFunction::Cas);
  EXPECT_EQ(result.verdict, Verdict::NotLinearizable);
  EXPECT_NE(result.keys[0].explanation->sentence.find("no operation ever wrote 1"),
            std::string::npos);
}

TEST(Durability, KvLostAppendAndNeverWrittenGet) {
  const CheckResult result = check_text(R"({"process": 0, "type": "invoke", "f": "append", "key": "k", "value": "ab"}
{"process": 0, "type": "ok", "f": "append", "key": "k", "value": "ab"}
{"process": 0, "type": "invoke", "f": "append", "key": "k", "value": "cd"}
{"process": 0, "type": "ok", "f": "append", "key": "k", "value": "cd"}
{"process": 1, "type": "invoke", "f": "get", "key": "k"}
{"process": 1, "type": "ok", "f": "get", "key": "k", "value": "ab"}
{"process": 1, "type": "invoke", "f": "get", "key": "k"}
{"process": 1, "type": "ok", "f": "get", "key": "k", "value": "abx"})",
                                        Model::Kv);
  ASSERT_EQ(result.lost_writes.size(), 1u);
  EXPECT_EQ(result.lost_writes[0].value, "cd");
  ASSERT_EQ(result.never_written_reads.size(), 1u);
  EXPECT_EQ(result.never_written_reads[0].value, "abx");  // no put of it, no append ending it
  EXPECT_EQ(result.verdict, Verdict::NotLinearizable);
}

TEST(Durability, ListsAppearInTheJsonReport) {
  const CheckResult result = check_text(R"({"process": 0, "type": "invoke", "f": "write", "value": 1}
{"process": 0, "type": "ok", "f": "write", "value": 1}
{"process": 1, "type": "invoke", "f": "read"}
{"process": 1, "type": "ok", "f": "read", "value": 7})");
  const nlohmann::json j = to_json(result, false);
  ASSERT_EQ(j["lost_writes"].size(), 1u);
  EXPECT_EQ(j["lost_writes"][0]["value"], 1);
  ASSERT_EQ(j["never_written_reads"].size(), 1u);
  EXPECT_EQ(j["never_written_reads"][0]["value"], 7);
  EXPECT_EQ(j["never_written_reads"][0]["complete_line"], 4);
}

}  // namespace
}  // namespace synod::analysis
