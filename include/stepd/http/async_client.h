#pragma once
// AsyncClient: the outbound HTTP/1.1 client for calls made on a workflow's
// behalf (HTTP tasks). Callback-based on an I/O pool (the process's shared
// one, or a small one of its own), so thousands of requests can be in
// flight without a thread each; every request is checked against an
// OutboundPolicy after its host is resolved.
//
//   auto client = http::AsyncClient::Create(options, &pool);  // loads the CA store
//   uint64_t id = (*client)->Fetch(request, [](StatusOr<ClientResponse> r) {...});
//   (*client)->Cancel(id);   // the callback then gets CANCELLED
//
// Per request: the URL's host is checked (OutboundPolicy::CheckHost),
// resolved (an address literal is not), the addresses checked, one of them
// connected to, TLS negotiated for https:// (TLS 1.2+, SNI for host names,
// the chain verified against the system CA store plus ca_file, the name or
// address verified against the certificate), the request written with
// "Connection: close" (one request per connection, no pooling, no proxies)
// and the whole response read, into memory or, with
// ClientRequest::response_body_file, into that file. Redirects are followed up to max_redirects
// (see below), each hop checked like the first. The first hop of a
// ClientRequest::operator_configured_url skips the policy; TLS verification,
// timeouts and limits apply to it as to any request.
//
// Errors given to the callback (the message names host:port, never the
// path or query, which may carry credentials):
//   INVALID_ARGUMENT   bad URL, scheme, method or header field; a redirect
//                      without a usable Location
//   PERMISSION_DENIED  refused by the outbound policy (the reason)
//   DEADLINE_EXCEEDED  connect_timeout or timeout passed (the phase)
//   UNAVAILABLE        resolving, connecting, TLS (e.g. "certificate verify
//                      failed") or the connection failed
//   RESOURCE_EXHAUSTED the body exceeds max_response_bytes (the request's
//                      or the client's)
//   INTERNAL           ClientRequest::response_body_file cannot be created
//                      or written (the path and the reason)
//   CANCELLED          Cancel() or Stop()
// Any HTTP status, 4xx and 5xx included, is a successful response.
//
// Redirects (301, 302, 303, 307, 308 with a Location) when max_redirects >
// 0: 303, and 301/302 after a POST, become GET without a body; 307/308 keep
// the method and body. A redirect from https:// to http:// is not followed
// (the 3xx is the response). To another host, the request's private_headers
// (and Authorization, Proxy-Authorization, Cookie) are dropped, and a
// 307/308 that would carry the body of a request with private headers there
// is not followed.
//
// Thread-safety: every method may be called from any thread. Callbacks run
// on the pool's I/O threads and must not block.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "stepd/base/status_or.h"
#include "stepd/http/client.h"
#include "stepd/http/outbound_policy.h"

namespace stepd::http {

class IoPool;

struct AsyncClientOptions {
  // Threads of the client's own I/O pool, when it is not given one. Default
  // 1 (requests wait on the network, not on the CPU).
  int io_threads = 1;
  // Resolving, connecting and the TLS handshake of one hop must finish
  // within this. Default 10 s.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  // The whole exchange, redirects included, must finish within this (a
  // request's own ClientRequest::timeout replaces it). Default 60 s (AWS's
  // limit for an HTTP task).
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
  // Largest accepted response body (a request's own
  // ClientRequest::max_response_bytes replaces it). Default 256 KiB (AWS's
  // HTTP task reads no more).
  size_t max_response_bytes = 256 * 1024;
  // Redirects followed per request. Default 0: a 3xx is the response.
  int max_redirects = 0;
  // PEM file of CA certificates trusted in addition to the system store
  // (a private CA). Default empty: the system store only.
  std::string ca_file{};
  // Sent unless the request sets its own. Default "stepd".
  std::string user_agent = "stepd";
  // What requests may reach.
  OutboundPolicyOptions policy{};
};

using FetchDone = std::function<void(StatusOr<ClientResponse>)>;

class AsyncClient {
 public:
  // Runs on `pool` (which must outlive the client and be stopped after it),
  // or, without one, starts a pool of io_threads threads of its own.
  // INVALID_ARGUMENT for a bad policy entry, an unreadable or invalid
  // ca_file, or io_threads < 1; UNAVAILABLE when the system CA store cannot
  // be loaded.
  static StatusOr<std::unique_ptr<AsyncClient>> Create(const AsyncClientOptions& options,
                                                       IoPool* pool = nullptr);
  // Stop().
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  // Sends `request` (ClientRequest::private_headers apply) and calls `done`
  // exactly once with the response or an error above, on an I/O thread,
  // never inside Fetch. After Stop(), `done` gets UNAVAILABLE at once, on
  // the calling thread. Returns an id for Cancel.
  uint64_t Fetch(ClientRequest request, FetchDone done);
  // Aborts the request: its connection is closed and its callback gets
  // CANCELLED (unless it already ran). Unknown or finished ids are ignored.
  void Cancel(uint64_t id);
  // Cancels every request in flight and waits until their callbacks have
  // run (then joins its own pool's threads, if it has one). Idempotent.
  // Must not be called from a callback.
  void Stop();

  // Requests whose callback has not run yet.
  size_t in_flight() const;

 private:
  class Impl;
  AsyncClient(std::unique_ptr<IoPool> own_pool, std::shared_ptr<Impl> impl);
  std::unique_ptr<IoPool> own_pool_;  // destroyed last: its context holds the I/O objects
  std::shared_ptr<Impl> impl_;
};

}  // namespace stepd::http
