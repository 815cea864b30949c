// Hand-made histories, one per kind of anomaly, with the verdict and the words of the
// explanation a person should see (tests/analysis/data/*.jsonl).
#include <fstream>

#include <gtest/gtest.h>

#include "analysis/linearizability.hpp"

namespace synod::analysis {
namespace {

History load(const std::string& name) {
  const std::string path = std::string(SYNOD_TEST_DATA) + "/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  const bool is_edn = name.size() > 4 && name.substr(name.size() - 4) == ".edn";
  return parse_history(in, name, is_edn ? HistoryFormat::Edn : HistoryFormat::Jsonl);
}

struct AnomalyCase {
  const char* file;
  Model model;
  Verdict verdict;
  std::vector<std::string> phrases;  // each must appear in the failing key's sentence
};

class Anomaly : public ::testing::TestWithParam<AnomalyCase> {};

TEST_P(Anomaly, HasTheExpectedVerdictAndExplanation) {
  const AnomalyCase& c = GetParam();
  const CheckResult result = check(load(c.file), c.model);
  EXPECT_EQ(result.verdict, c.verdict) << summary_line(result);
  if (c.verdict != Verdict::NotLinearizable) return;
  const KeyResult* failing = nullptr;
  for (const KeyResult& key : result.keys) {
    if (key.verdict == Verdict::NotLinearizable) failing = &key;
  }
  ASSERT_NE(failing, nullptr);
  ASSERT_TRUE(failing->explanation.has_value());
  const std::string& sentence = failing->explanation->sentence;
  for (const std::string& phrase : c.phrases) {
    EXPECT_NE(sentence.find(phrase), std::string::npos)
        << "missing \"" << phrase << "\" in: " << sentence;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Histories, Anomaly,
    ::testing::Values(
        // A read returns a value that a later, completed write had replaced.
        AnomalyCase{"stale_read.jsonl", Model::Register, Verdict::NotLinearizable,
                    {"read of x returned 3 at 1.204 s",
                     "the only operation that wrote 3, a write of 3 to x by process 1 (0.100–0.200 s)",
                     "was overwritten by a write of 5 to x by process 2 (0.300–0.400 s)",
                     "before the read began at 1.100 s"}},
        AnomalyCase{"stale_read.edn", Model::Register, Verdict::NotLinearizable,
                    {"read of x returned 3 at 1.204 s", "was overwritten by a write of 5"}},
        // An acknowledged write that later reads never see.
        AnomalyCase{"lost_write.jsonl", Model::Register, Verdict::NotLinearizable,
                    {"read of x returned null at 0.600 s, the initial value",
                     "but a write of 1 to x by process 0 (0.100–0.200 s) had completed before the read "
                     "began at 0.500 s"}},
        AnomalyCase{"never_written.jsonl", Model::Register, Verdict::NotLinearizable,
                    {"read of x returned 7 at 0.400 s, but no operation ever wrote 7"}},
        // A cas succeeds although the value it expected had been overwritten.
        AnomalyCase{"cas_wrong_value.jsonl", Model::Register, Verdict::NotLinearizable,
                    {"cas of x from 2 to 3 succeeded at 0.600 s",
                     "the only operation that wrote 2", "was overwritten by a write of 1",
                     "before the cas began at 0.500 s"}},
        // A cas whose compare failed is a `fail`: it did not happen.
        AnomalyCase{"cas_fail_did_not_happen.jsonl", Model::Register, Verdict::Linearizable, {}},
        // An info write must take effect after the first read and before the second.
        AnomalyCase{"info_placed_late.jsonl", Model::Register, Verdict::Linearizable, {}},
        // ... but not before it was invoked.
        AnomalyCase{"info_too_late.jsonl", Model::Register, Verdict::NotLinearizable,
                    {"read of x returned 2 at 0.200 s", "began after the read completed"}},
        AnomalyCase{"kv_stale_append.jsonl", Model::Kv, Verdict::NotLinearizable,
                    {"get of k returned \"a\" at 0.600 s", "was overwritten by an append of \"b\""}},
        AnomalyCase{"kv_concurrent_appends.jsonl", Model::Kv, Verdict::Linearizable, {}},
        AnomalyCase{"healthy_two_keys.jsonl", Model::Register, Verdict::Linearizable, {}}));

TEST(Anomaly, ExplanationShowsThePrefixAndTheUnplacedOperations) {
  const CheckResult result = check(load("stale_read.jsonl"), Model::Register);
  const Explanation& ex = *result.keys.at(0).explanation;
  EXPECT_EQ(ex.blocking.f, OpFunction::Read);
  EXPECT_EQ(ex.prefix_length, 2u);  // both writes, in order
  ASSERT_EQ(ex.prefix_tail.size(), 2u);
  EXPECT_EQ(ex.prefix_tail[0].value, 3);
  EXPECT_EQ(ex.prefix_tail[1].value, 5);
  EXPECT_EQ(ex.value_after_prefix, "5");
  ASSERT_EQ(ex.unplaced.size(), 1u);
  EXPECT_EQ(ex.unplaced[0].id, ex.blocking.id);
}

TEST(Anomaly, TheModelMustMatchTheOperations) {
  try {
    check(load("kv_stale_append.jsonl"), Model::Register);
    FAIL() << "expected a HistoryError";
  } catch (const HistoryError& error) {
    EXPECT_STREQ(error.what(),
                 "kv_stale_append.jsonl:1: 'append' is not an operation of the register model "
                 "(expected read, write or cas)");
  }
}

}  // namespace
}  // namespace synod::analysis
