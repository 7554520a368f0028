#pragma once
// The seam between the interpreter and whatever performs Task states: the
// durable runtime's HTTP/Lambda/activity executors, or a mock file in
// `stepd run --mocks`. The interpreter never calls an invoker itself: it
// hands out TaskRequests (Execution::TakeTaskRequests) and is told the
// outcome later (Execution::CompleteTask), so a call may finish on another
// thread long after the step that scheduled it.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "stepd/asl/errors.h"
#include "stepd/base/clock.h"
#include "stepd/base/json.h"
#include "stepd/base/status_or.h"

namespace stepd::asl {

struct TaskRequest {
  int64_t task_id = 0;  // unique within the execution
  int64_t unit_id = 0;  // the execution unit (frame) waiting for it
  std::string state_name;
  std::string resource;                      // the Task's Resource ARN
  Json parameters;                           // effective input after InputPath/Parameters
  std::optional<int64_t> timeout_seconds;    // to be enforced by the caller
  std::optional<int64_t> heartbeat_seconds;  // to be enforced by the caller
  std::string task_token;                    // non-empty for .waitForTaskToken
  Json credentials;                          // the Credentials field, null when absent
  int retry_count = 0;
  // When the step that scheduled it ran: TimeoutSeconds and HeartbeatSeconds
  // count from here, also after a restart.
  TimePoint scheduled_at;
  // An activity worker took it: ActivityStarted is recorded (once; a second
  // report of the same handout, as after a restart, records nothing).
  bool started = false;
};

class TaskInvoker {
 public:
  virtual ~TaskInvoker() = default;
  // Starts the call. `done` is called exactly once, on any thread, now or
  // later, with the task's result or its error (e.g. States.TaskFailed,
  // States.Timeout).
  virtual void Invoke(const TaskRequest& request, std::function<void(AslResult<Json>)> done) = 0;
};

// Answers from a Step Functions Local mock configuration file:
//   {"StateMachines": {"<sm>": {"TestCases": {"<case>": {"<state>": "<response>"}}}},
//    "MockedResponses": {"<response>": {"0": {"Return": ...}, "1-2": {"Throw":
//    {"Error","Cause"}}}}}
// The n-th invocation of a state (0-based, counted per state) uses the entry
// whose key range contains n; past the last range the last entry repeats.
// A state with no mock fails with States.TaskFailed naming the resource.
// Thread-safe.
class MockTaskInvoker final : public TaskInvoker {
 public:
  // INVALID_ARGUMENT when the file is malformed or names an unknown state
  // machine, test case or response.
  static StatusOr<std::unique_ptr<MockTaskInvoker>> Create(const Json& config,
                                                           std::string_view state_machine_name,
                                                           std::string_view test_case);
  void Invoke(const TaskRequest& request, std::function<void(AslResult<Json>)> done) override;

 private:
  struct Entry {
    int64_t first = 0;
    int64_t last = 0;
    Json response;  // {"Return": ...} or {"Throw": {...}}
  };
  std::map<std::string, std::vector<Entry>> by_state_;
  std::mutex mu_;
  std::map<std::string, int64_t> calls_;  // guarded by mu_
};

// Fails every task with States.TaskFailed, naming the resource: what
// `stepd run` uses when no mock file is given.
class NoTaskInvoker final : public TaskInvoker {
 public:
  void Invoke(const TaskRequest& request, std::function<void(AslResult<Json>)> done) override;
};

}  // namespace stepd::asl
