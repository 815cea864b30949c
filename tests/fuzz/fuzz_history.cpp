// libFuzzer targets: the history readers, JSON Lines (SYNOD_FUZZ_FORMAT_JSONL) and EDN, each
// building the History (every operation's value checked for its function). A HistoryError is
// the expected rejection; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "analysis/history.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
#ifdef SYNOD_FUZZ_FORMAT_JSONL
    synod::analysis::parse_history_jsonl(in, "fuzz.jsonl");
#else
    synod::analysis::parse_history_edn(in, "fuzz.edn");
#endif
  } catch (const synod::analysis::HistoryError&) {
  }
  return 0;
}
