#pragma once
// Engine: the durable runtime. It drives executions of the ASL interpreter
// on a pool of worker threads and makes every transition durable, exactly
// once, through the Store.
//
// How an execution moves:
//   - StartExecution creates it in memory (ExecutionStarted) and queues it;
//     its creation and each slice of steps become commit items.
//   - A worker takes an execution from the ready queue and runs a slice:
//     task results and stop requests that arrived, expired deadlines, then
//     up to RuntimeOptions::slice_max_steps steps. Its events, audit rows and
//     snapshot go to the committer; the execution goes back to the end of
//     the queue if it can go on (fairness), or waits.
//   - The committer writes waiting items in one transaction (group commit:
//     Store::CommitTransitions, the items of one execution merged). Only
//     then is anything released outside the process: the API answer, task
//     dispatch, the finished execution. An execution may run its next slice
//     while the previous one is being committed; nothing of it is visible
//     before its commit.
//   - Steps never sleep: a Wait or a retry back-off leaves the execution
//     blocked until a time; that time is stored with the commit (wake_at)
//     and kept in a timer heap that re-queues the execution when due. A
//     parked execution far from its time leaves memory after its commit and
//     is read back from its snapshot when due.
//   - A failed commit (busy database, full disk) is retried; when it keeps
//     failing, the executions it held drop their in-memory state and resume
//     from their last durable step (nothing durable is lost; a start that
//     was never durable is answered with the error).
//
// Recovery: Recover() reads every RUNNING execution, arms the timers of
// parked ones and queues the others (re-dispatching their tasks: delivery
// is at-least-once, with the same idempotency token).
//
// Cluster mode (RuntimeOptions::cluster.node_id set; cluster.h): the engine
// runs the executions this node owns. ClusterMember hands it those it
// claims (Adopt); a request for an execution another node owns takes it
// over first (TakeOver). When the store refuses a commit because another
// node owns the execution now (ABORTED), the engine forgets it: no retry,
// no reload; its tasks are neither cancelled nor closed (the new owner
// dispatches them again) and whoever waited on that commit gets
// UNAVAILABLE ("execution ... moved to another node"). The same when a
// read-back finds another owner. WhenFinished on an execution not running
// here polls the store; a task's heartbeat deadline is checked against the
// heartbeat the store holds (workers may report to any node) before it
// times the task out.
//
// Thread-safety: every public method may be called from any thread once
// Start() returned, until Stop().

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "stepd/asl/errors.h"
#include "stepd/base/clock.h"
#include "stepd/base/json.h"
#include "stepd/base/status_or.h"
#include "stepd/runtime/options.h"
#include "stepd/runtime/task_executor.h"
#include "stepd/store/store.h"

namespace spdlog {
class logger;
}

namespace stepd::metrics {
class Registry;
}

