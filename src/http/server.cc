#include "stepd/http/server.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "request_head.h"
#include "stepd/base/log_context.h"
#include "stepd/base/metrics.h"
#include "stepd/http/io_pool.h"

namespace stepd::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using std::chrono::milliseconds;

namespace {

auto Tok(beast::error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

// A Response::body_file goes out in writes of at most this many bytes.
constexpr size_t kFileSlice = 64 * 1024;

bool StatusHasBody(int status) { return status >= 200 && status != 204 && status != 304; }

// Opens a Response::body_file for reading; its size in *size.
Status OpenBodyFile(const std::string& path, beast::file* file, uint64_t* size) {
  beast::error_code ec;
  file->open(path.c_str(), beast::file_mode::scan, ec);
  if (ec) return NotFoundError("cannot open " + path + ": " + ec.message());
  struct stat st {};
  if (::fstat(file->native_handle(), &st) != 0) {
    return NotFoundError("cannot stat " + path + ": " + std::generic_category().message(errno));
  }
  if (!S_ISREG(st.st_mode)) return NotFoundError(path + " is not a regular file");
  *size = static_cast<uint64_t>(st.st_size);
  return Status::OK();
}

// Values a handler set that could split the header block are dropped.
bool SafeField(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c <= 0x20 || c >= 0x7f || c == ':') return false;
  }
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool ManagedField(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
         EqualsIgnoreCase(name, "Connection") || EqualsIgnoreCase(name, "X-Request-Id");
}

// Errors that mean the peer went away or was too slow: close without answering.
bool IsDisconnect(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
         ec == net::error::eof || ec == net::error::operation_aborted ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::bad_descriptor || ec == net::error::not_connected ||
         ec == ssl::error::stream_truncated || ec.category() == net::error::get_ssl_category();
}

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // Both post to the connection's strand; callable from any thread.
  virtual void BeginShutdown() = 0;
  virtual void ForceClose() = 0;
};

// What a handler's Responder produced, queued for the connection's writer.
struct Outbound {
  enum class Kind { kResponse, kStreamStart, kStreamData, kStreamEnd, kAbandoned } kind;
  Response response;      // kResponse; kStreamStart uses status + headers
  std::string data;       // kStreamData
  bool complete = false;  // kStreamEnd
};

}  // namespace

struct internal::ServerCore : std::enable_shared_from_this<internal::ServerCore> {
  ServerCore(HttpOptions o, std::shared_ptr<const Router> r, std::shared_ptr<spdlog::logger> l,
             IoPool* shared_pool, metrics::Registry* metrics)
      : options(std::move(o)), router(std::move(r)), logger(std::move(l)), pool(shared_pool) {
    if (metrics != nullptr) {
      requests = &metrics->AddCounter("stepd_http_requests_total",
                                      "HTTP requests answered, by method, route template and status.",
                                      {"method", "route", "status"});
      durations = &metrics->AddHistogram(
          "stepd_http_request_duration_seconds",
          "Time from a request's first byte to the end of its answer, by method and route template.",
          {"method", "route"}, metrics::DurationBuckets());
    }
  }

