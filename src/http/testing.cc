#include "stepd/http/testing.h"

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>

namespace stepd::http::testing {

struct CapturingSink::State {
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  CapturedResponse captured;  // guarded by mu
  bool done = false;          // guarded by mu
  bool gone = false;          // guarded by mu
};

std::shared_ptr<CapturingSink::State> CapturingSink::MakeState() {
  return std::make_shared<State>();
}

namespace {

// What the server sends for a Response::body_file: the file's contents, or
// 404 when it is no readable regular file.
void ReadBodyFile(Response* response) {
  std::error_code ec;
  std::ifstream in;
  if (std::filesystem::is_regular_file(response->body_file, ec)) {
    in.open(response->body_file, std::ios::binary);
  }
  if (!in.is_open()) {
    Response missing = ErrorResponse(404, "the requested content is not available");
    response->status = missing.status;
    response->headers = std::move(missing.headers);
    response->body = std::move(missing.body);
    return;
  }
  response->body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

void CapturingSink::OnResponse(Response response) {
  const bool has_body = response.status >= 200 && response.status != 204 && response.status != 304;
  if (!response.body_file.empty() && response.body.empty() && has_body) ReadBodyFile(&response);
  std::lock_guard lock(state_->mu);
  state_->captured.body_file = std::move(response.body_file);
  state_->captured.status = response.status;
  state_->captured.headers = std::move(response.headers);
  state_->captured.body = std::move(response.body);
  state_->done = true;
  state_->cv.notify_all();
}

void CapturingSink::OnStreamStart(int status, Headers headers) {
  std::lock_guard lock(state_->mu);
  state_->captured.status = status;
  state_->captured.headers = std::move(headers);
  state_->captured.streamed = true;
}

void CapturingSink::OnStreamData(std::string data) {
  std::lock_guard lock(state_->mu);
  state_->captured.body += data;
  state_->captured.chunks.push_back(std::move(data));
}

void CapturingSink::OnStreamEnd(bool complete) {
  std::lock_guard lock(state_->mu);
  state_->captured.stream_finished = complete;
  state_->done = true;
  state_->cv.notify_all();
}

void CapturingSink::OnAbandoned() {
  std::lock_guard lock(state_->mu);
  state_->captured.status = 500;
  state_->captured.abandoned = true;
  state_->done = true;
  state_->cv.notify_all();
}

bool CapturingSink::ClientGone() const {
  std::lock_guard lock(state_->mu);
  return state_->gone;
}

void CapturingSink::Disconnect() {
  std::lock_guard lock(state_->mu);
  state_->gone = true;
}

bool CapturingSink::WaitDone(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mu);
  return state_->cv.wait_for(lock, timeout, [&] { return state_->done; });
}

CapturedResponse CapturingSink::Get() const {
  std::lock_guard lock(state_->mu);
  return state_->captured;
}

CapturedResponse Dispatch(const Router& router, Request request,
                          std::chrono::milliseconds timeout) {
  auto sink = std::make_shared<CapturingSink>();
  router.Dispatch(std::move(request), Responder(sink));
  if (!sink->WaitDone(timeout)) return CapturedResponse{};
  return sink->Get();
}

}  // namespace stepd::http::testing
