// The tasks family's pieces shared by its two files: the protocol and workload sections as read,
// and what a run keeps for the report (tasks.cpp reads and runs, tasks_report.cpp reports).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "protocols/tasks/ledger.hpp"
#include "protocols/tasks/master.hpp"
#include "protocols/tasks/source.hpp"
#include "sim/engine/workload.hpp"
#include "sim/report/report.hpp"
#include "sim/scenario/scenario.hpp"

namespace synod::sim {

struct TasksSection final : ProtocolConfig {
  tasks::Config tasks;  // weights and cores are filled from the cluster when the run is made
  std::vector<std::pair<int, double>> weights;  // as written: (node index, weight)
};

struct TasksWorkloadSection final : ProtocolConfig {
  tasks::Arrivals arrivals;
  int sources = 1;
  Nanos warmup = 0;     // statistics leave out tasks that arrived before this
  std::string trace_file;  // arrivals from a CSV file: its path, for the report
};

// An unfinished task at the end of a run, and where it stands.
struct Unfinished {
  uint64_t id = 0;
  std::string where;  // "queued at the master", "running on n3", ...
  bool lost = false;  // nothing holds it any more and nothing will send it again
};

struct TasksExtra final : RunExtra {
  std::shared_ptr<const tasks::Ledger> ledger;
  tasks::MasterCounters master;
  std::vector<Unfinished> unfinished;
  bool master_up = true;
};

void tasks_section(const RunResult& r, RunAnalysis* a);

}  // namespace synod::sim
