#pragma once
// OutboundCalls: the calls a task executor has in flight on an AsyncClient,
// one per task (execution ARN, task id). Shared by the executors that answer
// a Task with one outbound request (HTTP tasks, Lambda-style functions):
//   - a repeated dispatch of a task (after a recovery) replaces and aborts
//     the call already in flight for it;
//   - Cancel aborts a task's request; its `done` is then never called;
//   - a request the client cancels (Cancel, or the client stopping) is
//     dropped without an answer: the execution resumes, and calls again,
//     after a restart;
//   - Finish answers a call once; a late Cancel or answer finds nothing.
//
// Thread-safety: every method may be called from any thread.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "stepd/http/async_client.h"
#include "stepd/runtime/task_executor.h"

namespace stepd::runtime {

class OutboundCalls {
 public:
  struct Call;
  using Handle = std::shared_ptr<Call>;

  // `client` must outlive this.
  explicit OutboundCalls(http::AsyncClient* client) : client_(client) {}

  // Tracks a call for `task`, answered by `done`.
  Handle Start(const TaskCall& task, TaskDone done);
  // Sends `request` for the call, unless it was cancelled or answered;
  // `on_answer` gets the response or the client's failure (never its
  // cancellation) and must end in Finish.
  void Fetch(const Handle& call, http::ClientRequest request,
             std::function<void(StatusOr<http::ClientResponse>)> on_answer);
  // Answers the call with `result`, unless it was cancelled or answered.
  void Finish(const Handle& call, asl::AslResult<Json> result);
  // Aborts the request of `task`, if one is tracked.
  void Cancel(const TaskCall& task);
  // Calls started and not yet answered or cancelled.
  size_t size() const;

 private:
  using Key = std::pair<std::string, int64_t>;  // (execution ARN, task id)
  // Stops tracking `call` (still the one of its key); true when it was
  // neither cancelled nor answered before.
  bool ForgetLocked(const Handle& call);

  http::AsyncClient* const client_;
  mutable std::mutex mu_;
  std::map<Key, Handle> calls_;  // guarded by mu_
};

}  // namespace stepd::runtime
