#include "stepd/runtime/task_executor.h"

#include "stepd/base/crypto.h"

namespace stepd::runtime {

void TaskRouter::Register(std::string prefix, TaskExecutor* executor) {
  std::lock_guard lock(mu_);
  for (auto& route : routes_) {
    if (route.first == prefix) {
      route.second = executor;
      return;
    }
  }
  routes_.emplace_back(std::move(prefix), executor);
}

TaskExecutor* TaskRouter::Find(std::string_view resource) const {
  std::lock_guard lock(mu_);
  TaskExecutor* best = nullptr;
  size_t best_length = 0;
  for (const auto& [prefix, executor] : routes_) {
    if (resource.substr(0, prefix.size()) == prefix &&
        (best == nullptr || prefix.size() > best_length)) {
      best = executor;
      best_length = prefix.size();
    }
  }
  return best;
}

void TaskRouter::SetTokenKeeper(TokenKeeper* keeper) {
  std::lock_guard lock(mu_);
  keeper_ = keeper;
}

void TaskRouter::Invoke(const TaskCall& call, TaskDone done) const {
  TaskExecutor* executor = Find(call.request.resource);
  if (executor == nullptr) {
    done(asl::AslError::Of(
        asl::StatesError::kTaskFailed,
        "stepd has no executor for the resource '" + call.request.resource + "'"));
    return;
  }
  if (call.request.task_token.empty()) return executor->Invoke(call, std::move(done));
  TokenKeeper* keeper = nullptr;
  {
    std::lock_guard lock(mu_);
    keeper = keeper_;
  }
  if (keeper == nullptr) {
    return done(asl::AslError::Of(asl::StatesError::kRuntime,
                                  "stepd cannot keep the task token of '" +
                                      call.request.resource + "'"));
  }
  keeper->InvokeWaiting(call, executor, std::move(done));
}

void TaskRouter::Cancel(const TaskCall& call) const {
  TaskExecutor* executor = Find(call.request.resource);
  if (executor == nullptr) return;
  TokenKeeper* keeper = nullptr;
  {
    std::lock_guard lock(mu_);
    keeper = keeper_;
  }
  if (!call.request.task_token.empty() && keeper != nullptr) {
    keeper->CancelWaiting(call, executor);
  } else {
    executor->Cancel(call);
  }
}

void TaskRouter::Release(const TaskCall& call) const {
  TaskExecutor* executor = Find(call.request.resource);
  if (executor == nullptr) return;
  TokenKeeper* keeper = nullptr;
  {
    std::lock_guard lock(mu_);
    keeper = keeper_;
  }
  if (!call.request.task_token.empty() && keeper != nullptr) {
    keeper->ReleaseWaiting(call);
  } else {
    executor->Release(call);
  }
}

std::string TaskIdempotencyToken(std::string_view execution_arn, int64_t task_id) {
  std::string data(execution_arn);
  data.push_back('\n');
  data += std::to_string(task_id);
  return Sha256Hex(data);
}

}  // namespace stepd::runtime
