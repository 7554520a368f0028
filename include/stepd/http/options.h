#pragma once
// HttpOptions: what the HTTP server needs to know, filled once by the server
// layer (flags > environment > config file > these defaults) and handed to
// http::Server by const&. Plain data; no validation happens here, Server::Start
// reports bad values (unparsable host, unreadable certificate) as a Status.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace stepd::http {

struct HttpOptions {
  // Address to listen on: an IPv4/IPv6 literal or "localhost". Default "127.0.0.1".
  std::string host = "127.0.0.1";
  // TCP port. Default 8080; 0 asks the OS for a free port (read it back with
  // Server::port()).
  uint16_t port = 8080;

  // Threads running the I/O loop (accept, read, write; never blocking work).
  // Default 2. `stepd serve` shares them with the outbound client and lends
  // its main thread to them (so 2 means one thread of its own besides main).
  int io_threads = 2;

  // Connections open at once. One beyond the limit is accepted, answered
  // "503 Service Unavailable" with "Retry-After: 1" and closed, so a client
  // sees why instead of hanging in the kernel backlog. Default 1024.
  size_t max_connections = 1024;

  // Request line plus all header fields, in bytes; beyond it the request gets
  // 431 and the connection is closed. Default 16 KiB.
  size_t header_limit_bytes = 16 * 1024;

  // Request body limit for routes that do not set their own; beyond it the
  // request gets 413 and the connection is closed. Default 1 MiB.
  size_t default_body_limit_bytes = 1024 * 1024;

  // The whole request (headers and body) must arrive within this time of its
  // first byte being awaited; a silent or slow client is dropped. A route's
  // RouteOptions::read_timeout replaces it once the header block is read.
  // Each write of an answer must finish within it too. Default 30 s.
  std::chrono::milliseconds read_timeout = std::chrono::seconds(30);

  // A keep-alive connection with no request in progress is closed after this
  // long. Default 60 s.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);

  // Server::Stop() waits at most this long for in-flight requests (including
  // deferred and streamed answers) before closing their connections. Default 10 s.
  std::chrono::milliseconds shutdown_grace = std::chrono::seconds(10);

  // Directory for request bodies of routes that stream uploads to a file
  // (RouteOptions::body_to_file). Default empty: the system temporary directory.
  std::string temp_dir{};

  // PEM certificate chain and private key. When both are set the listener
  // speaks HTTPS only (TLS 1.2 minimum); when both are empty, plain HTTP.
  // Setting only one is an error reported by Server::Start. Default empty.
  std::string tls_cert_file{};
  std::string tls_key_file{};
};

}  // namespace stepd::http
