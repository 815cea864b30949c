// The vocabulary every part of the Paxos family shares: ballots (Lamport's "proposal numbers")
// and the values proposed for a log slot.
//
// "Paxos Made Simple" (Lamport 2001) §2.2 asks that proposal numbers be totally ordered and that
// no two proposals ever carry the same number; §2.3 suggests proposers pick them from disjoint
// sets. A ballot here is the pair (round, node id) ordered lexicographically, packed into one
// int64 as round * 2^16 + node: integer order is ballot order, ballots of different nodes never
// collide, and the same integer is what events carry in their `term` field (see node.hpp).
// Ballot 0 (round 0) means "none": real ballots start at round 1.
#pragma once

#include <cstdint>
#include <string>

#include "protocols/common/types.hpp"

namespace synod::paxos {

using Ballot = int64_t;
constexpr Ballot kNoBallot = 0;
constexpr int kBallotNodeBits = 16;  // so clusters of up to 65536 nodes

inline Ballot make_ballot(int64_t round, NodeId node) {
  return (round << kBallotNodeBits) | static_cast<int64_t>(node);
}
inline int64_t ballot_round(Ballot b) { return b >> kBallotNodeBits; }
inline NodeId ballot_node(Ballot b) {
  return static_cast<NodeId>(b & ((int64_t{1} << kBallotNodeBits) - 1));
}
// "3.1" (round 3 of node 1), or "-" for no ballot.
std::string ballot_name(Ballot b);

// What a slot may hold: a client command, or a no-op. A no-op is what a node proposes to fill a
// gap (a slot below one it knows chosen) so that the in-order apply can move past it; it adopts
// any value already accepted there, like every proposal (§2.2, P2c).
struct Value {
  bool noop = true;
  Command command;  // meaningless when noop

  static Value of(Command c) { return Value{false, std::move(c)}; }
  // "noop", or Command::describe(): what events and traces carry.
  std::string describe() const;
  bool operator==(const Value& o) const { return noop == o.noop && (noop || command == o.command); }
  bool operator!=(const Value& o) const { return !(*this == o); }
};

}  // namespace synod::paxos
