#include "stepd/http/responder.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace stepd::http {
namespace internal {

struct Exchange {
  explicit Exchange(std::shared_ptr<ResponseSink> s) : sink(std::move(s)) {}
  ~Exchange() {
    if (!answered.load()) sink->OnAbandoned();
  }
  std::shared_ptr<ResponseSink> sink;
  std::atomic<bool> answered{false};
};

struct StreamState {
  explicit StreamState(std::shared_ptr<Exchange> e) : exchange(std::move(e)) {}
  ~StreamState() {
    if (!finished) exchange->sink->OnStreamEnd(false);
  }
  std::shared_ptr<Exchange> exchange;
  std::mutex mu;          // orders sink calls from concurrent writers
  bool finished = false;  // guarded by mu
};

}  // namespace internal

Responder::Responder(std::shared_ptr<ResponseSink> sink)
    : exchange_(std::make_shared<internal::Exchange>(std::move(sink))) {}

bool Responder::Send(Response response) const {
  if (exchange_->answered.exchange(true)) return false;
  exchange_->sink->OnResponse(std::move(response));
  return true;
}

Stream Responder::StartStream(int status, Headers headers) const {
  if (exchange_->answered.exchange(true)) return Stream();
  auto state = std::make_shared<internal::StreamState>(exchange_);
  exchange_->sink->OnStreamStart(status, std::move(headers));
  return Stream(std::move(state));
}

bool Responder::answered() const { return exchange_->answered.load(); }

bool Responder::client_gone() const { return exchange_->sink->ClientGone(); }

bool Stream::Write(std::string data) const {
  if (!state_) return false;
  std::lock_guard lock(state_->mu);
  if (state_->finished || state_->exchange->sink->ClientGone()) return false;
  if (!data.empty()) state_->exchange->sink->OnStreamData(std::move(data));
  return true;
}

void Stream::Finish() const {
  if (!state_) return;
  std::lock_guard lock(state_->mu);
  if (state_->finished) return;
  state_->finished = true;
  state_->exchange->sink->OnStreamEnd(true);
}

bool Stream::WaitForRoom(size_t max_queued_bytes) const {
  if (!state_) return false;
  const ResponseSink& sink = *state_->exchange->sink;
  auto pause = std::chrono::microseconds(200);
  while (sink.QueuedBytes() > max_queued_bytes) {
    if (sink.ClientGone()) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
  }
  return !sink.ClientGone();
}

bool Stream::client_gone() const { return !state_ || state_->exchange->sink->ClientGone(); }

}  // namespace stepd::http
