// Multi-Paxos ("Paxos Made Simple" §3; the leader/recovery structure after van Renesse &
// Altinbuken, "Paxos Made Moderately Complex") as a deterministic state machine.
//
// A distinguished proposer, the leader, runs phase 1 once for every future slot: its Prepare
// covers all slots from its first unchosen one, each acceptor's Promise reports every value it
// accepted (or knows chosen) at or above that slot, and then each client command costs only
// phase 2 (Accept / Accepted) in a fresh slot. On being elected the leader recovers the slots the
// promises reported: it re-proposes, with its own ballot, the highest-ballot value reported for
// each slot, and a no-op in every slot below the highest one that nobody reported (gap filling),
// so the log has no holes and applies in order (§3: "it ... proposes ... a special no-op").
//
// Pre-vote (Config::pre_vote, multipaxos_leader.cpp): a node whose timer fires first asks every
// acceptor, without persisting anything, whether it would promise the ballot it would use; those
// that heard from a leader within election_timeout_min say no. Only with a majority's yes does it
// run phase 1. A node cut off in a minority therefore never climbs ballots, and after the heal it
// does not depose the working leader.
//
// Check-quorum (Config::check_quorum): followers answer heartbeats (HeartbeatAck), and a leader that
// heard from no majority within election_timeout_min, Accepteds and acks counted, steps down.
//
// Roles: follower, candidate (phase 1 in progress), leader. Failure detection is by heartbeats:
// the leader sends one every heartbeat_interval (with its commit point); a follower that hears
// neither a heartbeat nor an Accept from a leader for a randomized election timeout starts phase 1
// with a ballot above every one it has seen. The higher ballot wins: any node that meets a ballot
// above its own steps down (a leader answers its pending clients NotLeader). Followers answer
// clients NotLeader with a hint to the leader they know.
//
// Learning: the leader counts Accepteds and broadcasts a Decide. A replica that missed Decides
// sees on a heartbeat that the leader's commit point is past its own and asks with CatchUp; any
// node answers with a Decide per chosen slot. Reads go through the log like writes, so answers
// are linearizable; the KvStore's session table makes retried commands take effect once.
//
// Persistent state (storage.hpp): the acceptor's single promise (Storage::promised) and, per slot,
// its accepted ballot and value; the chosen log; the highest round this node has used. Role,
// leader knowledge, proposals, pending clients and the KvStore are volatile.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "protocols/common/kv_store.hpp"
#include "protocols/common/message.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/paxos/acceptor.hpp"
#include "protocols/paxos/config.hpp"
#include "protocols/paxos/learner.hpp"
#include "protocols/paxos/messages.hpp"
#include "protocols/paxos/storage.hpp"
#include "protocols/paxos/storage_checker.hpp"

namespace synod::paxos {

enum class Role { Follower, Candidate, Leader };
const char* role_name(Role r);  // "follower" | "candidate" | "leader"

class MultiPaxosNode final : public ProtocolNode {
 public:
  MultiPaxosNode(NodeId id, int cluster_size, Config config, Storage* storage, Rng rng);

  void start(Nanos now, Outbox& out) override;
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override;
  std::vector<std::string> check_invariants() override;
  // "n1 leader b=3.1 promised=3.1 next=12 applied=10"
  std::string describe() const override;

  Role role() const { return role_; }
  uint64_t quorum_step_downs() const { return quorum_step_downs_; }
  bool is_leader() const { return role_ == Role::Leader; }
  Ballot ballot() const { return ballot_; }  // ours, as candidate or leader (else the last one)
  Ballot promised() const { return storage_->promised; }
  NodeId leader_hint() const { return leader_hint_; }
  int64_t next_slot() const { return next_slot_; }        // leader: the slot the next command gets
  size_t in_flight() const { return proposals_.size(); }  // leader: slots in phase 2
  int64_t applied() const { return learner_.applied(); }
  int64_t first_unchosen() const { return learner_.first_unchosen(); }
  const Learner& learner() const { return learner_; }
  const KvStore& state_machine() const { return learner_.kv(); }
  const Storage& storage() const { return *storage_; }

