#include "stepd/http/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http_testing.h"

namespace stepd::http {
namespace {

using ::testing::HasSubstr;
using testing::TestServer;
using namespace std::chrono_literals;

TEST(Client, SendsMethodHeadersAndBody) {
  auto router = std::make_shared<Router>();
  router->Add("PUT", "/inspect", [](const Request& request, Responder responder) {
    Response response = Response::Text(
        201, request.method + "|" + std::string(request.headers.Get("X-Custom").value_or("")) +
                 "|" + std::string(request.headers.Get("Host").value_or("")) + "|" +
                 std::string(request.headers.Get("User-Agent").value_or("")) + "|" + request.body);
    response.headers.Add("X-Answer", "42");
    responder.Send(std::move(response));
  });
  TestServer server(router);
  ClientRequest request;
  request.method = "PUT";
  request.url = server.Url("/inspect?q=1");
  request.headers.Add("X-Custom", "yes");
  request.body = "payload";
  auto r = Fetch(request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "PUT|yes|127.0.0.1:" + std::to_string(server.port()) + "|stepd|payload");
  EXPECT_EQ(r->headers.Get("x-answer"), "42");
}

TEST(Client, RejectsBadUrls) {
  EXPECT_EQ(Fetch({.url = "not a url"}).status(), InvalidArgumentError("invalid URL"));
  EXPECT_EQ(Fetch({.url = "ftp://example.com/x"}).status(),
            InvalidArgumentError("unsupported URL scheme 'ftp' (want http or https)"));
  EXPECT_EQ(Fetch({.url = "http:///path"}).status(), InvalidArgumentError("URL has no host"));
  ClientRequest injected{.url = "http://127.0.0.1:1/"};
  injected.headers.Add("X-Evil", "a\r\nInjected: yes");
  EXPECT_EQ(Fetch(injected).status(),
            InvalidArgumentError("invalid request header field 'X-Evil'"));
}

TEST(Client, RefusedConnectionIsUnavailable) {
  uint16_t port;
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }  // closed: nothing listens there now
  auto r = Fetch({.url = "http://127.0.0.1:" + std::to_string(port) + "/"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("cannot connect to 127.0.0.1:"));
}

TEST(Client, ServerThatNeverAnswersTimesOut) {
  boost::asio::io_context ioc;
  // Listening but never accepting: the kernel completes the handshake, nobody answers.
  boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  ClientOptions options;
  options.timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto r =
      Fetch({.url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/"},
            options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(),
            DeadlineExceededError("response from 127.0.0.1:" +
                                  std::to_string(acceptor.local_endpoint().port()) + " timed out"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(Client, ResponseOverTheLimitIsResourceExhausted) {
  auto router = std::make_shared<Router>();
  router->Add("GET", "/big", [](const Request&, Responder r) {
    r.Send(Response::Text(200, std::string(5000, 'b')));
  });
  TestServer server(router);
  ClientOptions options;
  options.max_response_bytes = 1000;
  auto r = Fetch({.url = server.Url("/big")}, options);
  EXPECT_EQ(r.status(),
            ResourceExhaustedError("response from 127.0.0.1:" + std::to_string(server.port()) +
                                   " exceeds 1000 bytes"));
}

TEST(Client, ReadsStreamedResponsesWhole) {
  auto router = std::make_shared<Router>();
  router->Add("GET", "/s", [](const Request&, Responder r) {
    Stream s = r.StartStream(200);
    s.Write("x");
    s.Write("y");
    s.Finish();
  });
  TestServer server(router);
  auto r = Fetch({.url = server.Url("/s")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "xy");
}

}  // namespace
}  // namespace stepd::http
