#include "stepd/http/io_pool.h"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <iostream>
#include <mutex>
#include <optional>

namespace stepd::http {

namespace net = boost::asio;

struct IoPool::State {
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work{ioc.get_executor()};
  std::mutex mu;  // serialises Stop
  bool stopped = false;
};

namespace {

// One handler's exception must not end the thread (nor the process).
template <class Run>
bool RunGuarded(Run&& run) {
  try {
    run();
    return true;
  } catch (const std::exception& e) {
    std::cerr << "stepd: an I/O handler threw: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "stepd: an I/O handler threw\n";
  }
  return false;
}

}  // namespace

IoPool::IoPool(int threads) : state_(std::make_unique<State>()) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    threads_.emplace_back([state = state_.get()] {
      while (!RunGuarded([state] { state->ioc.run(); })) {
      }
    });
  }
}

IoPool::~IoPool() { Stop(); }

net::io_context& IoPool::context() { return state_->ioc; }

void IoPool::Lend(const std::function<bool()>& done, std::chrono::milliseconds check_every) {
  while (!done() && !state_->ioc.stopped()) {
    RunGuarded([&] { state_->ioc.run_one_for(check_every); });
  }
}

void IoPool::Stop() {
  std::lock_guard lock(state_->mu);
  if (state_->stopped) return;
  state_->stopped = true;
  state_->work.reset();
  state_->ioc.stop();
  for (std::thread& t : threads_) t.join();
}

}  // namespace stepd::http
