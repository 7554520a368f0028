#include "stepd/http/io_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace stepd::http {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

TEST(IoPool, HandlersRunOnThePoolsThreads) {
  IoPool pool(2);
  EXPECT_EQ(pool.threads(), 2);
  std::mutex mu;
  std::set<std::thread::id> seen;
  std::promise<void> all_ran;
  std::atomic<int> left{200};
  for (int i = 0; i < 200; ++i) {
    net::post(pool.context(), [&] {
      {
        std::lock_guard lock(mu);
        seen.insert(std::this_thread::get_id());
      }
      std::this_thread::sleep_for(100us);
      if (--left == 0) all_ran.set_value();
    });
  }
  ASSERT_EQ(all_ran.get_future().wait_for(10s), std::future_status::ready);
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.count(std::this_thread::get_id()), 0u);
  EXPECT_GE(seen.size(), 1u);
  EXPECT_LE(seen.size(), 2u);
}

TEST(IoPool, AThrowingHandlerDoesNotEndItsThread) {
  IoPool pool(1);
  net::post(pool.context(), [] { throw std::runtime_error("handler failed"); });
  std::promise<void> ran;
  net::post(pool.context(), [&] { ran.set_value(); });
  EXPECT_EQ(ran.get_future().wait_for(10s), std::future_status::ready);
}

TEST(IoPool, LendRunsHandlersOnTheCallerUntilDone) {
  IoPool pool(1);
  // The pool's own thread is kept busy, so only the lent thread can run
  // the timer's handler.
  std::promise<void> release, blocking;
  std::shared_future<void> released = release.get_future().share();
  net::post(pool.context(), [released, &blocking] {
    blocking.set_value();
    released.wait();
  });
  blocking.get_future().wait();
  std::atomic<bool> done{false};
  std::thread::id ran_on;
  net::steady_timer timer(pool.context(), 20ms);
  timer.async_wait([&](const boost::system::error_code&) {
    ran_on = std::this_thread::get_id();
    done = true;
  });
  pool.Lend([&] { return done.load(); }, 10ms);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  release.set_value();
}

TEST(IoPool, LendReturnsOnStopAndStopIsIdempotent) {
  IoPool pool(1);
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    pool.Stop();
  });
  pool.Lend([] { return false; }, 10ms);  // returns only because of Stop
  stopper.join();
  pool.Stop();
  EXPECT_TRUE(pool.context().stopped());
}

}  // namespace
}  // namespace stepd::http
