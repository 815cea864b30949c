// The serverless family's messages (see controller.hpp for the platform). One-way, as every
// protocol here; an invocation is named by its id, an instance by the controller's number for it.
#pragma once

#include <cstdint>
#include <string>

#include "protocols/common/message.hpp"
#include "protocols/common/types.hpp"

namespace synod::faas {

// Source → controller: invoke function `function` (an index into Config::functions).
class Invoke final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::FaasInvoke; }
  const char* type_name() const override { return "FaasInvoke"; }
  size_t size_bytes() const override { return 32; }
  std::string describe() const override;
  uint64_t id = 0;
  int32_t function = 0;
};

// Controller → source: the invocation finished (or was rejected: no capacity).
class Result final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::FaasResult; }
  const char* type_name() const override { return "FaasResult"; }
  size_t size_bytes() const override { return 56; }
  std::string describe() const override;
  uint64_t id = 0;
  int32_t function = 0;
  bool rejected = false;
  bool cold = false;
  Nanos started = 0;   // host clock
  Nanos finished = 0;
};

// Controller → host: create instance `instance` of `function`. With an invocation (id != 0) the
// instance runs it at once, cold (the cold-start time covers loading and the run, as in SimFaaS);
// without one it is a pre-warmed or autoscaled instance, ready after its boot time.
class Start final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::FaasStart; }
  const char* type_name() const override { return "FaasStart"; }
  size_t size_bytes() const override { return 40; }
  std::string describe() const override;
  uint64_t instance = 0;
  int32_t function = 0;
  uint64_t invocation = 0;
};

// Controller → host: run an invocation on a warm (idle) instance.
class Run final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::FaasRun; }
  const char* type_name() const override { return "FaasRun"; }
  size_t size_bytes() const override { return 40; }
  std::string describe() const override;
  uint64_t instance = 0;
  uint64_t invocation = 0;
};

// Host → controller: the instance finished its invocation (invocation 0: it finished booting).
class Done final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::FaasDone; }
  const char* type_name() const override { return "FaasDone"; }
  size_t size_bytes() const override { return 48; }
  std::string describe() const override;
  uint64_t instance = 0;
  uint64_t invocation = 0;
  bool cold = false;
  Nanos started = 0;
  Nanos finished = 0;
};

// Controller → host: remove the instance (kept alive long enough, or evicted for memory).
class Stop final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::FaasStop; }
  const char* type_name() const override { return "FaasStop"; }
  size_t size_bytes() const override { return 24; }
  std::string describe() const override;
  uint64_t instance = 0;
};

}  // namespace synod::faas
