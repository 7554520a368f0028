#include "stepd/base/thread_pool.h"

#include <algorithm>

#include "stepd/base/log_context.h"

namespace stepd {

ThreadPool::ThreadPool(size_t threads, size_t queue_capacity)
    : capacity_(std::max<size_t>(1, queue_capacity)) {
  threads = std::max<size_t>(1, threads);
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

ThreadPool::~ThreadPool() { Shutdown(); }

bool ThreadPool::TrySubmit(std::function<void()> task) {
  // The task logs as part of what its submitter was doing.
  if (const LogContext& context = CurrentLogContext();
      !context.request_id.empty() || !context.execution_arn.empty()) {
    task = [context, inner = std::move(task)] {
      ScopedLogContext scope(context);
      inner();
    };
  }
  {
    std::lock_guard lock(mu_);
    if (shutting_down_ || queue_.size() >= capacity_) return false;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void ThreadPool::Shutdown() {
  {
    std::lock_guard lock(mu_);
    if (shutting_down_ && threads_.empty()) return;
    shutting_down_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  std::lock_guard lock(mu_);
  threads_.clear();
}

size_t ThreadPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void ThreadPool::Run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return shutting_down_ || !queue_.empty(); });
      if (queue_.empty()) return;  // shutting down and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace stepd