  // Counts an answered request (no-op without a registry). `route` is the
  // route's template, so that the label's values are bounded.
  void Observe(const Request& request, std::string_view route, int status) {
    if (requests == nullptr) return;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - request.received_at)
            .count();
    // Methods outside the standard ones are counted together.
    static constexpr std::string_view kMethods[] = {"GET",  "HEAD",    "POST",  "PUT",
                                                    "PATCH", "DELETE", "OPTIONS"};
    std::string method = "other";
    for (std::string_view m : kMethods) {
      if (request.method == m) method = std::string(m);
    }
    requests->With({method, std::string(route), std::to_string(status)}).Increment();
    durations->With({method, std::string(route)}).Observe(seconds);
  }

  // Posts `fn` to `ex` unless the server has fully stopped (then drops it:
  // nothing runs the I/O context any more).
  template <class Fn>
  void Post(const net::any_io_executor& ex, Fn&& fn) {
    std::lock_guard lock(mu);
    if (!accepting_posts) return;
    net::post(ex, std::forward<Fn>(fn));
  }

  void OnConnectionClosed(uint64_t id, bool rejected) {
    std::lock_guard lock(mu);
    if (connections.erase(id) > 0) {
      if (rejected) --rejected_count;
      cv.notify_all();
    }
  }

  net::awaitable<void> AcceptLoop();

  const HttpOptions options;
  const std::shared_ptr<const Router> router;
  const std::shared_ptr<spdlog::logger> logger;
  // The pool the connections run on: shared, or own_pool (started by Start).
  // Declared before everything that holds I/O objects, so that it is
  // destroyed after them.
  std::unique_ptr<IoPool> own_pool;
  IoPool* pool;
  std::optional<ssl::context> tls;
  std::optional<tcp::acceptor> acceptor;  // used on the acceptor strand only
  metrics::Family<metrics::Counter>* requests = nullptr;
  metrics::Family<metrics::Histogram>* durations = nullptr;
  bool accept_loop_done = false;          // guarded by mu
  std::atomic<uint16_t> port{0};

  std::mutex lifecycle_mu;  // serialises Start and Stop
  bool started = false;     // guarded by lifecycle_mu
  bool stopped = false;     // guarded by lifecycle_mu

  std::mutex mu;  // guards the fields below
  std::condition_variable cv;
  std::unordered_map<uint64_t, std::weak_ptr<ConnectionBase>> connections;
  size_t rejected_count = 0;
  uint64_t next_id = 0;
  bool stopping = false;
  bool accepting_posts = true;
};

namespace {

template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  Connection(std::shared_ptr<internal::ServerCore> core, Stream stream, uint64_t id, bool rejected,
             std::string peer)
      : core_(std::move(core)),
        stream_(std::move(stream)),
        executor_(stream_.get_executor()),
        wake_(executor_),
        id_(id),
        rejected_(rejected),
        peer_(std::move(peer)) {}

  static net::awaitable<void> Run(std::shared_ptr<Connection> self) {
    try {
      co_await self->Serve();
    } catch (const std::exception& e) {
      self->core_->logger->error("http connection {} failed: {}", self->peer_, e.what());
    }
    self->Close();
  }

  void BeginShutdown() override {
    core_->Post(executor_, [self = this->shared_from_this()] {
      self->stopping_ = true;
      if (self->phase_ == Phase::kIdle) self->Close();
    });
  }

  void ForceClose() override {
    core_->Post(executor_, [self = this->shared_from_this()] { self->Close(); });
  }

  // From any thread: queues an answer of exchange `seq` for the writer.
  void Deliver(uint64_t seq, Outbound item) {
    core_->Post(executor_,
                [self = this->shared_from_this(), seq, item = std::move(item)]() mutable {
                  if (self->closed_ || seq != self->seq_) {
                    if (item.kind == Outbound::Kind::kStreamData) self->queued_ -= item.data.size();
                    return;
                  }
                  self->outbox_.push_back(std::move(item));
                  self->wake_.cancel();
                });
  }

  bool gone() const { return gone_.load(); }
  // Stream data handed to Deliver and not yet written (or dropped).
  void AddQueued(size_t bytes) { queued_ += bytes; }
  size_t queued() const { return queued_.load(); }
  const net::any_io_executor& stream_executor() const { return executor_; }

 private:
  enum class Phase { kIdle, kReading, kHandling };

  auto& Lowest() { return beast::get_lowest_layer(stream_); }

  void Close() {
    if (closed_) return;
    closed_ = true;
    gone_ = true;
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().socket().close(ec);
    wake_.cancel();
    core_->OnConnectionClosed(id_, rejected_);
  }

  net::awaitable<void> Serve();
  // Writes `response`: its body, its body_file, or for HEAD its header
  // block only. *status: the status sent (404 when the body file cannot be
  // opened); *bytes: the body bytes written. False when the connection
  // cannot be reused (the client is gone, or the file ended early).
  net::awaitable<bool> WriteResponse(Response response, bool keep_alive, bool head,
                                     const std::string& request_id, int* status, size_t* bytes);
  net::awaitable<void> CloseGracefully(bool linger);
  // The access log line and the request's metrics. `route`: the matched
  // route's template, "-" before routing, "unmatched" when none matched.
  void LogAccess(const Request& request, std::string_view route, int status, size_t bytes) const;

