#pragma once
// IoPool: the threads that run one Asio I/O context, shared by everything
// in a process that waits on sockets and timers (the listener, the outbound
// client, signals), so that waiting costs no thread of its own.
//
//   http::IoPool pool(2);                      // two threads run pool.context()
//   http::Server server(options, router, logger, &pool);
//   auto client = http::AsyncClient::Create(client_options, &pool);
//   pool.Lend([&] { return stopping; });       // the caller's thread helps
//   client->Stop(); server.Stop();             // each stops its own work
//   pool.Stop();                               // then the threads
//
// Handlers must not block: blocking work belongs on a ThreadPool.
// Handlers that throw are logged to stderr and the thread carries on.
//
// Thread-safety: every method may be called from any thread; Stop() not
// from a handler.

#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace stepd::http {

class IoPool {
 public:
  // Starts `threads` threads (at least 1) running context() until Stop().
  explicit IoPool(int threads);
  // Stop().
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  boost::asio::io_context& context();
  // The threads started (not counting lent ones).
  int threads() const { return static_cast<int>(threads_.size()); }

  // Runs handlers on the calling thread too, until `done()` is true
  // (checked after each handler and at least every `check_every`), or
  // Stop(). For a process's main thread, which would otherwise only wait.
  void Lend(const std::function<bool()>& done,
            std::chrono::milliseconds check_every = std::chrono::milliseconds(100));

  // Stops the context (handlers not yet run stay queued, and are destroyed
  // with the pool) and joins the threads. Idempotent. Whoever uses the
  // context stops its own work first.
  void Stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::vector<std::thread> threads_;
};

}  // namespace stepd::http
