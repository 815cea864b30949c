// Bug knobs: classic mistakes a protocol can be switched into by name in a scenario
// (`protocol: {bugs: [name, ...]}`), for courses and to check that synod's checks catch them
// (tests/sim/bugs_test.cpp, docs/bugs.md). Each protocol keeps a struct of bools, one per
// mistake, tested at the one rule it breaks (all off by default: nothing changes, nothing costs),
// and a table naming them.
#pragma once

namespace synod {

template <class Bugs>
struct BugKnobOf {
  const char* name;  // as a scenario spells it: "vote-twice"
  bool Bugs::*flag;
  const char* breaks;  // what goes wrong, for docs and --help
};

}  // namespace synod
