#pragma once
// Dispatching through a Router without sockets, for handler tests.
//
//   http::Router router;  AddRoutes(router, deps);
//   auto r = http::testing::Dispatch(router, http::MakeRequest("GET", "/v1/x"));
//   EXPECT_EQ(r.status, 200);

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "stepd/http/message.h"
#include "stepd/http/responder.h"
#include "stepd/http/router.h"

namespace stepd::http::testing {

struct CapturedResponse {
  // 0 when no answer came within the wait.
  int status = 0;
  Headers headers;
  // The body, or the chunks of a stream concatenated. For an answer with a
  // Response::body_file, that file's contents, read when the answer arrived;
  // when it cannot be read, status and body are the server's 404 instead.
  std::string body;
  // The Response::body_file answered with; empty otherwise.
  std::string body_file;
  bool streamed = false;
  std::vector<std::string> chunks;
  // The stream ended with Finish() (false: not yet ended or aborted).
  bool stream_finished = false;
  // Every Responder copy was dropped without an answer (status is then 500).
  bool abandoned = false;
};

// A ResponseSink that records what it receives. Thread-safe.
class CapturingSink : public ResponseSink {
 public:
  void OnResponse(Response response) override;
  void OnStreamStart(int status, Headers headers) override;
  void OnStreamData(std::string data) override;
  void OnStreamEnd(bool complete) override;
  void OnAbandoned() override;
  bool ClientGone() const override;

  // Pretends the client disconnected: later answers see client_gone().
  void Disconnect();
  // Waits until a response, a finished/aborted stream, or abandonment
  // arrived, for at most `timeout`. False on timeout.
  bool WaitDone(std::chrono::milliseconds timeout) const;
  CapturedResponse Get() const;

 private:
  struct State;
  std::shared_ptr<State> state_ = MakeState();
  static std::shared_ptr<State> MakeState();
};

// Dispatches `request` through `router` and waits (up to `timeout`) for the
// answer, given now or later from any thread. Status 0 on timeout.
CapturedResponse Dispatch(const Router& router, Request request,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace stepd::http::testing
