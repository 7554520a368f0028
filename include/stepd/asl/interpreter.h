#pragma once
// Running one execution of a compiled StateMachine, step by step.
//
// An Execution owns all mutable state of one run. It is driven from outside
// (the durable runtime's scheduler, or asl::RunExecution for `stepd run` and
// tests): each Step() advances one ready unit by one state transition and
// appends AWS-shaped history events. Nothing ever sleeps or performs I/O
// inside a step:
//   * a Wait state or a retry backoff parks its unit until a time
//     (StepResult::wake_at; model: DuckDB TASK_BLOCKED);
//   * a Task state hands out a TaskRequest (TakeTaskRequests) and parks its
//     unit until CompleteTask() is called with the outcome.
// Units: the top level, each Parallel branch and each Map iteration is an
// independently steppable unit with an id (TaskRequest::unit_id); the runtime
// may keep many of them in flight (tasks of different iterations run
// concurrently), up to the Map's MaxConcurrency, which the Execution enforces.
//
// Durability: Snapshot() returns the whole mutable state as JSON; Restore()
// rebuilds an equal Execution. Protocol for the runtime: after a step, take
// the new events and the snapshot and persist both atomically. Task requests
// handed out but not completed are in the snapshot (PendingTasks()) so that
// they can be re-issued or timed out after a crash.
//
// Thread-safety: an Execution is not thread-safe; the runtime serialises
// calls per execution. Distinct executions are independent.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stepd/asl/context_object.h"
#include "stepd/asl/errors.h"
#include "stepd/asl/history.h"
#include "stepd/asl/state_machine.h"
#include "stepd/asl/task_invoker.h"
#include "stepd/base/clock.h"
#include "stepd/base/json.h"
#include "stepd/base/status_or.h"

