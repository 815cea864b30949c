#include "sim/cli/children.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>

namespace synod::cli {

void run_children(const ChildPlan& plan) {
  std::map<pid_t, size_t> running;
  size_t next = 0;
  std::fflush(nullptr);  // nothing buffered is written twice by the children
  while (true) {
    while (next < plan.count && static_cast<int>(running.size()) < std::max(1, plan.jobs)) {
      const size_t i = next++;
      if (plan.should_start && !plan.should_start(i)) continue;
      const pid_t pid = fork();
      if (pid < 0) throw std::runtime_error("fork failed");
      if (pid == 0) {
        plan.child(i);
        _exit(3);  // child() must not return
      }
      running[pid] = i;
    }
    if (running.empty()) break;
    int st = 0;
    const pid_t ended = waitpid(-1, &st, 0);
    if (ended < 0) throw std::runtime_error("waitpid failed");
    auto it = running.find(ended);
    if (it == running.end()) continue;
    const size_t i = it->second;
    running.erase(it);
    plan.done(i, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0));
  }
}

}  // namespace synod::cli
