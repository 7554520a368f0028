#pragma once
// Server: the Beast/Asio HTTP/1.1 (optionally HTTPS) listener that feeds a
// Router. Keep-alive, header/body limits, read and idle timeouts, a connection
// limit, an access log line per request, graceful Stop().
//
//   auto router = std::make_shared<http::Router>();
//   router->Add("GET", "/healthz", HealthHandler);
//   http::Server server(options, router, logger);
//   STEPD_RETURN_IF_ERROR(server.Start());
//   ... server.port() ...
//   server.Stop();  // then close the database and exit 0
//
// Wire behaviour:
// - Errors the server answers itself (body {"message": "..."}): 400 malformed
//   request or target, 413 body over the route's limit, 431 header block over
//   header_limit_bytes, 404/405 from the Router, 404 when a Response's
//   body_file cannot be opened, 500 when a handler dropped its Responder, 503
//   + "Retry-After: 1" beyond max_connections (the excess connection is
//   accepted, its first request read, answered 503 and closed).
// - After 400/413/431/503 the connection is closed.
// - The request must arrive within read_timeout, or within the route's
//   RouteOptions::read_timeout once the header block has chosen the route
//   (e.g. longer for large uploads); otherwise the client is dropped.
// - Each write to the client must finish within read_timeout, or the client is
//   dropped (a reader that stalls cannot pin a connection forever). A
//   Response::body_file goes out in slices of 64 KiB, each such a write.
// - An answer to HEAD carries its header block only (Content-Length as the
//   body or body_file would have had).
// - Stop() treats a file being sent like a stream: it may finish within
//   shutdown_grace, then its connection is closed.
// - While a handler holds its answer back, the connection is not read: a client
//   that leaves is noticed (Responder::client_gone()) when the answer is
//   written, or when Stop() closes the connection.
// - "Expect: 100-continue" is honoured (100 sent before the body is read).
// - Access log (info): `<method> <path> <status> <bytes>B <ms>ms id=<id>
//   peer=<addr>`, <bytes> counting the body bytes written; never the query
//   string, headers, or bodies. Logged, like everything a handler logs on
//   the I/O thread, in the request's LogContext (its request id).
// - Metrics (with a registry): stepd_http_requests_total{method,route,status}
//   and stepd_http_request_duration_seconds{method,route}, where route is
//   the matched route's template ("/v1/executions/{id}"), "unmatched" when
//   the router has no route for the path and method (404, 405), "-" for a request refused before routing; so label
//   values stay bounded whatever paths clients send.
//
// Thread-safety: Start, Stop and port may be called from any one thread.

#include <cstdint>
#include <memory>

#include "stepd/base/status.h"
#include "stepd/http/options.h"
#include "stepd/http/router.h"

namespace spdlog {
class logger;
}

namespace stepd::metrics {
class Registry;
}

namespace stepd::http {

class IoPool;

namespace internal {
struct ServerCore;
}  // namespace internal

class Server {
 public:
  // `router` must not change after Start(). `logger` receives the access log
  // and connection errors; must not be null. With `pool` (which must
  // outlive the Server and be stopped after it), connections run on its
  // threads and HttpOptions::io_threads is not used; without, the Server
  // starts io_threads threads of its own. With `metrics` (which must
  // outlive the Server), requests are counted and timed there.
  Server(HttpOptions options, std::shared_ptr<const Router> router,
         std::shared_ptr<spdlog::logger> logger, IoPool* pool = nullptr,
         metrics::Registry* metrics = nullptr);
  // Calls Stop().
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the I/O threads. InvalidArgument for a bad host
  // or a half-configured TLS pair, Unavailable when the address cannot be
  // bound, FailedPrecondition when already started. Call once.
  Status Start();

  // The bound port (the real one when HttpOptions::port was 0); 0 before Start.
  uint16_t port() const;

  // Stops accepting, closes idle keep-alive connections, lets requests in
  // flight (including deferred and streamed answers) finish for up to
  // shutdown_grace, then closes whatever is left and waits until every
  // connection is closed (and joins its own I/O threads). No handler is
  // called after Stop returns. Blocks until done. Idempotent. Responders still held elsewhere afterwards
  // answer into the void. Must not be called from an I/O thread (a handler).
  void Stop();

 private:
  std::shared_ptr<internal::ServerCore> core_;
};

}  // namespace stepd::http