namespace stepd::asl {

struct ExecutionOptions {
  // Largest state input/output, in bytes of compact JSON; 0 = no limit.
  // Exceeding it fails the state with States.DataLimitExceeded.
  size_t max_payload_bytes = 0;
  // Record history events (TakeEvents). Off: only the outcome is kept.
  bool record_history = true;
  // Seed for retry jitter; 0 = nondeterministic.
  uint64_t jitter_seed = 0;
};

enum class ExecutionStatus { kRunning, kSucceeded, kFailed, kTimedOut, kAborted };

// A child workflow execution started by a DISTRIBUTED Map state (one per
// item, or per batch with an ItemBatcher). It runs inside its parent's
// Execution, but has an ARN, a `$$.Execution` and a history of its own:
// events with HistoryEvent::child_execution == id, ids 1..N, from its
// ExecutionStarted to its ExecutionSucceeded/Failed/Aborted.
struct ChildExecutionStart {
  int64_t id = 0;
  ExecutionInfo info;       // arn ...:execution:<machine>/<label>:<uuid>
  std::string map_run_arn;  // ...:mapRun:<machine>/<label>:<uuid>
  StateMachineType type = StateMachineType::kStandard;  // ProcessorConfig.ExecutionType
  Json input;
  // A child execution that had failed or been aborted, started again by a
  // redrive of its parent: same ARN, its history goes on with
  // ExecutionRedriven.
  bool redriven = false;
};
std::string_view ExecutionStatusName(ExecutionStatus s);  // "RUNNING", "SUCCEEDED", ...

enum class MapRunStatus { kRunning, kSucceeded, kFailed, kAborted };

// A DISTRIBUTED Map state's run as it started, changed (UpdateMapRun) or
// ended: the whole record each time.
struct MapRunInfo {
  std::string arn;  // ...:mapRun:<machine>/<label>:<uuid>
  // The execution whose Map state runs it: 0 for this one, else the id of
  // a child execution (ChildExecutionStart::id), for a Map inside one.
  int64_t child_execution = 0;
  MapRunStatus status = MapRunStatus::kRunning;
  int64_t max_concurrency = 0;  // 0: no limit
  std::optional<int64_t> tolerated_failure_count;
  std::optional<double> tolerated_failure_percentage;
  int64_t total_items = 0;
  int64_t total_executions = 0;  // child executions (batches with an ItemBatcher)
  TimePoint start_time;
  std::optional<TimePoint> stop_time;  // set once it ended
  int64_t redrive_count = 0;           // times its parent's redrives restarted it
  std::optional<TimePoint> redrive_time;
};

struct StepResult {
  enum class Kind {
    kProgress,  // a step was made; call Step again
    kBlocked,   // nothing can run now: waiting for wake_at and/or pending tasks
    kFinished,  // the execution reached a final status
  };
  Kind kind = Kind::kProgress;
  std::optional<TimePoint> wake_at;  // earliest parked unit, when kBlocked
  size_t pending_tasks = 0;          // tasks handed out and not completed
};

// Where an execution starts instead of StartAt (an operator's restart): a
// top-level state and the variables in scope there (null or an object).
// asl::FindRestartPoint (restart.h) reads both from an earlier history.
struct StartPoint {
  std::string state;
  Json variables;
};

namespace interpreter_internal {
struct Frame;
class Runner;
}  // namespace interpreter_internal

class Execution {
 public:
  // Starts an execution: records ExecutionStarted and readies the top level.
  static std::unique_ptr<Execution> Start(std::shared_ptr<const StateMachine> machine,
                                          ExecutionInfo info, Json input, TimePoint now,
                                          const ExecutionOptions& options = {});
  // Starts an execution at top-level state `start.state` instead of the
  // machine's StartAt: records ExecutionStarted as Start() does, then the
  // top level enters that state with `input`, `start.variables` in scope.
  // It is then an execution like any other (Snapshot, Restore, Redrive).
  // INVALID_ARGUMENT when the state does not exist or is not top-level
  // (TopLevelStateIndex's messages, restart.h), or when the variables are
  // neither null nor an object.
  static StatusOr<std::unique_ptr<Execution>> StartAt(std::shared_ptr<const StateMachine> machine,
                                                      ExecutionInfo info, Json input, TimePoint now,
                                                      const StartPoint& start,
                                                      const ExecutionOptions& options = {});
  // Rebuilds an execution from Snapshot() output. INVALID_ARGUMENT when the
  // snapshot does not fit `machine`.
  static StatusOr<std::unique_ptr<Execution>> Restore(std::shared_ptr<const StateMachine> machine,
                                                      const Json& snapshot,
                                                      const ExecutionOptions& options = {});
  ~Execution();

  // Advances one ready unit by one state transition (parked units whose time
  // has come, `now`, become ready first).
  StepResult Step(TimePoint now);

  // Task requests made since the last call, in order.
  std::vector<TaskRequest> TakeTaskRequests();
  // Child executions started since the last call, in order.
  std::vector<ChildExecutionStart> TakeChildExecutions();
  // Every child execution that has not ended (e.g. after Restore).
  std::vector<ChildExecutionStart> LiveChildExecutions() const;
  // Map Runs started, changed or ended since the last call, in order.
  std::vector<MapRunInfo> TakeMapRunChanges();
  // Changes the limits of the RUNNING Map Run `arn` (unset: unchanged); a
  // higher concurrency starts more children at the next Step. NOT_FOUND
  // when no Map Run of this execution with that ARN is running;
  // INVALID_ARGUMENT for a negative count or a percentage outside 0..100.
  Status UpdateMapRun(std::string_view arn, std::optional<int64_t> max_concurrency,
                      std::optional<int64_t> tolerated_failure_count,
                      std::optional<double> tolerated_failure_percentage, TimePoint now);
  // Every task handed out and not yet completed.
  std::vector<TaskRequest> PendingTasks() const;
  // An activity worker took task `task_id`: records ActivityStarted (with
  // its name), the first time only (a handout reported again after a
  // restart records nothing). NOT_FOUND when no such task is pending.
  Status MarkTaskStarted(int64_t task_id, std::string_view worker_name, TimePoint now);
  // The integration of a .waitForTaskToken task (or a .sync one) answered
  // `output`: records TaskSubmitted; the task goes on waiting. NOT_FOUND
  // when no such task is pending.
  Status MarkTaskSubmitted(int64_t task_id, const Json& output, TimePoint now);
  // Reports a task's outcome. NOT_FOUND when no such task is pending (it was
  // completed already, or its unit was aborted): the caller drops the result.
  Status CompleteTask(int64_t task_id, AslResult<Json> result, TimePoint now);

