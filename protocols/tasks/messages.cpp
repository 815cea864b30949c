#include "protocols/tasks/messages.hpp"

#include <fmt/format.h>

namespace synod::tasks {

std::string Submit::describe() const { return fmt::format("TaskSubmit t{} work={:g}", id, work); }

std::string Run::describe() const {
  return fmt::format("TaskRun t{}.{} work={:g}", id, attempt, work);
}

std::string Done::describe() const {
  return fmt::format("TaskDone t{}.{} in {:.6f}s", id, attempt, to_seconds(finished - started));
}

std::string Heartbeat::describe() const {
  return fmt::format("TaskHeartbeat queued={} running={}/{}", queued, running, slots);
}

std::string Pull::describe() const { return fmt::format("TaskPull free={}/{}", free, slots); }

std::string Result::describe() const {
  return fmt::format("TaskResult t{}.{} from {}", id, attempt, worker);
}

}  // namespace synod::tasks