  std::shared_ptr<internal::ServerCore> core_;
  Stream stream_;
  net::any_io_executor executor_;
  net::steady_timer wake_;  // cancelled when outbox_ gains an item
  const uint64_t id_;
  const bool rejected_;
  const std::string peer_;
  std::atomic<bool> gone_{false};
  std::atomic<size_t> queued_{0};

  // Touched on the strand only.
  beast::flat_buffer buffer_;
  Phase phase_ = Phase::kIdle;
  bool stopping_ = false;
  bool closed_ = false;
  uint64_t seq_ = 0;            // the exchange whose answers are accepted
  unsigned http_version_ = 11;  // of the request being answered (10 or 11)
  std::deque<Outbound> outbox_;
};

// The ResponseSink of one exchange: forwards to the connection, and removes
// an uploaded body file once every Responder copy is gone.
template <class Stream>
class ExchangeSink final : public ResponseSink {
 public:
  ExchangeSink(std::shared_ptr<Connection<Stream>> connection, uint64_t seq)
      : connection_(std::move(connection)), seq_(seq) {}
  ~ExchangeSink() override {
    if (!body_file_.empty()) {
      std::error_code ec;
      std::filesystem::remove(body_file_, ec);
    }
  }
  void set_body_file(std::string path) { body_file_ = std::move(path); }

  void OnResponse(Response response) override {
    connection_->Deliver(seq_, {Outbound::Kind::kResponse, std::move(response), {}, false});
  }
  void OnStreamStart(int status, Headers headers) override {
    Response r;
    r.status = status;
    r.headers = std::move(headers);
    connection_->Deliver(seq_, {Outbound::Kind::kStreamStart, std::move(r), {}, false});
  }
  void OnStreamData(std::string data) override {
    connection_->AddQueued(data.size());
    connection_->Deliver(seq_, {Outbound::Kind::kStreamData, {}, std::move(data), false});
  }
  void OnStreamEnd(bool complete) override {
    connection_->Deliver(seq_, {Outbound::Kind::kStreamEnd, {}, {}, complete});
  }
  void OnAbandoned() override {
    connection_->Deliver(seq_, {Outbound::Kind::kAbandoned, {}, {}, false});
  }
  bool ClientGone() const override { return connection_->gone(); }
  size_t QueuedBytes() const override { return connection_->queued(); }

 private:
  std::shared_ptr<Connection<Stream>> connection_;
  const uint64_t seq_;
  std::string body_file_;
};

template <class Stream>
void Connection<Stream>::LogAccess(const Request& request, std::string_view route, int status,
                                   size_t bytes) const {
  core_->Observe(request, route, status);
  ScopedLogContext scope(LogContext::OfRequest(request.request_id));
  auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                     request.received_at)
                .count();
  core_->logger->info(
      "{} {} {} {}B {}ms id={} peer={}", request.method.empty() ? "-" : request.method,
      request.path.empty() ? "-" : request.path, status, bytes, ms, request.request_id, peer_);
}

