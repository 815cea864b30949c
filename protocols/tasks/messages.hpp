// The task-scheduling family's messages (see master.hpp for the protocol). Every one is one-way
// and idempotent to receive twice, because the network may drop, delay, duplicate and reorder
// anything: a task is named by its id, an execution of it by (id, attempt).
#pragma once

#include <cstdint>
#include <string>

#include "protocols/common/message.hpp"
#include "protocols/common/types.hpp"

namespace synod::tasks {

// Source → master: run this task. Sent again (same id) until the result arrives.
class Submit final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::TaskSubmit; }
  const char* type_name() const override { return "TaskSubmit"; }
  size_t size_bytes() const override { return 40; }
  std::string describe() const override;

  uint64_t id = 0;
  double work = 0;  // flops
};

// Master → worker: execute attempt `attempt` of task `id`.
class Run final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::TaskRun; }
  const char* type_name() const override { return "TaskRun"; }
  size_t size_bytes() const override { return 40; }
  std::string describe() const override;

  uint64_t id = 0;
  uint32_t attempt = 0;
  double work = 0;
};

// Worker → master: an execution finished. Times are the worker's clock.
class Done final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::TaskDone; }
  const char* type_name() const override { return "TaskDone"; }
  size_t size_bytes() const override { return 56; }
  std::string describe() const override;

  uint64_t id = 0;
  uint32_t attempt = 0;
  Nanos received = 0;  // the Run reached the worker
  Nanos started = 0;   // a core took it
  Nanos finished = 0;
};

// Worker → master, every heartbeat: alive, with its load as it stands. `boot` is drawn at each
// start, so the master tells a restarted worker (which lost its queue) from a live one.
class Heartbeat final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::TaskHeartbeat; }
  const char* type_name() const override { return "TaskHeartbeat"; }
  size_t size_bytes() const override { return 40; }
  std::string describe() const override;

  uint64_t boot = 0;
  int32_t queued = 0;
  int32_t running = 0;
  int32_t slots = 1;  // cores: tasks it runs at once
};

// Worker → master, pull-based dispatch: I have `free` idle cores, send me work. A worker pulls
// at start and after every finished task; the heartbeat repeats its free count, so a lost pull
// costs at most one heartbeat.
class Pull final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::TaskPull; }
  const char* type_name() const override { return "TaskPull"; }
  size_t size_bytes() const override { return 32; }
  std::string describe() const override;

  uint64_t boot = 0;
  int32_t free = 0;
  int32_t slots = 1;
};

// Master → source: an execution of the task finished (at-least-once: one per execution that
// reported; exactly-once: the first only, resent if the source asks again).
class Result final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::TaskResult; }
  const char* type_name() const override { return "TaskResult"; }
  size_t size_bytes() const override { return 72; }
  std::string describe() const override;

  uint64_t id = 0;
  uint32_t attempt = 0;
  NodeId worker = kNoNode;
  Nanos accepted = 0;  // the master first took the task (master's clock)
  Nanos received = 0;  // worker's clock, as in Done
  Nanos started = 0;
  Nanos finished = 0;
};

}  // namespace synod::tasks
