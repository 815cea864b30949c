// Primary-backup replication with failover, as a deterministic state machine.
//
// One node is primary of an epoch; it orders every client command (reads too, as Raft does) in a
// log and forwards each new entry to the backups of its view (the members). A backup appends what
// the primary sends, in order, and applies entries up to the primary's commit point.
//   sync   an entry commits — is applied and answered — once every member holds it;
//   async  it commits at once, on the primary alone, and reaches the backups with the next
//          heartbeat (the log is shipped every `heartbeat`: replication lag). A primary
//          crash then loses every acknowledged write still on its way (the durability view of the
//          report names them).
//
// Failure detection and failover are by lease and a majority view change (documented choice:
// no external configuration service):
//   - the primary sends Replicate (a heartbeat when there is nothing new) every `heartbeat`;
//   - a backup that heard nothing from its primary for `failover_timeout` (plus a stagger by its
//     rank after the primary, so the next in line usually goes first) asks every node to make it
//     primary of epoch+1 (ViewChange). A node grants at most one candidate per epoch, and only
//     when it too has not heard from a primary for `failover_timeout / 2` — the lease it gave;
//   - with grants from a majority of the cluster the candidate adopts the most up-to-date log
//     among them (highest last epoch, then longest) and becomes primary; the grantors are its
//     members. Every entry a sync primary acknowledged was on all its members, and its members
//     always include a majority, so any majority holds it: failover loses nothing acknowledged;
//   - fencing by epoch: a node refuses Replicate from an epoch older than its own, and its refusal
//     tells the old primary, which steps down. An old sync primary can commit nothing once any of
//     its members moved on;
//   - the primary drops a member that has not answered for `failover_timeout`, but never below a
//     majority of the cluster (below that, commits wait: sync trades availability for durability);
//   - the epoch, the highest epoch granted and the log are on disk (as Raft keeps term, vote and
//     log); the applied state is not, and is rebuilt from the log as the commit point arrives. A
//     restarted node is a backup that knows no primary: the primary's heartbeats reach it, it
//     asks for the whole log (it may hold a suffix no one else has), and is a member once it
//     answers.
//
// Role events use Raft's words so the tools read them: the primary is "leader" (term = epoch),
// a candidate "candidate", a backup "follower". Apply events carry the log index and epoch.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "protocols/common/kv_store.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/pb/messages.hpp"

namespace synod::pb {

enum class Mode { Sync, Async };

struct Config {
  Mode mode = Mode::Sync;
  Nanos heartbeat = 20 * kNanosPerMilli;
  Nanos failover_timeout = 150 * kNanosPerMilli;
};

// What survives a crash: the epoch, the highest epoch granted (so a restart cannot grant an
// epoch twice) and the log; and how many times the node booted.
struct Storage {
  uint64_t boots = 0;
  int64_t epoch = 1;
  int64_t granted_epoch = 0;
  std::vector<Entry> log;
  uint64_t writes = 0;
};

class PbNode final : public ProtocolNode {
 public:
  PbNode(NodeId id, int cluster_size, const Config& config, Storage* storage, Rng rng);

  void start(Nanos now, Outbox& out) override;
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override;
  std::vector<std::string> check_invariants() override;
  std::string describe() const override;

  enum class Role { Primary, Backup, Candidate };
  Role role() const { return role_; }
  int64_t epoch() const { return epoch_; }
  int64_t commit() const { return commit_; }
  const std::vector<Entry>& log() const { return log_; }
  const KvStore& store() const { return kv_; }
  const std::set<NodeId>& members() const { return members_; }

 private:
  int majority() const { return cluster_size_ / 2 + 1; }
  void set_role(Role r, Outbox& out);
  void on_client(Nanos now, Address from, const ClientRequest& m, Outbox& out);
  void on_replicate(Nanos now, NodeId from, const Replicate& m, Outbox& out);
  void on_replicate_reply(Nanos now, NodeId from, const ReplicateReply& m, Outbox& out);
  void on_view_change(Nanos now, NodeId from, const ViewChange& m, Outbox& out);
  void on_view_reply(Nanos now, NodeId from, const ViewReply& m, Outbox& out);
  void send_to(NodeId peer, Outbox& out);
  void broadcast(Outbox& out);
  void advance_commit(Outbox& out);
  void commit_to(int64_t index, Outbox& out);  // commit event, then apply
  void apply_to(int64_t index, Outbox& out);
  void become_primary(Nanos now, Outbox& out);
  void persist();
  void replace_log(std::vector<Entry> log);  // checks that the applied prefix is kept
  void reset_deadline(Nanos now);
  void fail_pending(Outbox& out);
  void step_down(int64_t epoch, Outbox& out);
  void start_view_change(Nanos now, Outbox& out);
  int rank() const;  // 0 = next after the primary
  int64_t last_epoch() const { return log_.empty() ? 0 : log_.back().epoch; }

  NodeId id_;
  int cluster_size_;
  Config config_;
  Storage* storage_;
  Rng rng_;

  Role role_ = Role::Backup;
  int64_t epoch_ = 1;
  NodeId primary_ = 0;            // as this node believes (kNoNode: unknown)
  int64_t granted_epoch_ = 0;     // the highest epoch this node granted a ViewChange in
  std::vector<Entry>& log_;  // the storage's: persisted inside the step
  size_t persisted_length_ = 0;
  bool log_replaced_ = false;
  int64_t commit_ = 0;
  int64_t applied_ = 0;
  KvStore kv_;
  Nanos last_heard_ = 0;          // from a primary (backup) or the last heartbeat sent (primary)
  Nanos next_heartbeat_ = kNever;
  Nanos deadline_ = kNever;       // backup: failover; candidate: give up

  // Primary.
  std::set<NodeId> members_;               // including itself
  std::map<NodeId, int64_t> match_;        // member → entries it holds
  std::map<NodeId, int64_t> next_;         // member → first entry to send it next
  std::map<NodeId, Nanos> heard_from_;     // member → last reply
  std::map<std::pair<int64_t, uint64_t>, Address> pending_;  // (client, seq) → where to answer
  int64_t synced_epoch_ = 0;  // backup: the epoch whose primary last sent it a whole log
  int64_t candidate_epoch_ = 0;
  // Candidate: grants so far (voter → its log and commit).
  std::map<NodeId, std::pair<std::vector<Entry>, int64_t>> grants_;

  // Invariant bookkeeping: the applied prefix never changes; commit never goes back.
  int64_t checked_commit_ = 0;
  std::vector<std::string> violations_;
};

const char* role_name(PbNode::Role r);

}  // namespace synod::pb
