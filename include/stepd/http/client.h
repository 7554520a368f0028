#pragma once
// A blocking HTTP/1.1 client for http:// and https:// URLs: one request per
// connection, no redirects followed, no proxies. Callable from any thread
// (each call has its own I/O context); never call it from a server handler (it
// blocks). For `stepd healthcheck`, the OIDC JWKS fetch, HTTP tasks.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "stepd/base/status_or.h"
#include "stepd/http/message.h"

namespace stepd::http {

struct ClientOptions {
  // Resolving and connecting (and the TLS handshake) must finish within this.
  // Default 10 s.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  // The whole exchange, connecting included, must finish within this.
  // Default 30 s.
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
  // Verify the TLS peer's certificate chain and host name. Default true.
  bool verify_peer = true;
  // PEM file of trusted CA certificates used instead of the system store.
  // Default empty: the system store.
  std::string ca_file{};
  // Largest accepted response body. Default 64 MiB.
  size_t max_response_bytes = 64 * 1024 * 1024;
  // Sent unless the request sets its own. Default "stepd".
  std::string user_agent = "stepd";
};

struct ClientRequest {
  std::string method = "GET";
  // "http://host[:port]/path?query" or "https://...".
  std::string url;
  // Host, Content-Length and User-Agent are added unless present.
  Headers headers{};
  std::string body{};
  // Names of `headers` that carry credentials: never sent to another host
  // after a redirect (only AsyncClient follows redirects).
  std::vector<std::string> private_headers{};
  // AsyncClient only: the whole exchange must finish within this instead of
  // AsyncClientOptions::timeout. Zero: the client's timeout.
  std::chrono::milliseconds timeout{0};
  // AsyncClient only: `url` was configured by the operator (a Lambda-style
  // function's endpoint), not chosen by a workflow, so its host skips the
  // outbound policy; a redirect's hops are still checked. Never set it for a
  // URL a definition or its input can choose.
  bool operator_configured_url = false;
  // AsyncClient only: write the response body to this file as it arrives
  // instead of into ClientResponse::body (which stays empty); memory stays
  // bounded by a small buffer whatever the body's size. The file is created
  // or truncated, mode 0600, before anything is sent. With redirects
  // followed, only the final response's body is left in it. On success it
  // exists (empty for a response without a body) and is the caller's; on
  // any error (timeout, cancel, limit, connection or disk failure) it is
  // removed. Empty: the body is kept in memory.
  std::string response_body_file{};
  // AsyncClient only: the largest accepted response body for this request,
  // in place of AsyncClientOptions::max_response_bytes; the same limit
  // applies to a body written to response_body_file. Zero: the client's.
  uint64_t max_response_bytes = 0;
};

struct ClientResponse {
  int status = 0;
  // The reason phrase as the server sent it ("Not Found"); may be empty.
  std::string reason;
  Headers headers;
  // The body, unless ClientRequest::response_body_file took it (then empty).
  std::string body;
  // Size of the body in bytes, in `body` or in the file.
  uint64_t body_size = 0;
};

// Sends `request` and reads the whole response. Any HTTP status is a success.
// Errors: InvalidArgument (bad URL or scheme), DeadlineExceeded (a timeout),
// Unavailable (resolve/connect/TLS/verification/network failure, with the
// reason), ResourceExhausted (response body over max_response_bytes).
StatusOr<ClientResponse> Fetch(const ClientRequest& request, const ClientOptions& options = {});

}  // namespace stepd::http
