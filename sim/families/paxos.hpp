// paxos (Basic Paxos per slot) and multipaxos (a stable leader that skips phase 1) from
// protocols/paxos, as two families sharing one config and one acceptor storage.
#pragma once

#include "protocols/paxos/config.hpp"
#include "sim/scenario/scenario.hpp"

namespace synod::sim {

struct PaxosSection final : ProtocolConfig {
  paxos::Config paxos;
};

}  // namespace synod::sim