 private:
  // A slot in phase 2 at the leader.
  struct Proposal {
    Value value;
    std::vector<bool> accepted_by;
    int accepted = 0;
    Nanos sent_at = 0;  // last (re)send, for resending what the network lost
  };

  // multipaxos_node.cpp: dispatch, timers, ballots and roles, acceptor and learner glue, clients.
  bool is_peer(Address a) const { return a >= 0 && a < cluster_size_ && a != id_; }
  int majority() const { return cluster_size_ / 2 + 1; }
  void set_role(Role role, Outbox& out);
  void observe_ballot(Ballot b, Outbox& out);
  void step_down(Outbox& out);
  void reset_election_timer();
  void on_prepare(Address from, const Prepare& m, Outbox& out);
  void on_accept(Address from, const Accept& m, Outbox& out);
  void on_decide(const Decide& m, Outbox& out);
  void on_heartbeat(Address from, const Heartbeat& m, Outbox& out);
  void on_catch_up(Address from, const CatchUp& m, Outbox& out);
  void on_client_request(Address from, const ClientRequest& m, Outbox& out);
  void learn(int64_t slot, Ballot ballot, const Value& value, Outbox& out);
  void apply_chosen(Outbox& out);
  void fail_pending(Outbox& out);

  // multipaxos_leader.cpp: phase 1 (election and recovery), phase 2, heartbeats.
  void on_election_timeout(Outbox& out);
  void start_probe(Outbox& out);
  void on_probe(Address from, const Prepare& m, Outbox& out);
  void on_probe_reply(Address from, const Promise& m, Outbox& out);
  bool in_leader_lease() const;
  void start_phase1(Outbox& out);
  void on_promise(Address from, const Promise& m, Outbox& out);
  void become_leader(Outbox& out);
  void propose(int64_t slot, Value value, Outbox& out);
  void on_accepted(Address from, const Accepted& m, Outbox& out);
  void send_heartbeats(Outbox& out);
  void on_heartbeat_ack(Address from, const HeartbeatAck& m);
  bool has_quorum_contact() const;
  void resend_stale_accepts(Outbox& out);

  std::string tag() const;

  const NodeId id_;
  const int cluster_size_;
  const Config config_;
  Storage* const storage_;
  Rng rng_;
  Acceptor acceptor_;
  Learner learner_;

  Nanos now_ = 0;
  Role role_ = Role::Follower;
  Ballot ballot_ = kNoBallot;          // our ballot as candidate or leader
  Ballot highest_seen_ = kNoBallot;    // the highest ballot met in any message or promise
  NodeId leader_hint_ = kNoNode;       // who we believe leads, kNoNode if unknown
  Nanos leader_contact_at_ = 0;        // when that leader was last heard (pre-vote's lease)
  bool probing_ = false;               // a pre-vote round is running, for probe_ballot_
  Ballot probe_ballot_ = kNoBallot;
  std::vector<bool> probe_yes_;
  int probe_yeses_ = 0;
  Nanos election_deadline_ = kNever;   // followers and candidates
  Nanos heartbeat_deadline_ = kNever;  // leader

  // Candidate: phase 1 for every slot >= prepare_from_.
  int64_t prepare_from_ = 1;
  std::vector<bool> promised_by_;
  int promises_ = 0;
  std::map<int64_t, AcceptedSlot> recovered_;  // per slot, the highest-ballot accepted value

  // Leader.
  int64_t next_slot_ = 1;
  std::map<int64_t, Proposal> proposals_;
  std::map<std::pair<int64_t, uint64_t>, Address> pending_;  // (client, seq) -> client
  std::vector<Nanos> heard_at_;  // check-quorum: when each follower last answered our ballot
  uint64_t quorum_step_downs_ = 0;

  StorageChecker storage_checker_;
  struct Snapshot {
    bool valid = false;
    Role role = Role::Follower;
    Ballot ballot = kNoBallot;
    uint64_t quorum_step_downs = 0;
  };
  Snapshot checked_;
};

}  // namespace synod::paxos
