#include "stepd/base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace stepd {
namespace {

TEST(ThreadPool, RunsEverySubmittedTask) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(3, 1000);
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ran++; }));
  }  // the destructor drains the queue
  EXPECT_EQ(ran.load(), 500);
}

TEST(ThreadPool, RefusesTasksBeyondTheQueueCapacity) {
  ThreadPool pool(1, 2);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.TrySubmit([&started, gate] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();  // the thread is busy; the queue is empty
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_FALSE(pool.TrySubmit([] {}));
  release.set_value();
  pool.Shutdown();
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(ThreadPool, RefusesTasksAfterShutdown) {
  ThreadPool pool(2, 10);
  pool.Shutdown();
  EXPECT_FALSE(pool.TrySubmit([] {}));
  pool.Shutdown();  // idempotent
}

TEST(ThreadPool, TasksMaySubmitMoreTasks) {
  std::promise<int> result;
  ThreadPool pool(2, 10);
  ASSERT_TRUE(pool.TrySubmit([&] { pool.TrySubmit([&] { result.set_value(42); }); }));
  EXPECT_EQ(result.get_future().get(), 42);
}

}  // namespace
}  // namespace stepd
