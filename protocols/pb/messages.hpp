// Primary-backup replication's messages (see pb_node.hpp for the protocol). One-way, like every
// protocol here: a reply names the epoch it answers, because the network may drop, delay,
// duplicate and reorder anything.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/common/types.hpp"

namespace synod::pb {

// One log entry: a client command and the epoch of the primary that ordered it.
struct Entry {
  int64_t epoch = 0;
  Command command;
  bool noop = false;  // a new primary's first entry: it commits the log it adopted (see pb_node.hpp)
};

// Primary → backup: "your log from `from` on is `entries`" (from = 1 and every entry: a full state
// transfer), the primary's commit point, and the view's members. An empty `entries` with `from`
// one past the backup's log is a heartbeat.
class Replicate final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::PbReplicate; }
  const char* type_name() const override { return "Replicate"; }
  size_t size_bytes() const override;
  std::string describe() const override;

  int64_t epoch = 0;
  int64_t from = 1;
  std::vector<Entry> entries;
  int64_t commit = 0;
  std::vector<NodeId> members;
};

// Backup → primary: the answer to a Replicate. `ok`: the backup's log now has `length` entries
// that match the primary's. Not ok: the backup is in a later epoch (`epoch`), which fences the
// sender, or lacks entries before `from` (`length` is what it has; the primary resends from there).
class ReplicateReply final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::PbReplicateReply; }
  const char* type_name() const override { return "ReplicateReply"; }
  size_t size_bytes() const override { return 32; }
  std::string describe() const override;

  int64_t epoch = 0;
  bool ok = false;
  int64_t length = 0;
};

// A backup that lost its primary asks to become primary of `epoch`; `last_epoch`, `length`
// describe its log (for the others to judge, and to answer with what it may lack).
class ViewChange final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::PbViewChange; }
  const char* type_name() const override { return "ViewChange"; }
  size_t size_bytes() const override { return 40; }
  std::string describe() const override;

  int64_t epoch = 0;
  int64_t last_epoch = 0;
  int64_t length = 0;
};

// The answer to a ViewChange: granted, with the voter's log (the candidate adopts the most
// up-to-date log among a majority, so no entry that may have been acknowledged is dropped), or
// refused with the voter's epoch.
class ViewReply final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::PbViewReply; }
  const char* type_name() const override { return "ViewReply"; }
  size_t size_bytes() const override;
  std::string describe() const override;

  int64_t epoch = 0;
  bool granted = false;
  std::vector<Entry> log;
  int64_t commit = 0;
};

}  // namespace synod::pb