template <class Stream>
net::awaitable<bool> Connection<Stream>::WriteResponse(Response response, bool keep_alive,
                                                       bool head, const std::string& request_id,
                                                       int* status, size_t* bytes) {
  *bytes = 0;
  beast::file file;
  uint64_t file_size = 0;
  bool from_file =
      !response.body_file.empty() && response.body.empty() && StatusHasBody(response.status);
  if (from_file) {
    if (Status s = OpenBodyFile(response.body_file, &file, &file_size); !s.ok()) {
      core_->logger->error("answering 404: the response body file is unavailable: {} (id={})",
                           s.message(), request_id);
      response = ErrorResponse(404, "the requested content is not available");
      from_file = false;
    }
  }
  *status = response.status;
  if (!StatusHasBody(response.status)) response.body.clear();

  bhttp::response<bhttp::empty_body> header;
  header.result(static_cast<unsigned>(response.status));
  header.version(http_version_);
  for (const auto& [name, value] : response.headers.fields()) {
    if (ManagedField(name)) continue;
    if (!SafeField(name, value)) {
      core_->logger->warn("dropping unsafe response header field '{}'", name);
      continue;
    }
    header.insert(name, value);
  }
  header.set("X-Request-Id", request_id);
  header.keep_alive(keep_alive);
  beast::error_code ec;
  if (!from_file && !head) {
    bhttp::response<bhttp::string_body> res(std::move(header.base()));
    *bytes = response.body.size();
    res.body() = std::move(response.body);
    res.prepare_payload();
    Lowest().expires_after(core_->options.read_timeout);
    co_await bhttp::async_write(stream_, res, Tok(ec));
    if (ec) gone_ = true;
    co_return !ec;
  }

  // The header block as GET would have it, then the file (not for HEAD).
  header.content_length(from_file ? file_size : response.body.size());
  bhttp::response_serializer<bhttp::empty_body> serializer(header);
  Lowest().expires_after(core_->options.read_timeout);
  co_await bhttp::async_write(stream_, serializer, Tok(ec));
  if (ec) {
    gone_ = true;
    co_return false;
  }
  if (head || !from_file) co_return true;
  std::vector<char> slice(static_cast<size_t>(std::min<uint64_t>(kFileSlice, file_size)));
  for (uint64_t left = file_size; left > 0;) {
    if (closed_) co_return false;
    const size_t want = static_cast<size_t>(std::min<uint64_t>(left, slice.size()));
    const size_t got = file.read(slice.data(), want, ec);
    if (ec || got == 0) {
      // Content-Length promised more: the client must see a truncated body.
      core_->logger->error("response body file {} ended after {} of {} bytes{}{} (id={})",
                           response.body_file, file_size - left, file_size, ec ? ": " : "",
                           ec ? ec.message() : "", request_id);
      co_return false;
    }
    Lowest().expires_after(core_->options.read_timeout);
    co_await net::async_write(stream_, net::buffer(slice.data(), got), Tok(ec));
    if (ec) {
      gone_ = true;
      co_return false;
    }
    *bytes += got;
    left -= got;
  }
  co_return true;
}

template <class Stream>
net::awaitable<void> Connection<Stream>::CloseGracefully(bool linger) {
  beast::error_code ec;
  if (closed_) co_return;
  const auto limit = std::min<milliseconds>(core_->options.read_timeout, std::chrono::seconds(5));
  if constexpr (kTls) {
    (void)linger;
    Lowest().expires_after(limit);
    co_await stream_.async_shutdown(Tok(ec));
  } else {
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (linger) {
      // Read and drop what the client still sends (e.g. an oversized body) so
      // that closing does not reset the connection before it read our answer.
      Lowest().expires_after(limit);
      char scratch[16 * 1024];
      while (!closed_) {
        co_await stream_.async_read_some(net::buffer(scratch), Tok(ec));
        if (ec) break;
      }
    }
  }
  Close();
}

