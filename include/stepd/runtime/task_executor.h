#pragma once
// What performs a Task state for the durable runtime: executors registered
// by Resource ARN prefix (the HTTP task, Lambda-style functions, activities
// and nested executions each bring one).
//
// Delivery is at-least-once: the runtime dispatches a task only after the
// step that scheduled it is durable, and dispatches it again after a crash
// if its result was not yet durable. TaskCall::idempotency_token is the same
// on every dispatch of one task, so an executor (or the service it calls)
// can recognise a repeat.

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/asl/errors.h"
#include "stepd/asl/task_invoker.h"
#include "stepd/base/json.h"

namespace stepd::runtime {

struct TaskCall {
  std::string execution_arn;
  asl::TaskRequest request;
  // hex SHA-256 of (execution ARN, task id): stable across re-dispatches of
  // this task, different for a retry (a retry is a new task).
  std::string idempotency_token;
};

// The outcome of a task: its result, or an error such as States.TaskFailed.
using TaskDone = std::function<void(asl::AslResult<Json>)>;

class TaskExecutor {
 public:
  virtual ~TaskExecutor() = default;
  // Starts the call; `done` is called at most once, on any thread, now or
  // later. It may be dropped when the call was cancelled.
  virtual void Invoke(const TaskCall& call, TaskDone done) = 0;
  // The execution no longer waits for this task (stopped, timed out): stop
  // work on it if possible. Best effort; default: nothing.
  virtual void Cancel(const TaskCall& call) { (void)call; }
  // The execution went on to another node (cluster mode), which dispatches
  // the task again: forget what this process holds for the call, without
  // ending it (its answer, if any, is for the new owner). Default: nothing.
  virtual void Release(const TaskCall& call) { (void)call; }
};

// The .waitForTaskToken pattern around an integration: a task whose
// request carries a token (TaskRequest::task_token) ends when someone sends
// SendTaskSuccess or SendTaskFailure with it, not when the integration
// answers. A keeper records the token durably, calls the integration (once,
// also across restarts), fails the task if the integration fails, and
// answers `done` with what is sent on the token.
class TokenKeeper {
 public:
  virtual ~TokenKeeper() = default;
  virtual void InvokeWaiting(const TaskCall& call, TaskExecutor* integration, TaskDone done) = 0;
  // The execution no longer waits: the token is spent, the integration's
  // call cancelled.
  virtual void CancelWaiting(const TaskCall& call, TaskExecutor* integration) = 0;
  // As TaskExecutor::Release, for a call with a token. Default: nothing.
  virtual void ReleaseWaiting(const TaskCall& call) { (void)call; }
};

// Routes a call to the executor whose prefix is the longest one its
// Resource starts with; a call with a task token goes through the
// TokenKeeper. Thread-safe.
class TaskRouter {
 public:
  // `executor` must outlive the router. A later registration of the same
  // prefix replaces the earlier one.
  void Register(std::string prefix, TaskExecutor* executor);
  // Takes the calls with a task token; must outlive the router. Without a
  // keeper such calls fail with States.Runtime.
  void SetTokenKeeper(TokenKeeper* keeper);
  // The executor for `resource`, or null.
  TaskExecutor* Find(std::string_view resource) const;
  // Invokes the routed executor, or answers States.TaskFailed at once
  // naming the resource no executor handles.
  void Invoke(const TaskCall& call, TaskDone done) const;
  void Cancel(const TaskCall& call) const;
  // Routes TaskExecutor::Release (a call with a token: the keeper's).
  void Release(const TaskCall& call) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, TaskExecutor*>> routes_;  // guarded by mu_
  TokenKeeper* keeper_ = nullptr;                              // guarded by mu_
};

// hex SHA-256 of `execution_arn` and `task_id` (TaskCall::idempotency_token).
std::string TaskIdempotencyToken(std::string_view execution_arn, int64_t task_id);

}  // namespace stepd::runtime
