#include "stepd/http/client.h"

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

#include "url_target.h"

namespace stepd::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

namespace {

using Target = internal::UrlTarget;

auto Tok(beast::error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

class Exchange {
 public:
  Exchange(net::io_context& ioc, const ClientRequest& request, const ClientOptions& options,
           Target target, ssl::context* tls)
      : ioc_(ioc),
        request_(request),
        options_(options),
        target_(std::move(target)),
        tls_(tls),
        timer_(ioc),
        resolver_(ioc) {}

  net::awaitable<void> Run() {
    const auto start = std::chrono::steady_clock::now();
    deadline_ = start + options_.timeout;
    const auto connect_deadline = std::min(deadline_, start + options_.connect_timeout);
    const std::string where = target_.host + ":" + std::to_string(target_.port);
    beast::error_code ec;

    // The resolver has no timeout of its own: a timer cancels it.
    timer_.expires_at(connect_deadline);
    timer_.async_wait([this](beast::error_code e) {
      if (!e) {
        timed_out_ = true;
        resolver_.cancel();
      }
    });
    auto endpoints =
        co_await resolver_.async_resolve(target_.host, std::to_string(target_.port), Tok(ec));
    timer_.cancel();
    if (timed_out_)
      co_return Fail(DeadlineExceededError("resolving " + target_.host + " timed out"));
    if (ec)
      co_return Fail(UnavailableError("cannot resolve " + target_.host + ": " + ec.message()));

    if (tls_) {
      stream_.emplace(beast::tcp_stream(ioc_), *tls_);
    } else {
      plain_.emplace(ioc_);
    }
    beast::tcp_stream& lowest = tls_ ? beast::get_lowest_layer(*stream_) : *plain_;
    lowest.expires_at(connect_deadline);
    co_await lowest.async_connect(endpoints, Tok(ec));
    if (ec == beast::error::timeout)
      co_return Fail(DeadlineExceededError("connecting to " + where + " timed out"));
    if (ec) co_return Fail(UnavailableError("cannot connect to " + where + ": " + ec.message()));

    if (tls_) {
      SSL* ssl_handle = stream_->native_handle();
      beast::error_code ip_ec;
      net::ip::make_address(target_.host, ip_ec);
      if (ip_ec) SSL_set_tlsext_host_name(ssl_handle, target_.host.c_str());  // SNI for names only
      if (options_.verify_peer)
        stream_->set_verify_callback(ssl::host_name_verification(target_.host));
      co_await stream_->async_handshake(ssl::stream_base::client, Tok(ec));
      if (ec == beast::error::timeout)
        co_return Fail(DeadlineExceededError("TLS handshake with " + where + " timed out"));
      if (ec)
        co_return Fail(
            UnavailableError("TLS handshake with " + where + " failed: " + ec.message()));
    }

    bhttp::request<bhttp::string_body> req;
    req.method_string(request_.method);
    req.target(target_.path);
    req.version(11);
    for (const auto& [name, value] : request_.headers.fields()) req.insert(name, value);
    if (!request_.headers.Has("Host")) req.set(bhttp::field::host, target_.host_header);
    if (!request_.headers.Has("User-Agent")) req.set(bhttp::field::user_agent, options_.user_agent);
    req.body() = request_.body;
    req.keep_alive(false);
    if (!request_.body.empty() || !request_.headers.Has("Content-Length")) req.prepare_payload();

    lowest.expires_at(deadline_);
    if (tls_)
      co_await bhttp::async_write(*stream_, req, Tok(ec));
    else
      co_await bhttp::async_write(*plain_, req, Tok(ec));
    if (ec == beast::error::timeout)
      co_return Fail(DeadlineExceededError("request to " + where + " timed out"));
    if (ec)
      co_return Fail(UnavailableError("sending request to " + where + " failed: " + ec.message()));

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    if (request_.method == "HEAD") parser.skip(true);
    beast::flat_buffer buffer;
    if (tls_)
      co_await bhttp::async_read(*stream_, buffer, parser, Tok(ec));
    else
      co_await bhttp::async_read(*plain_, buffer, parser, Tok(ec));
    if (ec == beast::error::timeout)
      co_return Fail(DeadlineExceededError("response from " + where + " timed out"));
    if (ec == bhttp::error::body_limit) {
      co_return Fail(ResourceExhaustedError("response from " + where + " exceeds " +
                                            std::to_string(options_.max_response_bytes) +
                                            " bytes"));
    }
    if (ec)
      co_return Fail(
          UnavailableError("reading response from " + where + " failed: " + ec.message()));
    auto& res = parser.get();
    response_.status = static_cast<int>(res.result_int());
    response_.reason = std::string(res.reason());
    for (const auto& field : res) {
      response_.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    response_.body = std::move(res.body());
    response_.body_size = response_.body.size();
    beast::error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest.close();
  }

  StatusOr<ClientResponse> Result() && {
    if (!status_.ok()) return std::move(status_);
    return std::move(response_);
  }
  void Fail(Status status) { status_ = std::move(status); }

 private:
  net::io_context& ioc_;
  const ClientRequest& request_;
  const ClientOptions& options_;
  const Target target_;
  ssl::context* tls_;
  net::steady_timer timer_;
  tcp::resolver resolver_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  std::optional<beast::tcp_stream> plain_;
  std::chrono::steady_clock::time_point deadline_;
  bool timed_out_ = false;
  Status status_;
  ClientResponse response_;
};

}  // namespace

StatusOr<ClientResponse> Fetch(const ClientRequest& request, const ClientOptions& options) {
  STEPD_ASSIGN_OR_RETURN(Target target, internal::ParseUrlTarget(request.url));
  STEPD_RETURN_IF_ERROR(internal::CheckRequestFields(request));
  std::optional<ssl::context> tls;
  if (target.tls) {
    tls.emplace(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
    beast::error_code ec;
    if (options.verify_peer) {
      if (!options.ca_file.empty()) {
        tls->load_verify_file(options.ca_file, ec);
        if (ec) {
          return InvalidArgumentError("cannot load CA file '" + options.ca_file +
                                      "': " + ec.message());
        }
      } else {
        tls->set_default_verify_paths(ec);
        if (ec) return UnavailableError("cannot load the system CA store: " + ec.message());
      }
      tls->set_verify_mode(ssl::verify_peer);
    } else {
      tls->set_verify_mode(ssl::verify_none);
    }
  }
  net::io_context ioc;
  Exchange exchange(ioc, request, options, std::move(target), tls ? &*tls : nullptr);
  std::exception_ptr failure;
  net::co_spawn(ioc, exchange.Run(), [&failure](std::exception_ptr e) { failure = e; });
  ioc.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      return InternalError(std::string("http client: ") + e.what());
    } catch (...) {
      return InternalError("http client: unknown exception");
    }
  }
  return std::move(exchange).Result();
}

}  // namespace stepd::http
