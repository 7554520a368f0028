#pragma once
// Support for the http tests: a server on 127.0.0.1 port 0 with a captured
// log, a raw socket client that can misbehave, a self-signed certificate.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "stepd/http/options.h"
#include "stepd/http/router.h"
#include "stepd/http/server.h"

namespace spdlog {
class logger;
}

namespace stepd::http::testing {

// Options for tests: ephemeral port, short grace, generous timeouts.
HttpOptions TestOptions();

// A started server; stops on destruction. Fails the test (ADD_FAILURE) when
// Start fails.
class TestServer {
 public:
  explicit TestServer(std::shared_ptr<Router> router, HttpOptions options = TestOptions());
  ~TestServer();
  Server& server() { return *server_; }
  uint16_t port() const { return server_->port(); }
  std::string Url(std::string_view path) const;
  // Everything logged so far.
  std::string Log() const;

 private:
  std::shared_ptr<std::ostringstream> log_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<Server> server_;
  bool tls_;
};

std::shared_ptr<spdlog::logger> MakeCapturingLogger(std::shared_ptr<std::ostringstream> out);

// A blocking TCP client for sending arbitrary bytes.
class RawClient {
 public:
  // Connects to 127.0.0.1:port; reads give up after `read_timeout`.
  explicit RawClient(uint16_t port,
                     std::chrono::milliseconds read_timeout = std::chrono::seconds(10));
  void Send(std::string_view bytes);
  // Reads one HTTP response ("" on error). Sets *status.
  std::string ReadResponse(int* status, std::string* raw_headers = nullptr);
  // Reads exactly up to `until` appearing in the stream (for "100 Continue").
  std::string ReadUntil(std::string_view until);
  // Reads until the server closes the connection; false if the read timed out
  // first (the server kept it open).
  bool WaitClosed();
  // Reads and drops until the server closes the connection: the bytes read,
  // or nullopt if a read timed out first.
  std::optional<size_t> DrainUntilClosed();
  void Close();

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// A temporary directory removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// `size` bytes of a fixed pseudo-random sequence, the same on every call:
// content whose corruption, loss or reordering a comparison catches.
std::string PatternBytes(size_t size);
// Position of the first byte where `a` and `b` differ (the shorter one's
// size when one is a prefix of the other); npos when equal. For large
// contents, where EXPECT_EQ would print megabytes.
size_t FirstDifference(std::string_view a, std::string_view b);
// The whole file ("" when unreadable) / replaces it with `content`.
std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, std::string_view content);

// Writes a self-signed certificate for 127.0.0.1/localhost (cert.pem, key.pem)
// into `dir` with the openssl command. False on failure.
bool MakeSelfSignedCertificate(const std::filesystem::path& dir);

}  // namespace stepd::http::testing
