#include "stepd/http/async_client.h"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "stepd/http/io_pool.h"
#include "url_target.h"

namespace stepd::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr size_t kHeaderLimit = 64 * 1024;
// A body bound for ClientRequest::response_body_file passes through a buffer
// of this size.
constexpr size_t kBodySlice = 64 * 1024;

auto Tok(beast::error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

std::string Where(const internal::UrlTarget& t) {
  const bool v6 = t.host.find(':') != std::string::npos;
  return (v6 ? "[" + t.host + "]" : t.host) + ":" + std::to_string(t.port);
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

// Shared by the exchanges, which keep it alive while any of their handlers
// can still run.
class AsyncClient::Impl : public std::enable_shared_from_this<AsyncClient::Impl> {
 public:
  Impl(const AsyncClientOptions& options, OutboundPolicy policy, ssl::context tls,
       net::io_context& ioc)
      : options_(options), policy_(std::move(policy)), tls_(std::move(tls)), ioc_(ioc) {}
  ~Impl() { Stop(); }

  uint64_t Fetch(ClientRequest request, FetchDone done);
  void Cancel(uint64_t id);
  void Stop();
  size_t in_flight() const {
    std::lock_guard lock(mu_);
    return live_.size();
  }

  class Exchange;

  const AsyncClientOptions options_;
  const OutboundPolicy policy_;
  ssl::context tls_;
  net::io_context& ioc_;

 private:
  std::atomic<uint64_t> next_id_{1};

  mutable std::mutex mu_;
  std::condition_variable idle_;  // live_ emptied and no callback running
  std::unordered_map<uint64_t, std::shared_ptr<Exchange>> live_;  // guarded by mu_
  int callbacks_running_ = 0;                                     // guarded by mu_
  bool stopping_ = false;                                         // guarded by mu_
};

// One request, its redirects included. Every member is touched only on
// strand_ (Run, Abort and the watchdog's handler).
class AsyncClient::Impl::Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  using Strand = net::strand<net::io_context::executor_type>;

  Exchange(std::shared_ptr<Impl> client, uint64_t id, ClientRequest request)
      : client_(std::move(client)),
        options_(client_->options_),
        id_(id),
        request_(std::move(request)),
        strand_(net::make_strand(client_->ioc_)),
        resolver_(strand_),
        watchdog_(strand_) {}

  uint64_t id() const { return id_; }
  const Strand& strand() const { return strand_; }

  net::awaitable<void> Run() {
    co_await net::post(strand_, net::use_awaitable);  // never inside Fetch
    status_ = co_await RunHops();
    // A cancel or a timeout explains a failure better than "operation aborted".
    if (aborted_) status_ = *aborted_;
    ++generation_;
    watchdog_.cancel();
    Close();
    if (const int error = FinishBodyFile(status_.ok()); error != 0 && status_.ok()) {
      status_ = FileError("closing", error);
    }
  }

  // Stops the exchange where it is: the pending operation fails and Run
  // returns `why`.
  void Abort(Status why) {
    if (aborted_) return;
    aborted_ = std::move(why);
    resolver_.cancel();
    Close();
  }

  StatusOr<ClientResponse> Result(std::exception_ptr failure) && {
    if (failure) {
      FinishBodyFile(false);
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        return InternalError(std::string("http client: ") + e.what());
      } catch (...) {
        return InternalError("http client: unknown exception");
      }
    }
    if (!status_.ok()) return std::move(status_);
    return std::move(response_);
  }

 private:
  net::awaitable<Status> RunHops() {
    deadline_ =
        SteadyClock::now() + (request_.timeout.count() > 0 ? request_.timeout : options_.timeout);
    if (!request_.response_body_file.empty()) {
      if (Status s = OpenBodyFile(); !s.ok()) co_return s;
    }
    for (int hop = 0;; ++hop) {
      if (aborted_) co_return *aborted_;
      StatusOr<internal::UrlTarget> target = internal::ParseUrlTarget(request_.url);
      if (!target.ok()) co_return target.status();
      if (Status s = internal::CheckRequestFields(request_); !s.ok()) co_return s;
      const bool checked = hop > 0 || !request_.operator_configured_url;
      if (Status s = co_await Connect(*target, checked); !s.ok()) co_return s;
      if (Status s = co_await SendAndRead(*target); !s.ok()) co_return s;
      Close();
      if (hop >= options_.max_redirects || !IsRedirect(response_.status)) co_return Status::OK();
      StatusOr<bool> follow = PrepareRedirect(*target);
      if (!follow.ok()) co_return follow.status();
      if (!*follow) co_return Status::OK();
    }
  }

  // `checked`: the outbound policy applies to this hop.
  net::awaitable<Status> Connect(const internal::UrlTarget& target, bool checked) {
    const std::string where = Where(target);
    if (checked) {
      if (Status s = client_->policy_.CheckHost(target.host); !s.ok()) co_return s;
    }
    Arm(std::min(deadline_, SteadyClock::now() + options_.connect_timeout),
        "connecting to " + where);
    beast::error_code ec;
    std::vector<tcp::endpoint> endpoints;
    const net::ip::address literal = net::ip::make_address(target.host, ec);
    const bool is_literal = !ec;
    if (is_literal) {
      endpoints.emplace_back(literal, target.port);
    } else {
      phase_ = "resolving " + target.host;
      auto results =
          co_await resolver_.async_resolve(target.host, std::to_string(target.port), Tok(ec));
      if (aborted_) co_return *aborted_;
      if (ec) co_return UnavailableError("cannot resolve " + target.host + ": " + ec.message());
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
      phase_ = "connecting to " + where;
    }
    std::vector<net::ip::address> addresses;
    for (const tcp::endpoint& e : endpoints) addresses.push_back(e.address());
    if (checked) {
      if (Status s = client_->policy_.CheckAddresses(target.host, addresses, target.tls); !s.ok()) {
        co_return s;
      }
    }

    plain_.reset();
    tls_.reset();
    if (target.tls) {
      tls_.emplace(beast::tcp_stream(strand_), client_->tls_);
    } else {
      plain_.emplace(strand_);
    }
    beast::tcp_stream& lowest = target.tls ? beast::get_lowest_layer(*tls_) : *plain_;
    co_await lowest.async_connect(endpoints, Tok(ec));
    if (aborted_) co_return *aborted_;
    if (ec) co_return UnavailableError("cannot connect to " + where + ": " + ec.message());
    if (!target.tls) co_return Status::OK();

    phase_ = "TLS handshake with " + where;
    // OpenSSL checks the name (or address) itself, so that a mismatch is
    // reported as such by SSL_get_verify_result.
    SSL* ssl_handle = tls_->native_handle();
    X509_VERIFY_PARAM* verify_param = SSL_get0_param(ssl_handle);
    if (is_literal) {
      X509_VERIFY_PARAM_set1_ip_asc(verify_param, target.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_handle, target.host.c_str());
      X509_VERIFY_PARAM_set_hostflags(verify_param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl_handle, target.host.c_str());
    }
    co_await tls_->async_handshake(ssl::stream_base::client, Tok(ec));
    if (aborted_) co_return *aborted_;
    if (ec) {
      // "certificate verify failed (SSL routines)" says less than OpenSSL's
      // verification result: "certificate verify failed (IP address mismatch)".
      std::string reason = ec.message();
      const long verify = SSL_get_verify_result(ssl_handle);
      if (verify != X509_V_OK) {
        reason = std::string("certificate verify failed (") +
                 X509_verify_cert_error_string(verify) + ")";
      }
      co_return UnavailableError("TLS handshake with " + where + " failed: " + reason);
    }
    co_return Status::OK();
  }

  net::awaitable<Status> SendAndRead(const internal::UrlTarget& target) {
    const std::string where = Where(target);
    Arm(deadline_, "response from " + where);
    bhttp::request<bhttp::string_body> req;
    req.method_string(request_.method);
    req.target(target.path);
    req.version(11);
    for (const auto& [name, value] : request_.headers.fields()) req.insert(name, value);
    if (!request_.headers.Has("Host")) req.set(bhttp::field::host, target.host_header);
    if (!request_.headers.Has("User-Agent")) {
      req.set(bhttp::field::user_agent, options_.user_agent);
    }
    req.body() = request_.body;
    req.keep_alive(false);
    if (!request_.body.empty() || request_.method == "POST" || request_.method == "PUT" ||
        request_.method == "PATCH") {
      req.prepare_payload();
    }

    beast::error_code ec;
    if (tls_) {
      co_await bhttp::async_write(*tls_, req, Tok(ec));
    } else {
      co_await bhttp::async_write(*plain_, req, Tok(ec));
    }
    if (aborted_) co_return *aborted_;
    if (ec) {
      co_return UnavailableError("sending the request to " + where + " failed: " + ec.message());
    }

    const uint64_t limit =
        request_.max_response_bytes > 0 ? request_.max_response_bytes : options_.max_response_bytes;
    if (tls_) co_return co_await ReadResponse(*tls_, where, limit);
    co_return co_await ReadResponse(*plain_, where, limit);
  }

  // Reads one response into response_: its body into memory, or into the
  // body file when there is one.
  template <class AsyncStream>
  net::awaitable<Status> ReadResponse(AsyncStream& stream, const std::string& where,
                                      uint64_t limit) {
    response_ = ClientResponse();
    beast::flat_buffer buffer;
    beast::error_code ec;
    if (body_fd_ < 0) {
      bhttp::response_parser<bhttp::string_body> parser;
      parser.header_limit(kHeaderLimit);
      parser.body_limit(limit);
      if (request_.method == "HEAD") parser.skip(true);
      co_await bhttp::async_read(stream, buffer, parser, Tok(ec));
      if (Status s = ReadStatus(ec, where, limit); !s.ok()) co_return s;
      TakeHeader(parser.get());
      response_.body = std::move(parser.get().body());
      response_.body_size = response_.body.size();
      co_return Status::OK();
    }

    // A redirect's body may be in the file already: only the last one stays.
    if (Status s = TruncateBodyFile(); !s.ok()) co_return s;
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(limit);
    if (request_.method == "HEAD") parser.skip(true);
    co_await bhttp::async_read_header(stream, buffer, parser, Tok(ec));
    if (Status s = ReadStatus(ec, where, limit); !s.ok()) co_return s;
    std::vector<char> slice(kBodySlice);
    while (!parser.is_done()) {
      bhttp::buffer_body::value_type& body = parser.get().body();
      body.data = slice.data();
      body.size = slice.size();
      // Returns need_buffer once the slice is full.
      co_await bhttp::async_read(stream, buffer, parser, Tok(ec));
      if (ec == bhttp::error::need_buffer) ec = {};
      if (const size_t n = slice.size() - body.size; n > 0) {
        if (Status s = WriteBodyFile(slice.data(), n); !s.ok()) co_return s;
        response_.body_size += n;
      }
      if (Status s = ReadStatus(ec, where, limit); !s.ok()) co_return s;
    }
    TakeHeader(parser.get());
    co_return Status::OK();
  }

  // The outcome of reading (part of) a response.
  Status ReadStatus(const beast::error_code& ec, const std::string& where, uint64_t limit) const {
    if (aborted_) return *aborted_;
    if (ec == bhttp::error::body_limit) {
      return ResourceExhaustedError("the response from " + where + " exceeds " +
                                    std::to_string(limit) + " bytes");
    }
    if (ec == bhttp::error::header_limit) {
      return UnavailableError("the response from " + where + " has headers over " +
                              std::to_string(kHeaderLimit) + " bytes");
    }
    if (ec) {
      return UnavailableError("reading the response from " + where + " failed: " + ec.message());
    }
    return Status::OK();
  }

  void TakeHeader(const bhttp::response_header<>& header) {
    response_.status = static_cast<int>(header.result_int());
    response_.reason = std::string(header.reason());
    for (const auto& field : header) {
      response_.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
  }

  Status FileError(std::string_view what, int error) const {
    return InternalError(std::string(what) + " " + request_.response_body_file + ": " +
                         std::generic_category().message(error));
  }

  Status OpenBodyFile() {
    const char* path = request_.response_body_file.c_str();
    body_fd_ = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (body_fd_ < 0) return FileError("cannot create", errno);
    body_file_opened_ = true;
    // An existing file keeps its mode through O_CREAT.
    if (::fchmod(body_fd_, 0600) != 0) return FileError("cannot restrict the mode of", errno);
    return Status::OK();
  }

  Status TruncateBodyFile() {
    if (::ftruncate(body_fd_, 0) != 0 || ::lseek(body_fd_, 0, SEEK_SET) != 0) {
      return FileError("cannot truncate", errno);
    }
    return Status::OK();
  }

  Status WriteBodyFile(const char* data, size_t size) {
    while (size > 0) {
      const ssize_t written = ::write(body_fd_, data, size);
      if (written < 0) {
        if (errno == EINTR) continue;
        return FileError("writing", errno);
      }
      data += written;
      size -= static_cast<size_t>(written);
    }
    return Status::OK();
  }

  // Closes the body file, and removes it unless `keep` (the exchange
  // succeeded) and closing worked. The errno of a failed close, or 0.
  int FinishBodyFile(bool keep) {
    int close_error = 0;
    if (body_fd_ >= 0) {
      if (::close(body_fd_) != 0) close_error = errno;
      body_fd_ = -1;
    }
    if (body_file_opened_ && (!keep || close_error != 0)) {
      ::unlink(request_.response_body_file.c_str());
    }
    body_file_opened_ = false;
    return close_error;
  }

  // Turns request_ into the request for response_'s Location. false: the
  // redirect is not followed (response_ is the answer).
  StatusOr<bool> PrepareRedirect(const internal::UrlTarget& from) {
    std::optional<std::string_view> location = response_.headers.Get("Location");
    if (!location) return false;
    const std::string invalid = "the redirect from " + Where(from) + " has no usable Location";
    auto base = boost::urls::parse_absolute_uri(request_.url);
    auto ref = boost::urls::parse_uri_reference(*location);
    if (!base || !ref) return InvalidArgumentError(invalid);
    boost::urls::url next;
    if (!boost::urls::resolve(*base, *ref, next)) return InvalidArgumentError(invalid);
    next.remove_fragment();
    StatusOr<internal::UrlTarget> to = internal::ParseUrlTarget(next.buffer());
    if (!to.ok()) return InvalidArgumentError(invalid + ": " + to.status().message());
    if (from.tls && !to->tls) return false;

    const int status = response_.status;
    if ((status == 303 && request_.method != "HEAD") ||
        ((status == 301 || status == 302) && request_.method == "POST")) {
      request_.method = "GET";
      request_.body.clear();
      request_.headers.Remove("Content-Type");
      request_.headers.Remove("Content-Length");
    }
    if (!EqualsIgnoreCase(from.host, to->host)) {
      if (!request_.body.empty() && !request_.private_headers.empty()) return false;
      for (const std::string& name : request_.private_headers) request_.headers.Remove(name);
      for (const char* name : {"Authorization", "Proxy-Authorization", "Cookie", "Host"}) {
        request_.headers.Remove(name);
      }
    }
    request_.url = std::string(next.buffer());
    return true;
  }

  // The exchange fails with DEADLINE_EXCEEDED ("<phase_> timed out") unless
  // re-armed or finished before `deadline`.
  void Arm(SteadyClock::time_point deadline, std::string phase) {
    phase_ = std::move(phase);
    const uint64_t generation = ++generation_;
    watchdog_.expires_at(deadline);
    watchdog_.async_wait([self = shared_from_this(), generation](const beast::error_code& ec) {
      if (ec || generation != self->generation_) return;
      self->Abort(DeadlineExceededError(self->phase_ + " timed out"));
    });
  }

  void Close() {
    beast::error_code ignored;
    if (plain_) {
      plain_->socket().shutdown(tcp::socket::shutdown_both, ignored);
      plain_->close();
    }
    if (tls_) {
      beast::get_lowest_layer(*tls_).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(*tls_).close();
    }
  }

  const std::shared_ptr<Impl> client_;  // first: destroyed after the I/O objects below
  const AsyncClientOptions& options_;
  const uint64_t id_;
  ClientRequest request_;
  Strand strand_;
  tcp::resolver resolver_;
  net::steady_timer watchdog_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  SteadyClock::time_point deadline_;
  std::string phase_;
  uint64_t generation_ = 0;
  std::optional<Status> aborted_;
  Status status_;
  ClientResponse response_;
  // ClientRequest::response_body_file, open for writing while the exchange runs.
  int body_fd_ = -1;
  bool body_file_opened_ = false;  // removed again on failure
};

uint64_t AsyncClient::Impl::Fetch(ClientRequest request, FetchDone done) {
  const uint64_t id = next_id_++;
  std::shared_ptr<Exchange> exchange;
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      exchange = std::make_shared<Exchange>(shared_from_this(), id, std::move(request));
      live_.emplace(id, exchange);
    }
  }
  if (!exchange) {
    done(UnavailableError("the HTTP client is stopped"));
    return id;
  }
  net::co_spawn(exchange->strand(), exchange->Run(),
                [this, exchange, done = std::move(done)](std::exception_ptr failure) {
                  StatusOr<ClientResponse> result = std::move(*exchange).Result(failure);
                  {
                    std::lock_guard lock(mu_);
                    live_.erase(exchange->id());
                    ++callbacks_running_;
                  }
                  done(std::move(result));
                  std::lock_guard lock(mu_);
                  if (--callbacks_running_ == 0 && live_.empty()) idle_.notify_all();
                });
  return id;
}