namespace stepd::runtime {

struct StartRequest {
  std::string state_machine_arn;
  // Empty: a random UUID. Otherwise 1-80 characters (checked by the API).
  std::string name;
  // JSON text; empty means "{}".
  std::string input;
  // Who starts it: the audit log's actor for its transitions.
  std::string principal;
  // The request that starts it, a JSON object whose members join the
  // details of the ExecutionStarted audit row ({"principal": {...},
  // "source": "...", "request_id": "..."}); empty: none.
  std::string origin_json;
  // Attributes kept with the execution (traceHeader, ...): JSON object text.
  std::string attributes_json = "{}";
  // A published version to run instead of the machine's current revision
  // (0: the current revision): its revision and the role it was published
  // with, as the store's StateMachineVersionRecord has them.
  int64_t version = 0;
  std::string version_revision_id;
  std::string version_role_arn;
  // The alias the start came through (recorded with the execution).
  std::string alias;
  // A nested execution: the execution whose Task state starts it
  // (ExecutionRecord::started_by_execution_arn). Empty for other starts.
  std::string started_by_execution_arn;
  // An operator's restart of a finished execution: the new execution
  // begins at top-level state `start_state` (instead of StartAt) with
  // `start_variables_json` (a JSON object's text, or empty for none) in
  // scope, and records `restarted_from` (the old execution's ARN). Empty
  // start_state: an ordinary start.
  std::string start_state;
  std::string start_variables_json;
  std::string restarted_from;
};

struct StartResult {
  std::string execution_arn;
  int64_t start_time_ms = 0;
  // true: an execution with this name and input was already running and is
  // returned instead of a new one (AWS's idempotent StartExecution).
  bool existing = false;
};

struct StopRequest {
  std::string execution_arn;
  std::string error;  // may be empty
  std::string cause;  // may be empty
  std::string principal;
  std::string origin_json;  // as StartRequest's, for the ExecutionAborted row
};

// UpdateMapRun: new limits for a running Map Run (unset: unchanged).
struct MapRunUpdate {
  // The top-level execution whose Map state (or whose child execution's)
  // runs it: child executions run inside their top-level parent.
  std::string execution_arn;
  std::string map_run_arn;
  std::optional<int64_t> max_concurrency;
  std::optional<int64_t> tolerated_failure_count;
  std::optional<double> tolerated_failure_percentage;
};

struct StopResult {
  int64_t stop_time_ms = 0;
};

struct RedriveRequest {
  std::string execution_arn;
  std::string principal;  // the audit log's actor for the redrive
  std::string origin_json;  // as StartRequest's, for the ExecutionRedriven row
};

struct RedriveResult {
  int64_t redrive_time_ms = 0;
};

struct EngineStats {
  size_t ready = 0;          // executions waiting for a worker
  size_t in_memory = 0;      // executions held in memory
  size_t timers = 0;         // armed wake-ups (parked executions and deadlines)
  size_t pending_tasks = 0;  // tasks dispatched and not answered
  uint64_t commits = 0;      // database transactions written
  uint64_t committed_groups = 0;
  double commit_seconds = 0;  // time spent writing them
  // Cluster mode: executions this engine forgot because another node
  // took them over (a commit refused, or found so when read back).
  uint64_t moved_away = 0;
};

class Engine {
 public:
  // `store`, `clock` and `tasks` must outlive the engine. With `metrics`
  // (which must outlive it too), the engine reports what
  // runtime/engine_metrics.h lists. Each slice of steps logs in its
  // execution's LogContext (execution_arn).
  Engine(const RuntimeOptions& options, store::Store* store, Clock* clock, TaskRouter* tasks,
         std::shared_ptr<spdlog::logger> logger, metrics::Registry* metrics = nullptr);
  ~Engine();  // Stop()
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Before Start(): schedules every RUNNING execution of the store (armed
  // timers for parked ones, the others queued to resume). Errors: the
  // store's; FAILED_PRECONDITION in cluster mode (the store holds other
  // nodes' executions too: ClusterMember::Start adopts this node's).
  Status Recover();
  // Resumes `execution` here, as Recover() does for each one: a timer when
  // it is parked with no task out, else queued to be read back (its tasks
  // dispatched again). Harmless when it is in memory already: it is then
  // compared with the store before its next slice and read back if another
  // node moved it meanwhile. For executions this node owns (ClusterMember's
  // claims). Any thread, before or after Start(); ignored once stopping.
  void Adopt(const store::RunningExecution& execution);
  // Cluster mode: makes this node the owner of the RUNNING execution `arn`
  // unless it is already (Store::ClaimExecution: the old owner's next commit
  // is refused and it lets the execution go), and resumes it here (Adopt).
  // Single node: OK at once, without a store call. Errors: the store's
  // (NOT_FOUND; FAILED_PRECONDITION when it is not running or is a Map
  // Run's child). StopExecution, UpdateMapRun and RedriveExecution call it
  // themselves; the ActivityQueue does for task answers and handouts.
  Status TakeOver(const std::string& execution_arn);
  // Starts the worker threads (RuntimeOptions::workers; an idle one also
  // keeps the timers) and the committer thread.
  void Start();
  // Stops taking work, lets running slices end and commits what they
  // produced, then joins the threads. Executions stay RUNNING in the store
  // and resume on the next Recover(). Idempotent.
  void Stop();

  // Starts an execution of the current revision of a state machine. `done`
  // runs once, and never under the engine's locks (it may call the engine
  // again): on another thread once the start is durable, or on this one for
  // a start answered at once (a repeat, a refusal). Errors:
  //   NOT_FOUND            no such state machine
  //   FAILED_PRECONDITION  the state machine is being deleted
  //   ALREADY_EXISTS       the name is taken by a finished execution, or by
  //                        a running one with another input
  //   INVALID_ARGUMENT     the input is not JSON, or is too large; a
  //                        start_state that is no top-level state of the
  //                        definition that runs, or variables that are
  //                        not a JSON object
  //   RESOURCE_EXHAUSTED   the ready queue is full (overloaded)
  //   UNAVAILABLE          the engine is stopping, or the start could not
  //                        be made durable
  void StartExecution(StartRequest request, std::function<void(StatusOr<StartResult>)> done);

  // Stops a RUNNING execution (ExecutionAborted), cancelling its tasks and
  // timers. `done` runs once the stop is durable, or with NOT_FOUND (no such
  // execution) or FAILED_PRECONDITION (it is not running); in cluster mode
  // also UNAVAILABLE when another node took the execution over meanwhile
  // (sending it again takes it back).
  void StopExecution(StopRequest request, std::function<void(StatusOr<StopResult>)> done);

  // Redrives a FAILED, TIMED_OUT or ABORTED execution from where it stopped
  // (asl::Execution::Redrive): it is RUNNING again, with redrive_count one
  // more, and its ExecutionRedriven event recorded. `done` runs once that is
  // durable, or with NOT_FOUND (no such execution), FAILED_PRECONDITION
  // (running, succeeded, or ended without a redrive point: AWS's reason in
  // the message) or UNAVAILABLE (stopping, or not made durable). The API
  // checks AWS's other rules (type, age, count) first. In cluster mode the
  // store lets only the execution's owner (the node that ran it last)
  // write it: elsewhere UNAVAILABLE naming that node, as long as
  // Store::ClaimExecution takes RUNNING executions only.
  void RedriveExecution(RedriveRequest request, std::function<void(StatusOr<RedriveResult>)> done);

  // Changes the limits of a running Map Run. `done` runs once the change is
  // durable (the Map Run's record with it), or with NOT_FOUND (no such
  // running Map Run in that execution), INVALID_ARGUMENT (a negative count,
  // a percentage outside 0..100) or UNAVAILABLE (stopping, or the change
  // could not be made durable).
  void UpdateMapRun(MapRunUpdate update, std::function<void(Status)> done);

  // Calls `done` once, on another thread (or this one, when the execution
  // is not RUNNING already), when the execution has ended and its end is
  // durable: OK; NOT_FOUND when there is no such execution; UNAVAILABLE
  // when the engine stops first. The caller reads the outcome from the
  // store. StartSyncExecution waits with it. In cluster mode an execution
  // not running here is read from the store every
  // ClusterOptions::poll_interval_ms until it is not RUNNING.
  void WhenFinished(const std::string& execution_arn, std::function<void(Status)> done);

  // Reports a task's outcome (executors do, through TaskDone). Results for
  // tasks no longer awaited are dropped.
  void CompleteTask(const std::string& execution_arn, int64_t task_id, asl::AslResult<Json> result);

  // An activity worker took the task (ActivityStarted is recorded; its
  // heartbeat period starts), or reported that it is alive. Dropped when the
  // execution no longer waits for the task.
  void TaskStarted(const std::string& execution_arn, int64_t task_id,
                   const std::string& worker_name);
  void TaskHeartbeat(const std::string& execution_arn, int64_t task_id);
  // The integration of a task that waits for more (a token, a nested
  // execution's end) answered `output`: TaskSubmitted is recorded. Dropped
  // when the execution no longer waits for the task.
  void TaskSubmitted(const std::string& execution_arn, int64_t task_id, Json output);

  // The state machine was updated or deleted: the next start reads it
  // again (starts otherwise use what they read up to two seconds ago).
  void ForgetStateMachine(const std::string& state_machine_arn);

  EngineStats Stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepd::runtime
