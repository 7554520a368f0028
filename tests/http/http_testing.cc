#include "http_testing.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <random>
#include <vector>

namespace stepd::http::testing {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

namespace {
// A SyncReadStream over the socket's descriptor that honours SO_RCVTIMEO
// (Asio's own blocking reads retry forever on EAGAIN).
struct RecvStream {
  int fd;
  template <class Buffers>
  size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
    auto buffer = *net::buffer_sequence_begin(buffers);
    ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0) {
      ec = boost::system::error_code(errno, boost::system::system_category());
      if (errno == EAGAIN || errno == EWOULDBLOCK) ec = net::error::would_block;
      return 0;
    }
    if (n == 0) {
      ec = net::error::eof;
      return 0;
    }
    ec = {};
    return static_cast<size_t>(n);
  }
  template <class Buffers>
  size_t read_some(const Buffers& buffers) {
    boost::system::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
};

// The ostringstream is written by the logger under this mutex and read by Log().
std::mutex log_mu;

class LockedOstreamSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit LockedOstreamSink(std::shared_ptr<std::ostringstream> out) : out_(std::move(out)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::lock_guard lock(log_mu);
    out_->write(formatted.data(), static_cast<std::streamsize>(formatted.size()));
  }
  void flush_() override {}

 private:
  std::shared_ptr<std::ostringstream> out_;
};
}  // namespace

HttpOptions TestOptions() {
  HttpOptions options;
  options.port = 0;
  options.io_threads = 2;
  options.shutdown_grace = std::chrono::seconds(10);
  return options;
}

std::shared_ptr<spdlog::logger> MakeCapturingLogger(std::shared_ptr<std::ostringstream> out) {
  auto logger = std::make_shared<spdlog::logger>(
      "http-test", std::make_shared<LockedOstreamSink>(std::move(out)));
  logger->set_level(spdlog::level::debug);
  return logger;
}

TestServer::TestServer(std::shared_ptr<Router> router, HttpOptions options)
    : log_(std::make_shared<std::ostringstream>()),
      logger_(MakeCapturingLogger(log_)),
      tls_(!options.tls_cert_file.empty()) {
  server_ = std::make_unique<Server>(std::move(options), std::move(router), logger_);
  Status status = server_->Start();
  if (!status.ok()) ADD_FAILURE() << "server failed to start: " << status;
}

TestServer::~TestServer() { server_->Stop(); }

std::string TestServer::Url(std::string_view path) const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) +
         std::string(path);
}

std::string TestServer::Log() const {
  std::lock_guard lock(log_mu);
  return log_->str();
}

RawClient::RawClient(uint16_t port, std::chrono::milliseconds read_timeout) : socket_(ioc_) {
  socket_.connect({net::ip::make_address("127.0.0.1"), port});
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(read_timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(read_timeout.count() % 1000 * 1000);
  setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

void RawClient::Send(std::string_view bytes) {
  boost::system::error_code ec;
  net::write(socket_, net::buffer(bytes.data(), bytes.size()), ec);
}

std::string RawClient::ReadResponse(int* status, std::string* raw_headers) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(boost::none);  // tests read large streamed bodies too
  boost::system::error_code ec;
  RecvStream stream{socket_.native_handle()};
  bhttp::read(stream, buffer_, parser, ec);
  if (ec) {
    *status = 0;
    return "";
  }
  bhttp::response<bhttp::string_body> res = parser.release();
  *status = static_cast<int>(res.result_int());
  if (raw_headers) {
    std::ostringstream out;
    out << res.base();
    *raw_headers = out.str();
  }
  return res.body();
}

std::string RawClient::ReadUntil(std::string_view until) {
  boost::system::error_code ec;
  RecvStream stream{socket_.native_handle()};
  size_t n = 0;
  for (;;) {
    std::string_view have(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    if (size_t at = have.find(until); at != std::string_view::npos) {
      n = at + until.size();
      break;
    }
    size_t got = stream.read_some(buffer_.prepare(4096), ec);
    if (ec) return "";
    buffer_.commit(got);
  }
  std::string out(static_cast<const char*>(buffer_.data().data()), n);
  buffer_.consume(n);
  return out;
}

bool RawClient::WaitClosed() { return DrainUntilClosed().has_value(); }

std::optional<size_t> RawClient::DrainUntilClosed() {
  size_t total = buffer_.size();
  buffer_.clear();
  std::vector<char> scratch(64 * 1024);
  for (;;) {
    boost::system::error_code ec;
    RecvStream stream{socket_.native_handle()};
    total += stream.read_some(net::buffer(scratch), ec);
    if (ec == net::error::would_block) return std::nullopt;
    if (ec) return total;
  }
}

void RawClient::Close() {
  boost::system::error_code ec;
  socket_.close(ec);
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("stepd-http-test-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string PatternBytes(size_t size) {
  std::string out(size, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < size; ++i) {
    if (i % 8 == 0) {  // xorshift64
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    out[i] = static_cast<char>(x >> (8 * (i % 8)));
  }
  return out;
}

size_t FirstDifference(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return i;
  }
  return a.size() == b.size() ? std::string_view::npos : n;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

bool MakeSelfSignedCertificate(const std::filesystem::path& dir) {
  std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
      "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '" +
      (dir / "key.pem").string() + "' -out '" + (dir / "cert.pem").string() + "' >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

}  // namespace stepd::http::testing