void AsyncClient::Impl::Cancel(uint64_t id) {
  std::shared_ptr<Exchange> exchange;
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(id);
    if (it == live_.end()) return;
    exchange = it->second;
  }
  net::post(exchange->strand(),
            [exchange] { exchange->Abort(CancelledError("the request was cancelled")); });
}

void AsyncClient::Impl::Stop() {
  std::vector<std::shared_ptr<Exchange>> live;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (const auto& [id, exchange] : live_) live.push_back(exchange);
  }
  for (const auto& exchange : live) {
    net::post(exchange->strand(),
              [exchange] { exchange->Abort(CancelledError("the HTTP client is stopping")); });
  }
  live.clear();
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return live_.empty() && callbacks_running_ == 0; });
}

StatusOr<std::unique_ptr<AsyncClient>> AsyncClient::Create(const AsyncClientOptions& options,
                                                           IoPool* pool) {
  if (!pool && options.io_threads < 1) return InvalidArgumentError("io_threads must be at least 1");
  STEPD_ASSIGN_OR_RETURN(OutboundPolicy policy, OutboundPolicy::Create(options.policy));
  ssl::context tls(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  tls.set_default_verify_paths(ec);
  if (ec) return UnavailableError("cannot load the system CA store: " + ec.message());
  if (!options.ca_file.empty()) {
    tls.load_verify_file(options.ca_file, ec);
    if (ec) {
      return InvalidArgumentError("cannot load CA file '" + options.ca_file + "': " + ec.message());
    }
  }
  tls.set_verify_mode(ssl::verify_peer);
  std::unique_ptr<IoPool> own_pool;
  if (!pool) {
    own_pool = std::make_unique<IoPool>(options.io_threads);
    pool = own_pool.get();
  }
  auto impl = std::make_shared<Impl>(options, std::move(policy), std::move(tls), pool->context());
  return std::unique_ptr<AsyncClient>(new AsyncClient(std::move(own_pool), std::move(impl)));
}

AsyncClient::AsyncClient(std::unique_ptr<IoPool> own_pool, std::shared_ptr<Impl> impl)
    : own_pool_(std::move(own_pool)), impl_(std::move(impl)) {}
AsyncClient::~AsyncClient() { Stop(); }
uint64_t AsyncClient::Fetch(ClientRequest request, FetchDone done) {
  return impl_->Fetch(std::move(request), std::move(done));
}
void AsyncClient::Cancel(uint64_t id) { impl_->Cancel(id); }
void AsyncClient::Stop() {
  impl_->Stop();
  if (own_pool_) own_pool_->Stop();
}
size_t AsyncClient::in_flight() const { return impl_->in_flight(); }

}  // namespace stepd::http
