#pragma once
// Responder: the handle a handler answers through, now, later, or as a stream.
//
//   router.Add("GET", "/v1/wait", [pool](const Request& req, Responder r) {
//     pool->Submit([r] { r.Send(Response::Json(200, "{}")); });  // any thread
//   });
//
// A Responder is a cheap copyable handle (shared state). Exactly one answer
// counts: the first Send() or StartStream(); later ones return false and do
// nothing. When the last copy is destroyed without an answer the client gets
// 500 and the server logs an error: that is a handler bug. When the client has
// gone away, answering is a harmless no-op. Every method may be called from any
// thread and never blocks on the network.

#include <memory>
#include <string>

#include "stepd/http/message.h"

namespace stepd::http {

// Where answers go: implemented by the connection (src/http/) and by
// http::testing. Calls arrive from any thread, each at most once in this
// order: OnResponse | (OnStreamStart, OnStreamData*, OnStreamEnd) | OnAbandoned.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void OnResponse(Response response) = 0;
  virtual void OnStreamStart(int status, Headers headers) = 0;
  virtual void OnStreamData(std::string data) = 0;
  // complete == false: the producer dropped the stream without Finish();
  // the connection is closed so the client sees a truncated body.
  virtual void OnStreamEnd(bool complete) = 0;
  // Every Responder copy was dropped without an answer.
  virtual void OnAbandoned() = 0;
  // The peer is known to be gone (a write failed or the server closed it).
  virtual bool ClientGone() const = 0;
  // Bytes of stream data accepted and not yet written to the peer.
  virtual size_t QueuedBytes() const { return 0; }
};

namespace internal {
struct Exchange;
struct StreamState;
}  // namespace internal

// A chunked response in progress (Transfer-Encoding: chunked). Copyable handle;
// any thread. The last copy dropped without Finish() aborts the response.
class Stream {
 public:
  Stream() = default;  // invalid: Write() returns false
  // Queues `data` as one chunk (empty data is ignored). False when the stream
  // is finished, invalid, or the client is gone; the producer should stop.
  // Chunks are buffered without bound: producers of large bodies pace
  // themselves with WaitForRoom (from a worker thread, never an I/O thread).
  bool Write(std::string data) const;
  // Blocks while more than `max_queued_bytes` written chunks wait for the
  // peer. False when the client went away meanwhile (or the stream is
  // invalid); true once there is room.
  bool WaitForRoom(size_t max_queued_bytes) const;
  // Ends the body with the last chunk. Idempotent.
  void Finish() const;
  bool valid() const { return state_ != nullptr; }
  bool client_gone() const;

 private:
  friend class Responder;
  explicit Stream(std::shared_ptr<internal::StreamState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::StreamState> state_;
};

class Responder {
 public:
  // Answers go to `sink`.
  explicit Responder(std::shared_ptr<ResponseSink> sink);

  // Answers with `response`. False when already answered.
  bool Send(Response response) const;
  // Starts a streamed answer with `status` and `headers` (sent at once). An
  // invalid Stream when already answered.
  Stream StartStream(int status, Headers headers = {}) const;
  // An answer was given (by this or another copy).
  bool answered() const;
  // The client is known to be gone; long waits may give up early.
  bool client_gone() const;

 private:
  std::shared_ptr<internal::Exchange> exchange_;
};

}  // namespace stepd::http
