// The `bugs` key of a protocol section: a list of knob names (protocols/common/bug_knobs.hpp),
// each switching one classic mistake on. An unknown name is an error naming the known ones.
#pragma once

#include <string>
#include <vector>

#include "protocols/common/bug_knobs.hpp"
#include "sim/scenario/reader.hpp"

namespace synod::sim {

template <class Bugs>
void read_bug_knobs(const Reader& rd, const Fields& f, const std::vector<BugKnobOf<Bugs>>& knobs,
                    Bugs* bugs) {
  if (!f.has("bugs")) return;
  std::vector<std::string> names;
  for (const auto& k : knobs) names.push_back(k.name);
  for (const Item& item : rd.list_items(f.get("bugs"), "bugs")) {
    const std::string name = rd.word(item, "bug", names);
    for (const auto& k : knobs)
      if (name == k.name) bugs->*k.flag = true;
  }
}

}  // namespace synod::sim
