// Runs in child processes, up to `jobs` at a time: what `synod compare` and `synod sweep` use
// (SimGrid allows one engine per process, so each run gets a fork of its own).
#pragma once

#include <cstddef>
#include <functional>

namespace synod::cli {

struct ChildPlan {
  size_t count = 0;  // runs 0..count-1, started in index order
  int jobs = 1;
  // In the child: do run i and _exit with its status. Never returns.
  std::function<void(size_t i)> child;
  // In the parent: run i ended with this status (its exit code; 128 + signal if killed).
  std::function<void(size_t i, int status)> done;
  // In the parent, before starting run i: false skips it (not run, `done` not called). Empty:
  // every run starts.
  std::function<bool(size_t i)> should_start;
};

// Throws std::runtime_error if fork or waitpid fails.
void run_children(const ChildPlan& plan);

}  // namespace synod::cli
