#pragma once
// EngineMetrics: what the Engine tells the metrics registry (GET /metrics).
//
//   stepd_executions_started_total{state_machine}
//   stepd_executions_finished_total{state_machine,status}   SUCCEEDED, FAILED,
//                                                           TIMED_OUT, ABORTED
//   stepd_executions_redriven_total{state_machine}
//   stepd_state_transitions_total{state_machine}            states entered
//   stepd_history_events_total                              events committed
//   stepd_task_duration_seconds{resource,outcome}           dispatch to result;
//                                                           outcome succeeded, failed,
//                                                           timed_out
//   stepd_tasks_in_flight{resource}                         dispatched, not answered
//   stepd_commit_duration_seconds                           one group commit
//   stepd_commit_batch_executions                           executions per commit
//   stepd_commit_failures_total                             commits that failed
//   stepd_ready_executions, stepd_executions_in_memory,
//   stepd_timers_pending, stepd_tasks_pending               from Engine::Stats()
//
// Counts come from commits that succeeded, so each transition is counted
// once, as it is recorded once. state_machine is the name in the execution's
// ARN (a Map Run's child counts under its parent's machine). resource is the
// Task's integration: "activity", "lambda:function", or what follows
// "arn:aws:states:::" ("http:invoke", "lambda:invoke",
// "states:startExecution.sync:2", ...), at most 64 characters.
//
// Thread-safety: every method may be called from any thread.

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/base/metrics.h"
#include "stepd/base/status.h"
#include "stepd/runtime/task_executor.h"
#include "stepd/store/records.h"

namespace stepd::runtime {

struct EngineStats;

// The label for a Task's Resource (see above).
std::string TaskResourceType(std::string_view resource);
// The state machine's name in an execution ARN ("" when it is not one).
std::string StateMachineNameOf(std::string_view execution_arn);

class EngineMetrics {
 public:
  // Null `registry`: every method does nothing. `stats` is read at render
  // time; it must stay callable as long as the registry renders.
  EngineMetrics(metrics::Registry* registry, std::function<EngineStats()> stats);

  // A group commit of `groups` took `seconds`; results[i] is groups[i]'s.
  void Committed(std::span<const store::TransitionGroup> groups, const std::vector<Status>& results,
                 double seconds);
  void CommitFailed();
  // `done`, timing the task from now and counting it in flight until it is
  // answered or dropped.
  TaskDone Timed(const TaskCall& call, TaskDone done);

 private:
  metrics::Family<metrics::Counter>* started_ = nullptr;
  metrics::Family<metrics::Counter>* finished_ = nullptr;
  metrics::Family<metrics::Counter>* redriven_ = nullptr;
  metrics::Family<metrics::Counter>* transitions_ = nullptr;
  metrics::Counter* events_ = nullptr;
  metrics::Family<metrics::Histogram>* task_duration_ = nullptr;
  metrics::Family<metrics::Gauge>* in_flight_ = nullptr;
  metrics::Histogram* commit_duration_ = nullptr;
  metrics::Histogram* commit_batch_ = nullptr;
  metrics::Counter* commit_failures_ = nullptr;
};

}  // namespace stepd::runtime
