#pragma once
// NestedExecutions: Task states whose Resource is
// "arn:aws:states:::states:startExecution", AWS's optimized Step Functions
// integration, start an execution of another state machine of this stepd
// (the child) through the Engine.
//
// Parameters (the Task's effective Parameters or Arguments), as on AWS:
//   StateMachineArn  string, required: a state machine, version or alias
//                    ARN (an alias picks its version by weight, as
//                    StartExecution does)
//   Input            the child's input. A string is the input's JSON text
//                    itself (so "Input.$": "States.JsonToString($)" passes
//                    an object); another value is passed as JSON; absent or
//                    null: {}.
//   Name             string, optional: the child's name. Without one the
//                    child is named after the task's idempotency token (a
//                    UUID-shaped name, the same on every dispatch of the
//                    task), where AWS would draw a random UUID.
// Another field is refused (States.Runtime naming it).
//
// Integration patterns, by the Resource's suffix:
//   (none)             answers once the child's start is durable, with
//                      StartExecution's answer as AWS's integration gives it:
//                      {"ExecutionArn", "SdkHttpMetadata",
//                       "SdkResponseMetadata", "StartDate"}
//   .sync              answers once the child has ended, with its
//                      DescribeExecution in PascalCase (keys sorted, as
//                      AWS's): ExecutionArn, Input, InputDetails, Name,
//                      Output, OutputDetails, RedriveCount, RedriveStatus,
//                      ... StartDate, StateMachineArn, Status, StopDate;
//                      Input and Output are JSON text
//   .sync:2            the same, with Input and Output as JSON values
//   .waitForTaskToken  starts the child as request-response does; the
//                      runtime's token layer makes the task wait for the
//                      token
// Dates are epoch milliseconds (JSON numbers), as AWS's integration gives
// them; the API's seconds are for the API only.
//
// Errors, named as AWS names them so that Retry and Catch written for AWS
// behave the same:
//   States.TaskFailed                 (.sync, .sync:2) the child FAILED, TIMED_OUT
//                                     or was ABORTED; the cause is the
//                                     DescribeExecution object above as
//                                     JSON text (with its Error and Cause)
//   StepFunctions.<Code>Exception     the start was refused; <Code> is the
//                                     API's error (no second "Exception"
//                                     for ValidationException): InvalidArn,
//                                     InvalidName, StateMachineDoesNotExist,
//                                     StateMachineDeleting,
//                                     ExecutionAlreadyExists,
//                                     InvalidExecutionInput,
//                                     ValidationException (an input over
//                                     the payload limit),
//                                     ExecutionLimitExceeded (stepd is
//                                     overloaded). The cause is the API's
//                                     message with AWS's tail "(Service:
//                                     AWSStepFunctions; Status Code: 400;
//                                     Error Code: <Code>; Request ID: <uuid>;
//                                     Proxy: null)"
//   States.Runtime                    a malformed Parameters field, or a
//                                     suffix other than the four above
//
// One child per task, also when the task is dispatched again after a
// restart (same idempotency token): the child records the execution that
// started it (ExecutionRecord::started_by_execution_arn) and the task's
// token (its attributes' "startedByTask"). A start whose name is taken by
// the child of this very task, running or ended, is that child: the start
// answers with it, and .sync waits for it again (Engine::WhenFinished) or
// reads how it ended. A name taken by any other execution is
// ExecutionAlreadyExists, as on AWS (except a running one with the same
// input, which StartExecution itself returns). A restart may still start
// an EXPRESS child twice: EXPRESS names may repeat, and AWS runs those at
// least once too.
//
// Stopping: when the parent no longer waits for a .sync or .sync:2 task
// (the parent was stopped, timed out or failed elsewhere, or the task timed
// out), Cancel stops the child (ExecutionAborted), also one whose start is
// still in flight or that was started before a restart. Children of
// request-response and .waitForTaskToken tasks run on, as on AWS.
//
// The child's audit rows name the parent's execution ARN as their actor.
//
// Thread-safety: Invoke and Cancel may be called from any thread. `done`
// runs on the engine's threads (or, for a call refused at once, on the
// caller's).

#include <memory>
#include <string_view>

#include "stepd/runtime/engine.h"
#include "stepd/runtime/task_executor.h"
#include "stepd/store/store.h"

namespace spdlog {
class logger;
}

namespace stepd::runtime {

inline constexpr std::string_view kStartExecutionResource =
    "arn:aws:states:::states:startExecution";

class NestedExecutions final : public TaskExecutor {
 public:
  // `store` must outlive the executor.
  NestedExecutions(store::Store* store, std::shared_ptr<spdlog::logger> logger);
  ~NestedExecutions() override;
  NestedExecutions(const NestedExecutions&) = delete;
  NestedExecutions& operator=(const NestedExecutions&) = delete;

  // The engine children start on (the engine is built after the router
  // that holds this executor). Set before the engine dispatches anything;
  // the engine must be stopped before the executor is destroyed.
  void SetEngine(Engine* engine);

  void Invoke(const TaskCall& call, TaskDone done) override;
  // .sync and .sync:2: stops the child (see above). Otherwise nothing.
  void Cancel(const TaskCall& call) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepd::runtime
