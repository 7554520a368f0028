#include "stepd/runtime/outbound_calls.h"

namespace stepd::runtime {

struct OutboundCalls::Call {
  Key key;
  TaskDone done;
  std::optional<uint64_t> fetch_id;  // guarded by mu_
  bool over = false;                 // cancelled or answered; guarded by mu_
};

OutboundCalls::Handle OutboundCalls::Start(const TaskCall& task, TaskDone done) {
  auto call = std::make_shared<Call>();
  call->key = Key(task.execution_arn, task.request.task_id);
  call->done = std::move(done);
  std::optional<uint64_t> replaced_fetch;
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = calls_.try_emplace(call->key, call);
    if (!inserted) {
      Handle replaced = std::exchange(it->second, call);
      replaced->over = true;
      replaced_fetch = replaced->fetch_id;
    }
  }
  if (replaced_fetch) client_->Cancel(*replaced_fetch);
  return call;
}

void OutboundCalls::Fetch(const Handle& call, http::ClientRequest request,
                          std::function<void(StatusOr<http::ClientResponse>)> on_answer) {
  {
    std::lock_guard lock(mu_);
    if (call->over) return;
  }
  const uint64_t id = client_->Fetch(
      std::move(request),
      [this, call, on_answer = std::move(on_answer)](StatusOr<http::ClientResponse> response) {
        if (!response.ok() && response.status().code() == StatusCode::kCancelled) {
          std::lock_guard lock(mu_);
          ForgetLocked(call);
          return;
        }
        on_answer(std::move(response));
      });
  bool cancel = false;
  {
    std::lock_guard lock(mu_);
    call->fetch_id = id;
    cancel = call->over;
  }
  if (cancel) client_->Cancel(id);
}

void OutboundCalls::Finish(const Handle& call, asl::AslResult<Json> result) {
  {
    std::lock_guard lock(mu_);
    if (!ForgetLocked(call)) return;
  }
  call->done(std::move(result));
}

void OutboundCalls::Cancel(const TaskCall& task) {
  std::optional<uint64_t> fetch_id;
  {
    std::lock_guard lock(mu_);
    auto it = calls_.find(Key(task.execution_arn, task.request.task_id));
    if (it == calls_.end()) return;
    it->second->over = true;
    fetch_id = it->second->fetch_id;
    calls_.erase(it);
  }
  if (fetch_id) client_->Cancel(*fetch_id);
}

size_t OutboundCalls::size() const {
  std::lock_guard lock(mu_);
  return calls_.size();
}

bool OutboundCalls::ForgetLocked(const Handle& call) {
  if (auto it = calls_.find(call->key); it != calls_.end() && it->second == call) calls_.erase(it);
  return !std::exchange(call->over, true);
}

}  // namespace stepd::runtime