template <class Stream>
net::awaitable<void> Connection<Stream>::Serve() {
  const HttpOptions& options = core_->options;
  beast::error_code ec;
  if constexpr (kTls) {
    Lowest().expires_after(options.read_timeout);
    co_await stream_.async_handshake(ssl::stream_base::server, Tok(ec));
    if (ec) co_return;
  }
  bool first = true;
  // When the read time of the request in progress started to run.
  std::chrono::steady_clock::time_point read_since;
  while (!closed_) {
    // Wait for the first byte of the next request.
    if (buffer_.size() == 0) {
      phase_ = Phase::kIdle;
      if (stopping_) co_return;
      read_since = std::chrono::steady_clock::now();
      Lowest().expires_after(first ? options.read_timeout : options.idle_timeout);
      size_t n = co_await stream_.async_read_some(buffer_.prepare(4096), Tok(ec));
      if (ec) co_return;
      buffer_.commit(n);
    }
    phase_ = Phase::kReading;
    Request request;
    request.received_at = std::chrono::steady_clock::now();
    request.remote_address = peer_;
    request.secure = kTls;
    if (!first) {
      read_since = request.received_at;
      Lowest().expires_after(options.read_timeout);
    }

    std::string_view route = "-";  // the route template, once the header block is read
    // Answers an error the server produces itself, then closes.
    auto fail_with = [&](Response response) -> net::awaitable<void> {
      if (request.request_id.empty()) request.request_id = NewRequestId();
      int status = response.status;
      if (status == 503 && !response.headers.Get("Retry-After")) {
        response.headers.Set("Retry-After", "1");
      }
      size_t bytes = 0;
      bool ok = co_await WriteResponse(std::move(response), false, request.method == "HEAD",
                                       request.request_id, &status, &bytes);
      LogAccess(request, route, status, bytes);
      if (ok) co_await CloseGracefully(status == 413 || status == 503 || rejected_);
      Close();
    };
    auto fail = [&](int status, std::string message) -> net::awaitable<void> {
      co_await fail_with(ErrorResponse(status, message));
    };

    bhttp::request_parser<bhttp::empty_body> header_parser;
    header_parser.header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(options.header_limit_bytes, std::numeric_limits<std::uint32_t>::max())));
    header_parser.body_limit(boost::none);  // checked below against the route's limit
    co_await bhttp::async_read_header(stream_, buffer_, header_parser, Tok(ec));
    if (ec == bhttp::error::header_limit) {
      co_await fail(431, "request header fields exceed " +
                             std::to_string(options.header_limit_bytes) + " bytes");
      co_return;
    }
    if (ec) {
      if (!IsDisconnect(ec)) co_await fail(400, "malformed request: " + ec.message());
      co_return;
    }
    const auto& head = header_parser.get();
    const unsigned http_version = head.version();
    http_version_ = http_version >= 11 ? 11 : 10;
    internal::TakeRequestHead(head, &request);
    if (Status s = ParseTarget(request.target, &request); !s.ok()) {
      co_await fail(400, "malformed request target");
      co_return;
    }
    const bool keep_alive = header_parser.keep_alive();

    Router::Match match = core_->router->Find(request);
    route = match.route ? std::string_view(match.route->path_template) : "unmatched";
    const RouteOptions* route_options = match.route ? &match.route->options : nullptr;
    if (rejected_) {
      if (route_options && route_options->overloaded) {
        co_await fail_with(route_options->overloaded(request));
      } else {
        co_await fail(503, "too many connections");
      }
      co_return;
    }
    size_t limit = options.default_body_limit_bytes;
    if (route_options && route_options->body_limit_bytes > 0) {
      limit = route_options->body_limit_bytes;
    }
    if (route_options && route_options->read_timeout.count() > 0) {
      Lowest().expires_at(read_since + route_options->read_timeout);
    }
    const std::string too_large = "request body exceeds " + std::to_string(limit) + " bytes";
    if (auto length = header_parser.content_length(); length && *length > limit) {
      co_await fail(413, too_large);
      co_return;
    }
    if (!header_parser.is_done()) {
      if (auto expect = request.headers.Get("Expect");
          expect && EqualsIgnoreCase(*expect, "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        co_await net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                                  Tok(ec));
        if (ec) co_return;
      }
    }

    std::string body_file;
    if (route_options && route_options->body_to_file && match.status == 200) {
      std::filesystem::path dir = options.temp_dir.empty()
                                      ? std::filesystem::temp_directory_path()
                                      : std::filesystem::path(options.temp_dir);
      body_file = (dir / ("stepd-upload-" + NewRequestId())).string();
      bhttp::request_parser<bhttp::file_body> body_parser(std::move(header_parser));
      body_parser.body_limit(limit);
      body_parser.get().body().open(body_file.c_str(), beast::file_mode::write_new, ec);
      if (ec) {
        core_->logger->error("cannot create upload file {}: {}", body_file, ec.message());
        co_await fail(500, "cannot store the request body");
        co_return;
      }
      co_await bhttp::async_read(stream_, buffer_, body_parser, Tok(ec));
      body_parser.get().body().close();
      if (ec) {
        std::error_code fs_ec;
        std::filesystem::remove(body_file, fs_ec);
        if (ec == bhttp::error::body_limit)
          co_await fail(413, too_large);
        else if (!IsDisconnect(ec))
          co_await fail(400, "malformed request body: " + ec.message());
        co_return;
      }
      std::error_code fs_ec;
      request.body_size = static_cast<size_t>(std::filesystem::file_size(body_file, fs_ec));
      request.body_file = body_file;
    } else {
      bhttp::request_parser<bhttp::string_body> body_parser(std::move(header_parser));
      body_parser.body_limit(limit);
      if (!body_parser.is_done())
        co_await bhttp::async_read(stream_, buffer_, body_parser, Tok(ec));
      if (ec) {
        if (ec == bhttp::error::body_limit)
          co_await fail(413, too_large);
        else if (!IsDisconnect(ec))
          co_await fail(400, "malformed request body: " + ec.message());
        co_return;
      }
      request.body = std::move(body_parser.get().body());
      request.body_size = request.body.size();
    }

    // Hand the request to its handler; answers arrive through Deliver().
    // Not once Stop() closed the connection (a read that had completed
    // before may still resume here): Stop promises no handler runs after it.
    if (closed_) {
      std::error_code fs_ec;
      if (!body_file.empty()) std::filesystem::remove(body_file, fs_ec);
      co_return;
    }
    phase_ = Phase::kHandling;
    Lowest().expires_never();
    ++seq_;
    outbox_.clear();
    {
      auto sink = std::make_shared<ExchangeSink<Stream>>(this->shared_from_this(), seq_);
      if (!body_file.empty()) sink->set_body_file(body_file);
      Responder responder(std::move(sink));
      if (match.status == 404) {
        responder.Send(ErrorResponse(404, "no route for " + request.path));
      } else if (match.status == 405) {
        Response response = ErrorResponse(405, "method " + request.method + " not allowed");
        response.headers.Set("Allow", match.allow);
        responder.Send(std::move(response));
      } else {
        request.path_params = std::move(match.path_params);
        try {
          ScopedLogContext scope(LogContext::OfRequest(request.request_id));
          match.route->handler(request, responder);
        } catch (const std::exception& e) {
          core_->logger->error("handler for {} {} threw: {} (id={})", request.method,
                               match.route->path_template, e.what(), request.request_id);
          responder.Send(ErrorResponse(500, "internal error"));
        } catch (...) {
          core_->logger->error("handler for {} {} threw (id={})", request.method,
                               match.route->path_template, request.request_id);
          responder.Send(ErrorResponse(500, "internal error"));
        }
      }
    }

    // Write what the handler produced, as it arrives.
    bool stay_open = keep_alive;
    bool streaming = false, chunked = false, done = false;
    int status = 0;
    size_t bytes = 0;
    std::optional<bhttp::response<bhttp::empty_body>> stream_head;
    while (!done) {
      while (outbox_.empty() && !closed_) {
        wake_.expires_at(net::steady_timer::time_point::max());
        co_await wake_.async_wait(Tok(ec));
      }
      if (closed_) break;
      Outbound item = std::move(outbox_.front());
      outbox_.pop_front();
      switch (item.kind) {
        case Outbound::Kind::kAbandoned:
          if (streaming) continue;  // a finished stream's owner went away
          core_->logger->error("handler for {} {} dropped its Responder without answering (id={})",
                               request.method, request.path, request.request_id);
          item.response = ErrorResponse(500, "internal error: the request was not answered");
          [[fallthrough]];
        case Outbound::Kind::kResponse: {
          stay_open = stay_open && !stopping_;
          bool ok =
              co_await WriteResponse(std::move(item.response), stay_open, request.method == "HEAD",
                                     request.request_id, &status, &bytes);
          if (!ok) stay_open = false;
          done = true;
          break;
        }
        case Outbound::Kind::kStreamStart: {
          stay_open = stay_open && !stopping_;
          streaming = true;
          status = item.response.status;
          chunked = http_version >= 11;
          stream_head.emplace();
          auto& res = *stream_head;
          res.result(static_cast<unsigned>(status));
          res.version(http_version >= 11 ? 11 : 10);
          for (const auto& [name, value] : item.response.headers.fields()) {
            if (!ManagedField(name) && SafeField(name, value)) res.insert(name, value);
          }
          res.set("X-Request-Id", request.request_id);
          if (chunked) {
            res.chunked(true);
            res.keep_alive(stay_open);
          } else {
            stay_open = false;
            res.keep_alive(false);
          }
          bhttp::response_serializer<bhttp::empty_body> serializer(res);
          Lowest().expires_after(options.read_timeout);
          co_await bhttp::async_write_header(stream_, serializer, Tok(ec));
          if (ec) {
            gone_ = true;
            Close();
          }
          break;
        }
        case Outbound::Kind::kStreamData:
          Lowest().expires_after(options.read_timeout);
          bytes += item.data.size();
          if (chunked) {
            co_await net::async_write(stream_, bhttp::make_chunk(net::buffer(item.data)), Tok(ec));
          } else {
            co_await net::async_write(stream_, net::buffer(item.data), Tok(ec));
          }
          queued_ -= item.data.size();
          if (ec) {
            gone_ = true;
            Close();
          }
          break;
        case Outbound::Kind::kStreamEnd:
          if (!item.complete) {
            core_->logger->warn("streamed answer to {} {} abandoned before its end (id={})",
                                request.method, request.path, request.request_id);
            Close();
            break;
          }
          if (chunked) {
            Lowest().expires_after(options.read_timeout);
            co_await net::async_write(stream_, bhttp::make_chunk_last(), Tok(ec));
            if (ec) {
              gone_ = true;
              Close();
            }
          }
          done = true;
          break;
      }
    }
    LogAccess(request, route, closed_ && status == 0 ? 499 : status, bytes);
    if (closed_) co_return;
    if (!stay_open || stopping_) {
      co_await CloseGracefully(false);
      co_return;
    }
    first = false;
  }
}

}  // namespace

