#pragma once
// ActivityQueue: Task states whose Resource is an activity ARN
// (arn:aws:states:REGION:ACCOUNT:activity:NAME) wait here for a worker, and
// workers take and answer them (GetActivityTask, SendTaskSuccess,
// SendTaskFailure, SendTaskHeartbeat).
//
// The queue is the store's (activity_tasks): a task is queued durably when
// dispatched, handed to one worker with a fresh token (only its SHA-256 is
// stored), and its outcome is stored before the execution hears of it. So a
// restart loses nothing: the engine dispatches pending tasks again, and a
// task queued, taken or already answered is found as it was (an answer a
// worker sent just before the crash is delivered then).
//
// A poll that finds nothing waits (up to the time given) without a thread
// of its own; the first task queued for its activity goes to the oldest
// waiting poll. The queue's one thread starts with its first task or
// waiting poll (a server whose workflows use no activity has none).
//
// Cluster mode (ClusterOptions::node_id set): workers may poll and answer
// any node. A waiting poll also tries the store every poll_interval_ms
// (other nodes queue tasks without waking it). A task handed out or
// answered here for an execution another node runs takes that execution
// over (Engine::TakeOver): it resumes here and reads the answer back with
// its task. A heartbeat is stored wherever it arrives; the execution's node
// reads it before it times the task out.
//
// Thread-safety: every method may be called from any thread.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "stepd/base/clock.h"
#include "stepd/base/status_or.h"
#include "stepd/runtime/cluster.h"
#include "stepd/runtime/engine.h"
#include "stepd/runtime/task_executor.h"
#include "stepd/store/store.h"

namespace spdlog {
class logger;
}

namespace stepd::runtime {

// True for "arn:aws:states:REGION:ACCOUNT:activity:NAME".
bool IsActivityArn(std::string_view resource);

// Also the TokenKeeper of .waitForTaskToken tasks: their tokens are kept
// with the activity tasks' (SendTaskSuccess, SendTaskFailure and
// SendTaskHeartbeat take either kind), and the integration is called on
// the queue's thread once the token is durable.
class ActivityQueue final : public TaskExecutor, public TokenKeeper {
 public:
  // `store` and `clock` must outlive the queue. `cluster`: the node's
  // (RuntimeOptions::cluster); the default is one node.
  ActivityQueue(store::Store* store, Clock* clock, std::shared_ptr<spdlog::logger> logger,
                const ClusterOptions& cluster = {});
  ~ActivityQueue() override;  // Stop()
  ActivityQueue(const ActivityQueue&) = delete;
  ActivityQueue& operator=(const ActivityQueue&) = delete;

  // Where workers' starts and heartbeats are reported (ActivityStarted,
  // heartbeat deadlines). Set before the engine dispatches anything.
  void SetEngine(Engine* engine);
  // Answers every waiting poll with "no task" and stops the queue's thread.
  void Stop();

  // TaskExecutor: queues the task durably (on the queue's thread).
  void Invoke(const TaskCall& call, TaskDone done) override;
  // The execution stopped waiting: the task is closed (its token then fails
  // with FAILED_PRECONDITION).
  void Cancel(const TaskCall& call) override;
  // The execution moved to another node: the call's TaskDone is dropped
  // (the task stays queued, taken or answered in the store for the new
  // owner's dispatch).
  void Release(const TaskCall& call) override;

  // TokenKeeper: records the token (once: a dispatch repeated after a
  // restart finds it, and does not call the integration again), then calls
  // `integration`. Its success records TaskSubmitted; its failure spends
  // the token and fails the task with the integration's error. The task
  // then ends with what is sent on the token.
  void InvokeWaiting(const TaskCall& call, TaskExecutor* integration, TaskDone done) override;
  // The token is closed (answers on it then fail with FAILED_PRECONDITION)
  // and the integration's Cancel called.
  void CancelWaiting(const TaskCall& call, TaskExecutor* integration) override;
  void ReleaseWaiting(const TaskCall& call) override;

  struct Handout {
    std::string token;  // 64 hex characters; give it back to answer
    std::string input;  // JSON text
  };
  using PollDone = std::function<void(StatusOr<std::optional<Handout>>)>;
  // Hands the oldest queued task of `activity_arn` to `worker_name`, now or
  // as soon as one is queued within `wait`; nullopt when none came. `done`
  // runs once, on any thread. NOT_FOUND when the activity does not exist;
  // UNAVAILABLE when stopping. `abandoned`, when set, tells that the poller
  // went away (its client disconnected): a waiting poll it answers true for
  // is given no task, so that no task is handed to nobody.
  void Poll(const std::string& activity_arn, const std::string& worker_name,
            std::chrono::milliseconds wait, PollDone done, std::function<bool()> abandoned = {});

  // A worker's answer, delivered to the execution once stored. NOT_FOUND:
  // no task was handed out with this token. FAILED_PRECONDITION: the task
  // is not waiting for an answer any more (answered, timed out, stopped);
  // the message names its state.
  Status Succeed(std::string_view token, const std::string& output);
  Status Fail(std::string_view token, const std::string& error, const std::string& cause);
  // The worker is alive: its heartbeat deadline starts again. Same errors.
  Status Heartbeat(std::string_view token);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepd::runtime
