// Raw HTTP/1.1 bytes as a client would send them on one connection, read the
// way src/http/server.cc reads them, then routed through a stepd Router.
//
// The server's request path runs inside a connection coroutine on a socket
// (Connection::Serve, private to server.cc), so this harness repeats its
// steps without one (running the one they share, TakeRequestHead), in the
// same order and with the same limits (HttpOptions' defaults): the header block through a Beast request_parser
// with header_limit (431 beyond it, 400 when malformed), the target through
// ParseTarget (400), the route through Router::Find, then the body through a
// request_parser<string_body> with the route's body limit (413 beyond it,
// by Content-Length before reading or while reading a chunked body), then the
// handler through a Responder. Pipelined requests are served in turn while
// the connection would stay open. Every answer must be 2xx or 4xx (the
// routes' handlers never fail, so a 5xx is the server's own doing), every
// error body the server's JSON {"message": ...}, whatever bytes the path or
// method hold.

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <limits>
#include <memory>
#include <string>

#include "fuzz_target.h"
#include "http/request_head.h"
#include "stepd/http/message.h"
#include "stepd/http/options.h"
#include "stepd/http/responder.h"
#include "stepd/http/router.h"
#include "stepd/http/testing.h"

namespace {

using namespace stepd;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// Requests of one input served at most, as over one keep-alive connection.
constexpr int kMaxRequests = 16;
constexpr size_t kEchoLimit = 64;

// Answers 200 with what it saw, after checking what the router promises.
http::Handler Echo(std::string method, size_t body_limit) {
  return [method = std::move(method), body_limit](const http::Request& request,
                                                  http::Responder responder) {
    fuzz::Check(request.method == method, "a route runs for its own method");
    fuzz::Check(!request.path.empty() && request.path[0] == '/', "a routed path starts with '/'");
    fuzz::Check(request.body.size() == request.body_size, "body_size is the body's size");
    fuzz::Check(request.body_size <= body_limit, "the body is within the route's limit");
    for (const auto& [name, value] : request.path_params) {
      fuzz::Check(!name.empty() && !value.empty(), "path parameters are never empty");
      fuzz::Check(request.PathParam(name) == value, "a path parameter is found by its name");
    }
    Json seen = {{"method", request.method},
                 {"path", request.path},
                 {"params", Json::array()},
                 {"query", Json::array()},
                 {"html", http::AcceptsMediaType(request.headers, "text/html")},
                 {"body_bytes", request.body_size}};
    for (const auto& [name, value] : request.path_params) seen["params"].push_back({name, value});
    for (const auto& [name, value] : request.query) {
      seen["query"].push_back({name, value});
      fuzz::Check(request.QueryParam(name).has_value(), "a query parameter is found by its name");
    }
    if (auto type = request.headers.Get("Content-Type");
        type && http::EqualsIgnoreCase(*type, "application/json") && !request.body.empty()) {
      seen["json"] = ParseJson(request.body).ok();
    }
    responder.Send(http::Response::Json(200, seen.dump(-1, ' ', false, Json::error_handler_t::replace)));
  };
}

// Answers as a stream of a few chunks, as long polls and exports do.
void Streamed(const http::Request& request, http::Responder responder) {
  http::Stream stream = responder.StartStream(200, {{"Content-Type", "text/plain"}});
  fuzz::Check(stream.valid(), "the first answer starts the stream");
  stream.Write(request.path);
  stream.Write("");
  stream.Write(request.target);
  stream.Finish();
  fuzz::Check(!responder.Send(http::Response::Text(200, "late")), "only the first answer counts");
}

const http::Router& TheRouter() {
  static const http::Router* router = [] {
    const size_t default_limit = http::HttpOptions().default_body_limit_bytes;
    auto* r = new http::Router();
    http::RouteOptions aws;
    aws.predicate = http::HeaderHasPrefix("X-Amz-Target", "AWSStepFunctions.");
    r->Add("POST", "/", Echo("POST", default_limit), aws);
    aws.predicate = http::HeaderHasPrefix("X-Amz-Target", "AWSEvents.");
    r->Add("POST", "/", Echo("POST", default_limit), aws);
    r->Add("GET", "/healthz", Echo("GET", default_limit));
    r->Add("HEAD", "/healthz", Echo("HEAD", default_limit));
    r->Add("GET", "/v1/executions/{arn}", Echo("GET", default_limit));
    r->Add("DELETE", "/v1/executions/{arn}", Echo("DELETE", default_limit));
    r->Add("GET", "/v1/executions/{arn}/history", Echo("GET", default_limit));
    r->Add("PUT", "/v1/schedules/{name}", Echo("PUT", default_limit));
    r->Add("POST", "/looker/actions/{name}/execute", Echo("POST", 256), {.body_limit_bytes = 256});
    r->Add("GET", "/console/{file...}", Echo("GET", default_limit));
    r->Add("POST", "/echo", Echo("POST", kEchoLimit), {.body_limit_bytes = kEchoLimit});
    r->Add("GET", "/stream", Streamed);
    return r;
  }();
  return *router;
}

// Feeds `*rest` to `parser` until `done(parser)`, as Beast's read_some loop
// does over a socket that has nothing more to give once `*rest` is read.
template <class Parser, class Done>
beast::error_code Feed(Parser& parser, std::string_view* rest, Done done) {
  beast::error_code ec;
  while (!done(parser)) {
    const size_t used = parser.put(boost::asio::buffer(rest->data(), rest->size()), ec);
    rest->remove_prefix(used);
    if (ec && ec != bhttp::error::need_more) return ec;
    if (used > 0 && (!ec || !rest->empty())) continue;  // progress: parse on
    // No progress: the client sent nothing more.
    ec = {};
    if (!parser.got_some()) return bhttp::error::end_of_stream;
    parser.put_eof(ec);
    if (ec) return ec;
    if (!done(parser)) return bhttp::error::partial_message;
  }
  return ec;
}

void CheckAnswer(const http::testing::CapturedResponse& answer) {
  fuzz::Check(answer.status != 0, "every request is answered");
  fuzz::Check(!answer.abandoned, "no handler drops its Responder");
  fuzz::Check(answer.status >= 200 && answer.status < 500, "bad input is never a 5xx");
  if (answer.status >= 400) {
    std::optional<Json> body = fuzz::JsonOrNothing(answer.body);
    fuzz::Check(body && body->is_object() && body->contains("message") &&
                    body->at("message").is_string(),
                "an error body is {\"message\": ...}");
  }
  if (answer.status == 405) {
    auto allow = answer.headers.Get("Allow");
    fuzz::Check(allow && !allow->empty(), "a 405 says what is allowed");
  }
}

// The server's own answer to a request it refuses before any handler runs.
void Refuse(int status, std::string_view message) {
  http::testing::CapturedResponse answer;
  http::Response response = http::ErrorResponse(status, message);
  answer.status = response.status;
  answer.headers = response.headers;
  answer.body = response.body;
  CheckAnswer(answer);
}

// One request from the front of `*rest`, as Connection::Serve reads it;
// false when the connection would be closed afterwards.
bool ServeOne(std::string_view* rest) {
  const http::HttpOptions options;
  const http::Router& router = TheRouter();
  http::Request request;

  bhttp::request_parser<bhttp::empty_body> header_parser;
  header_parser.header_limit(static_cast<std::uint32_t>(
      std::min<size_t>(options.header_limit_bytes, std::numeric_limits<std::uint32_t>::max())));
  header_parser.body_limit(boost::none);
  header_parser.eager(false);
  beast::error_code ec =
      Feed(header_parser, rest, [](const auto& p) { return p.is_header_done(); });
  if (ec == bhttp::error::header_limit) {
    Refuse(431, "request header fields exceed " + std::to_string(options.header_limit_bytes) +
                    " bytes");
    return false;
  }
  if (ec) {
    if (ec != bhttp::error::end_of_stream) Refuse(400, "malformed request: " + ec.message());
    return false;
  }
  const auto& head = header_parser.get();
  http::internal::TakeRequestHead(head, &request);
  fuzz::Check(http::IsValidRequestId(request.request_id), "the request id is valid");
  if (Status s = http::ParseTarget(request.target, &request); !s.ok()) {
    Refuse(400, "malformed request target");
    return false;
  }
  fuzz::Check(request.path.empty() || request.path[0] == '/', "an origin-form path starts with '/'");
  const bool keep_alive = header_parser.keep_alive();

  http::Router::Match match = router.Find(request);
  fuzz::Check((match.status == 200) == (match.route != nullptr), "a match has its route");
  fuzz::Check(match.status == 200 || match.status == 404 || match.status == 405,
              "the router answers 200, 404 or 405");
  size_t limit = options.default_body_limit_bytes;
  if (match.route && match.route->options.body_limit_bytes > 0) {
    limit = match.route->options.body_limit_bytes;
  }
  const std::string too_large = "request body exceeds " + std::to_string(limit) + " bytes";
  if (auto length = header_parser.content_length(); length && *length > limit) {
    Refuse(413, too_large);
    return false;
  }
  bhttp::request_parser<bhttp::string_body> body_parser(std::move(header_parser));
  body_parser.body_limit(limit);
  body_parser.eager(true);
  ec = Feed(body_parser, rest, [](const auto& p) { return p.is_done(); });
  if (ec) {
    if (ec == bhttp::error::body_limit) {
      Refuse(413, too_large);
    } else if (ec != bhttp::error::end_of_stream) {
      Refuse(400, "malformed request body: " + ec.message());
    }
    return false;
  }
  request.body = std::move(body_parser.get().body());
  request.body_size = request.body.size();
  fuzz::Check(request.body_size <= limit, "a body read is within the limit");

  auto sink = std::make_shared<http::testing::CapturingSink>();
  {
    http::Responder responder(sink);
    if (match.status == 404) {
      responder.Send(http::ErrorResponse(404, "no route for " + request.path));
    } else if (match.status == 405) {
      http::Response response = http::ErrorResponse(405, "method " + request.method + " not allowed");
      response.headers.Set("Allow", match.allow);
      responder.Send(std::move(response));
    } else {
      request.path_params = std::move(match.path_params);
      try {
        match.route->handler(request, responder);
      } catch (...) {
        responder.Send(http::ErrorResponse(500, "internal error"));
      }
    }
  }
  fuzz::Check(sink->WaitDone(std::chrono::milliseconds(0)), "handlers here answer at once");
  CheckAnswer(sink->Get());
  return keep_alive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest = fuzz::AsText(data, size);
  for (int i = 0; i < kMaxRequests && !rest.empty(); ++i) {
    if (!ServeOne(&rest)) break;
  }
  return 0;
}