net::awaitable<void> internal::ServerCore::AcceptLoop() {
  auto self = shared_from_this();
  beast::error_code ec;
  net::steady_timer backoff(acceptor->get_executor());
  for (;;) {
    tcp::socket socket(net::make_strand(pool->context()));
    co_await acceptor->async_accept(socket, Tok(ec));
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor->is_open()) co_return;
      logger->warn("accept failed: {}", ec.message());
      backoff.expires_after(milliseconds(50));  // e.g. out of file descriptors
      co_await backoff.async_wait(Tok(ec));
      continue;
    }
    std::string peer;
    if (auto ep = socket.remote_endpoint(ec); !ec) {
      peer = ep.address().to_string() + ":" + std::to_string(ep.port());
    }
    // Registered in the same critical section that checks `stopping`, so
    // that Stop() either sees this connection (and shuts it down) or this
    // loop sees Stop(): a connection accepted while Stop() ran never waits
    // out the whole grace period.
    bool rejected;
    if (tls) {
      using S = beast::ssl_stream<beast::tcp_stream>;
      std::shared_ptr<Connection<S>> c;
      {
        std::lock_guard lock(mu);
        if (stopping) continue;  // socket closes on scope exit
        rejected = connections.size() - rejected_count >= options.max_connections;
        if (rejected && rejected_count >= options.max_connections) continue;  // just close
        const uint64_t id = ++next_id;
        c = std::make_shared<Connection<S>>(self, S(std::move(socket), *tls), id, rejected, peer);
        connections.emplace(id, c);
        if (rejected) ++rejected_count;
      }
      net::co_spawn(c->stream_executor(), Connection<S>::Run(c), [](std::exception_ptr) {});
    } else {
      using S = beast::tcp_stream;
      std::shared_ptr<Connection<S>> c;
      {
        std::lock_guard lock(mu);
        if (stopping) continue;
        rejected = connections.size() - rejected_count >= options.max_connections;
        if (rejected && rejected_count >= options.max_connections) continue;
        const uint64_t id = ++next_id;
        c = std::make_shared<Connection<S>>(self, S(std::move(socket)), id, rejected, peer);
        connections.emplace(id, c);
        if (rejected) ++rejected_count;
      }
      net::co_spawn(c->stream_executor(), Connection<S>::Run(c), [](std::exception_ptr) {});
    }
    if (rejected)
      logger->warn("connection limit ({}) reached: answering 503 to {}", options.max_connections,
                   peer);
  }
}

