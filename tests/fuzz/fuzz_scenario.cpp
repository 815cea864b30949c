// libFuzzer target: the scenario loader, from YAML text to a validated Scenario (every section
// reader, the registered protocols' schemas, the limits). An input may be rejected with a
// ScenarioError; anything else escaping (another exception, a crash, a sanitizer report, a hang
// or a huge allocation) is a finding. tests/fuzz/run.sh runs it with the shipped files as corpus.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/families/registry.hpp"
#include "sim/scenario/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    synod::sim::registry::parse(text, "fuzz.yaml");
  } catch (const synod::sim::ScenarioError&) {
  }
  return 0;
}