  // Stops the execution (StopExecution / timeout): status kAborted or
  // kTimedOut with the given error and cause; records ExecutionAborted or
  // ExecutionTimedOut.
  void Stop(ExecutionStatus status, std::string error, std::string cause, TimePoint now);

  // Redrives a FAILED, TIMED_OUT or ABORTED execution (RedriveExecution):
  // records ExecutionRedriven {redriveCount} and resumes every unit that had
  // not finished, where it stopped. A unit that failed or was aborted in
  // state S enters S again, with the input and variables it had then. A
  // Parallel or Map whose branches or iterations failed (or that was
  // stopped while they ran) reruns only those that failed or were aborted,
  // starts those never started and keeps the results of the others; under
  // a DISTRIBUTED Map the child executions are redriven (same ARNs) and the
  // Map Run goes back to RUNNING. The context object's RedriveCount and
  // the TimeoutSeconds deadline (from now) follow.
  // FAILED_PRECONDITION, with AWS's reason, when the execution is RUNNING
  // or SUCCEEDED, or when it holds nothing to resume (restored from a
  // snapshot taken before it ended).
  Status Redrive(TimePoint now);

  // History events recorded since the last call.
  std::vector<HistoryEvent> TakeEvents();
  // The same, appended to `out` (moved); the execution keeps its event
  // buffer for reuse, so a caller draining after every Step allocates less.
  void TakeEvents(std::vector<HistoryEvent>* out);
  int64_t last_event_id() const;

  ExecutionStatus status() const;
  const Json& output() const;     // when kSucceeded
  const AslError& error() const;  // otherwise, when final
  const ExecutionInfo& info() const;
  const Json& input() const;
  // TimeoutSeconds of the machine is enforced by the driver (RunExecution
  // does; the durable runtime must): Stop(kTimedOut, "States.Timeout", ...).
  const StateMachine& machine() const;

  Json Snapshot() const;

 private:
  friend class interpreter_internal::Runner;
  Execution();
  std::unique_ptr<interpreter_internal::Runner> runner_;
};

// Limits a driver enforces between steps (RunExecution and the durable
// runtime share them, and so AWS's texts):
// FAILED with States.Runtime once the history has more than `max_events`
// events (0: no limit); true when it stopped the execution.
bool EnforceHistoryLimit(Execution& execution, int64_t max_events, TimePoint now);
// start time + the machine's TimeoutSeconds; nullopt without TimeoutSeconds.
std::optional<TimePoint> ExecutionDeadline(const Execution& execution);
// TIMED_OUT with States.Timeout once `now` reaches ExecutionDeadline; true
// when it stopped the execution.
bool EnforceExecutionTimeout(Execution& execution, TimePoint now);

// Drives `execution` to a final status, invoking tasks with `invoker` and
// reading time from `clock`. When nothing is ready it waits for the earliest
// parked unit: with a FakeClock it advances the clock at once (`stepd run
// --fast-forward`), otherwise it waits in real time (outside any step), and
// it wakes early when a task completes. The machine's TimeoutSeconds ends
// the execution as TIMED_OUT (States.Timeout). `history` receives the
// execution's own events (those of child executions are dropped). `max_events` > 0 stops the
// execution with States.Runtime once history would exceed that many events.
void RunExecution(Execution& execution, TaskInvoker& invoker, Clock& clock,
                  std::vector<HistoryEvent>* history, int64_t max_events = 0);

}  // namespace stepd::asl