Server::Server(HttpOptions options, std::shared_ptr<const Router> router,
               std::shared_ptr<spdlog::logger> logger, IoPool* pool, metrics::Registry* metrics)
    : core_(std::make_shared<internal::ServerCore>(std::move(options), std::move(router),
                                                   std::move(logger), pool, metrics)) {}

Server::~Server() { Stop(); }

uint16_t Server::port() const { return core_->port.load(); }

Status Server::Start() {
  internal::ServerCore& core = *core_;
  std::lock_guard lifecycle(core.lifecycle_mu);
  if (core.started) return FailedPreconditionError("http server already started");
  const HttpOptions& options = core.options;
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return InvalidArgumentError("TLS needs both a certificate file and a key file");
  }
  if (options.io_threads < 1) return InvalidArgumentError("io_threads must be at least 1");
  beast::error_code ec;
  if (!options.tls_cert_file.empty()) {
    core.tls.emplace(ssl::context::tls_server);
    ssl::context& ctx = *core.tls;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                    ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    ctx.use_certificate_chain_file(options.tls_cert_file, ec);
    if (ec) {
      return InvalidArgumentError("cannot load TLS certificate '" + options.tls_cert_file +
                                  "': " + ec.message());
    }
    ctx.use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      return InvalidArgumentError("cannot load TLS key '" + options.tls_key_file +
                                  "': " + ec.message());
    }
  }
  std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto address = net::ip::make_address(host, ec);
  if (ec) return InvalidArgumentError("invalid listen host '" + options.host + "'");
  tcp::endpoint endpoint(address, options.port);
  if (!core.pool) {
    core.own_pool = std::make_unique<IoPool>(options.io_threads);
    core.pool = core.own_pool.get();
  }
  core.acceptor.emplace(net::make_strand(core.pool->context()));
  tcp::acceptor& acceptor = *core.acceptor;
  std::string where = options.host + ":" + std::to_string(options.port);
  if (acceptor.open(endpoint.protocol(), ec); ec) {
    return UnavailableError("cannot open socket for " + where + ": " + ec.message());
  }
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (acceptor.bind(endpoint, ec); ec) {
    return UnavailableError("cannot bind " + where + ": " + ec.message());
  }
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec) {
    return UnavailableError("cannot listen on " + where + ": " + ec.message());
  }
  core.port = acceptor.local_endpoint().port();
  core.started = true;
  net::co_spawn(acceptor.get_executor(), core.AcceptLoop(), [c = core_](std::exception_ptr) {
    std::lock_guard lock(c->mu);
    c->accept_loop_done = true;
    c->cv.notify_all();
  });
  core.logger->info("listening on {}://{}:{}", core.tls ? "https" : "http", options.host,
                    core.port.load());
  return Status::OK();
}

