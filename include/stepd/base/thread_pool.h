#pragma once
// ThreadPool: a fixed set of threads running submitted tasks in FIFO order,
// with a bounded queue. Submitting to a full queue fails at once instead of
// growing memory, so callers can answer "overloaded" (model: Kudu's
// util/threadpool.h).
//
// Thread-safety: every method may be called from any thread, including from
// a task of the pool itself (but Shutdown() from a task deadlocks).

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace stepd {

class ThreadPool {
 public:
  // Starts `threads` threads (at least 1). At most `queue_capacity` tasks
  // wait (at least 1); tasks being run do not count.
  ThreadPool(size_t threads, size_t queue_capacity);
  ~ThreadPool();  // Shutdown()
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `task`, to run in the submitting thread's LogContext. False (and `task` is dropped unrun) when the queue is
  // full or the pool is shut down.
  bool TrySubmit(std::function<void()> task);
  // Refuses new tasks, runs the queued ones, joins the threads. Idempotent.
  void Shutdown();
  // Tasks waiting for a thread.
  size_t queued() const;

 private:
  void Run();

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool shutting_down_ = false;               // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace stepd
