#pragma once
// TargetServer: a real HTTP(S) server on 127.0.0.1 port 0 for tests of the
// outbound client and of HTTP tasks (the http::Server of this project, its
// routes scripted). Delayed answers wait on a timer thread of the test
// server, so they hold no I/O thread; every request is recorded.
//
// Routes (any method):
//   /echo[...]               200, JSON {"method", "target", "headers":
//                            {lower-case name: [values]}, "body"}
//   /status/{code}           that status; ?body=TEXT&type=CONTENT-TYPE
//                            (default text/plain), ?header=VALUE as X-Extra
//   /delay/{ms}              200 {"delayed_ms": ms} after ms milliseconds
//   /hang                    never answered (until the server stops)
//   /flaky/{name}/{n}        503 "try again" for the first n requests of
//                            that name, then 200 {"attempt": k}
//   /redirect/{code}?to=URL  that status with Location: URL
//   /big/{bytes}             200 (or ?status=N) text/plain of that many 'x'
//   /bytes                   200 ?type=CONTENT-TYPE with the bytes FF FE 00
//   /text                    200 text/plain "plain words"
//   /pattern/{bytes}         200 application/octet-stream: PatternBytes(bytes)
//                            (http_testing.h) with Content-Length; ?chunked=1
//                            as a chunked stream of chunks of varied sizes
//   /partial/{bytes}         200 chunked: the first `bytes` of the pattern,
//                            then nothing more until the server stops
//   /truncated/{bytes}       200 chunked: the first `bytes` of the pattern,
//                            then the connection is closed mid-body
// and Lambda-style functions (tests of the Lambda task executor):
//   /fn/echo                 200 application/json {"event": the body parsed
//                            (or as a string when not JSON), "target",
//                            "headers": {lower-case name: value}};
//                            ?version=V answers X-Amz-Executed-Version: V,
//                            ?log=L answers X-Amz-Log-Result: L
//   /fn/error/{type}         a function error: 200, X-Amz-Function-Error:
//                            Unhandled (?handled=1: Handled), body
//                            {"errorType": type, "errorMessage": "failed on
//                            purpose", "trace": [...]}; type "-" leaves
//                            errorType out
//   /fn/flaky/{name}/{n}     a function error TransientError for the first
//                            n requests of that name, then {"attempt": k}
//   /fn/accept               202 with no body (an Event accepted)

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "stepd/http/message.h"

namespace stepd::http::testing {

struct SeenRequest {
  std::string method;
  std::string target;
  Headers headers;
  std::string body;
};

class TargetServer {
 public:
  // Plain HTTP, or HTTPS with the PEM files given.
  explicit TargetServer(std::string tls_cert_file = "", std::string tls_key_file = "");
  ~TargetServer();
  TargetServer(const TargetServer&) = delete;
  TargetServer& operator=(const TargetServer&) = delete;

  uint16_t port() const;
  // "http://127.0.0.1:PORT" + path (https:// when TLS).
  std::string Url(std::string_view path) const;
  // Every request received so far, in order.
  std::vector<SeenRequest> Seen() const;
  // Requests whose target starts with `prefix`.
  size_t Count(std::string_view prefix) const;
  // Waits (polling) until `n` requests whose target starts with `prefix`
  // arrived; false after `timeout`.
  bool WaitFor(std::string_view prefix, size_t n,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes a self-signed certificate (cert.pem, key.pem; a CA certificate, so
// it can serve as its own CA file) into `dir` for the subject alternative
// names `san` (e.g. "IP:127.0.0.1,DNS:localhost"), with the openssl command.
// False on failure.
bool MakeCertificate(const std::filesystem::path& dir, const std::string& san);

}  // namespace stepd::http::testing