void Server::Stop() {
  internal::ServerCore& core = *core_;
  std::lock_guard lifecycle(core.lifecycle_mu);
  if (!core.started || core.stopped) return;
  core.stopped = true;
  net::post(core.acceptor->get_executor(), [c = core_] {
    beast::error_code ec;
    c->acceptor->close(ec);
  });
  auto snapshot = [&core] {
    std::vector<std::shared_ptr<ConnectionBase>> live;
    for (auto& [id, weak] : core.connections) {
      if (auto c = weak.lock()) live.push_back(std::move(c));
    }
    return live;
  };
  std::vector<std::shared_ptr<ConnectionBase>> live;
  {
    std::lock_guard lock(core.mu);
    core.stopping = true;
    live = snapshot();
  }
  for (auto& c : live) c->BeginShutdown();
  live.clear();
  {
    std::unique_lock lock(core.mu);
    if (!core.cv.wait_for(lock, core.options.shutdown_grace,
                          [&core] { return core.connections.empty(); })) {
      core.logger->warn("{} connection(s) still busy after the shutdown grace; closing them",
                        core.connections.size());
    }
    live = snapshot();
  }
  for (auto& c : live) c->ForceClose();
  live.clear();
  {
    // Close() runs on each connection's strand and is quick; after it no
    // handler of that connection is called.
    std::unique_lock lock(core.mu);
    if (!core.cv.wait_for(lock, std::chrono::seconds(10), [&core] {
          return core.connections.empty() && core.accept_loop_done;
        })) {
      core.logger->error("{} connection(s) did not close within 10 s of being closed",
                         core.connections.size());
    }
    core.accepting_posts = false;
  }
  if (core.own_pool) {
    core.own_pool->Stop();
    // Run what was queued when the threads left, so nothing stays queued
    // (queued handlers would keep their connections, and so this core, alive).
    core.own_pool->context().restart();
    core.own_pool->context().poll();
  }
  core.logger->info("http server stopped");
}

}  // namespace stepd::http
