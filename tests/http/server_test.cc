#include "stepd/http/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "http_testing.h"
#include "stepd/base/log_context.h"
#include "stepd/base/metrics.h"
#include "stepd/http/client.h"
#include "stepd/http/io_pool.h"

namespace stepd::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RawClient;
using testing::TempDir;
using testing::TestOptions;
using testing::TestServer;
using namespace std::chrono_literals;

StatusOr<ClientResponse> Get(const std::string& url, Headers headers = {}) {
  ClientRequest request;
  request.url = url;
  request.headers = std::move(headers);
  return Fetch(request);
}

StatusOr<ClientResponse> Post(const std::string& url, std::string body, Headers headers = {}) {
  ClientRequest request;
  request.method = "POST";
  request.url = url;
  request.body = std::move(body);
  request.headers = std::move(headers);
  return Fetch(request);
}

std::shared_ptr<Router> EchoRouter() {
  auto router = std::make_shared<Router>();
  router->Add("GET", "/hello/{name}", [](const Request& request, Responder responder) {
    responder.Send(Response::Text(200, "hello " + std::string(request.PathParam("name"))));
  });
  router->Add("POST", "/echo", [](const Request& request, Responder responder) {
    responder.Send(Response::Text(200, request.body));
  });
  return router;
}

// Holds Responders handed over by handlers so tests decide when to answer.
class Parked {
 public:
  void Put(Responder responder) {
    std::lock_guard lock(mu_);
    parked_.push_back(std::move(responder));
    cv_.notify_all();
  }
  bool WaitFor(size_t n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return parked_.size() >= n; });
  }
  Responder Take() {
    std::lock_guard lock(mu_);
    Responder r = parked_.front();
    parked_.erase(parked_.begin());
    return r;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Responder> parked_;
};

TEST(Server, AnswersOverRealSocketsAndEchoesRequestId) {
  TestServer server(EchoRouter());
  ASSERT_NE(server.port(), 0);
  auto r = Get(server.Url("/hello/w%C3%B6rld"), {{"X-Request-Id", "req-42"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello w\xc3\xb6rld");
  EXPECT_EQ(r->headers.Get("X-Request-Id"), "req-42");
  EXPECT_EQ(r->headers.Get("Content-Type"), "text/plain; charset=utf-8");
}

TEST(Server, GeneratesRequestIdWhenMissingOrInvalid) {
  TestServer server(EchoRouter());
  auto missing = Get(server.Url("/hello/a"));
  ASSERT_TRUE(missing.ok());
  auto generated = missing->headers.Get("X-Request-Id");
  ASSERT_TRUE(generated.has_value());
  EXPECT_EQ(generated->size(), 32u);
  auto invalid = Get(server.Url("/hello/a"), {{"X-Request-Id", std::string(129, 'x')}});
  ASSERT_TRUE(invalid.ok());
  EXPECT_EQ(invalid->headers.Get("X-Request-Id")->size(), 32u);
}

TEST(Server, UnknownPathAndWrongMethodGet404And405) {
  TestServer server(EchoRouter());
  auto r = Get(server.Url("/nowhere"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  r = Get(server.Url("/echo"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->headers.Get("Allow"), "POST");
}

TEST(Server, KeepAliveServesSeveralRequestsOnOneConnection) {
  TestServer server(EchoRouter());
  RawClient client(server.port());
  for (int i = 0; i < 3; ++i) {
    std::string body = "body" + std::to_string(i);
    client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\n\r\n" + body);
    int status = 0;
    EXPECT_EQ(client.ReadResponse(&status), body);
    EXPECT_EQ(status, 200);
  }
  // Pipelined: two requests in one write, answered in order.
  client.Send("GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\nGET /hello/b HTTP/1.1\r\nHost: x\r\n\r\n");
  int status = 0;
  EXPECT_EQ(client.ReadResponse(&status), "hello a");
  EXPECT_EQ(client.ReadResponse(&status), "hello b");
}

TEST(Server, ConnectionCloseRequestIsHonoured) {
  TestServer server(EchoRouter());
  RawClient client(server.port());
  client.Send("GET /hello/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  int status = 0;
  EXPECT_EQ(client.ReadResponse(&status), "hello a");
  EXPECT_TRUE(client.WaitClosed());
}

TEST(Server, Http10RequestGetsHttp10AnswerAndClose) {
  TestServer server(EchoRouter());
  RawClient client(server.port());
  client.Send("GET /hello/old HTTP/1.0\r\n\r\n");
  int status = 0;
  std::string headers;
  EXPECT_EQ(client.ReadResponse(&status, &headers), "hello old");
  EXPECT_EQ(headers.substr(0, 12), "HTTP/1.0 200") << server.Log();
  EXPECT_TRUE(client.WaitClosed());
}

TEST(Server, ConcurrentRequestsAreAllAnswered) {
  TestServer server(EchoRouter());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 5; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string body = std::to_string(t) + "-" + std::to_string(i);
        auto r = Post(server.Url("/echo"), body);
        if (r.ok() && r->status == 200 && r->body == body) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 50);
}

TEST(Server, OversizedBodyGets413) {
  TestServer server(EchoRouter());
  auto r = Post(server.Url("/echo"), std::string(1024 * 1024 + 1, 'x'));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->body, R"({"message":"request body exceeds 1048576 bytes"})");
  r = Post(server.Url("/echo"), std::string(1024 * 1024, 'x'));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
}

TEST(Server, ChunkedBodyOverTheLimitGets413) {
  auto router = EchoRouter();
  router->Add("POST", "/small",
              [](const Request&, Responder r) { r.Send(Response::Text(200, "ok")); },
              {.body_limit_bytes = 8});
  TestServer server(router);
  RawClient client(server.port());
  client.Send(
      "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n");
  int status = 0;
  EXPECT_EQ(client.ReadResponse(&status), R"({"message":"request body exceeds 8 bytes"})");
  EXPECT_EQ(status, 413);
  EXPECT_TRUE(client.WaitClosed());
}

TEST(Server, RouteBodyLimitAllowsLargerUploads) {
  auto router = EchoRouter();
  router->Add("POST", "/big",
              [](const Request& request, Responder r) {
                r.Send(Response::Text(200, std::to_string(request.body.size())));
              },
              {.body_limit_bytes = 3 * 1024 * 1024});
  TestServer server(router);
  auto r = Post(server.Url("/big"), std::string(2 * 1024 * 1024, 'x'));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "2097152");
}

TEST(Server, BodyToFileRouteGetsAFileRemovedAfterTheExchange) {
  TempDir dir;
  auto router = std::make_shared<Router>();
  std::string seen_path;
  router->Add(
      "PUT", "/upload",
      [&seen_path](const Request& request, Responder r) {
        seen_path = request.body_file;
        std::ifstream in(request.body_file, std::ios::binary);
        std::stringstream content;
        content << in.rdbuf();
        r.Send(Response::Text(200, std::to_string(request.body_size) + ":" +
                                       std::to_string(request.body.size()) + ":" + content.str()));
      },
      {.body_to_file = true});
  HttpOptions options = TestOptions();
  options.temp_dir = dir.path().string();
  TestServer server(router, options);
  ClientRequest request;
  request.method = "PUT";
  request.url = server.Url("/upload");
  request.body = "file contents";
  auto r = Fetch(request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "13:0:file contents");
  EXPECT_EQ(std::filesystem::path(seen_path).parent_path(), dir.path());
  // The exchange ends on the I/O thread right after the write; allow it a moment.
  for (int i = 0; i < 100 && std::filesystem::exists(seen_path); ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(std::filesystem::exists(seen_path));
}

// Looker sends its uploads chunked.
TEST(Server, BodyToFileRouteStoresAChunkedBodyExactly) {
  TempDir dir;
  const std::string content = testing::PatternBytes(6 * 1024 * 1024 + 123);
  auto router = std::make_shared<Router>();
  router->Add(
      "PUT", "/upload",
      [&content](const Request& request, Responder r) {
        const std::string stored = testing::ReadFile(request.body_file);
        const size_t differs = testing::FirstDifference(stored, content);
        r.Send(Response::Text(
            200, std::to_string(request.body_size) + ":" + std::to_string(request.body.size()) +
                     ":" + (differs == std::string::npos ? "same" : std::to_string(differs))));
      },
      {.body_limit_bytes = 16 * 1024 * 1024, .body_to_file = true});
  HttpOptions options = TestOptions();
  options.temp_dir = dir.path().string();
  TestServer server(router, options);
  std::string message = "PUT /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const size_t sizes[] = {1, 65536, 7, 1000000, 4096, 300000};
  for (size_t at = 0, i = 0; at < content.size(); ++i) {
    const size_t n = std::min(sizes[i % std::size(sizes)], content.size() - at);
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
    message += size_line + content.substr(at, n) + "\r\n";
    at += n;
  }
  message += "0\r\n\r\n";
  RawClient client(server.port());
  // Twice on one connection: the first body leaves nothing behind.
  for (int i = 0; i < 2; ++i) {
    client.Send(message);
    int status = 0;
    EXPECT_EQ(client.ReadResponse(&status), std::to_string(content.size()) + ":0:same");
    EXPECT_EQ(status, 200) << server.Log();
  }
}

TEST(Server, MalformedRequestGets400AndClose) {
  TestServer server(EchoRouter());
  for (const char* bad :
       {"GARBAGE\r\n\r\n", "GET /hello/a HTTP/1.1\r\nBad Header\r\n\r\n",
        "GET /hello/a HTTP/9.9\r\n\r\n", "POST /echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        "GET http://other.example/x HTTP/1.1\r\nHost: x\r\n\r\n"}) {
    RawClient client(server.port());
    client.Send(bad);
    int status = 0;
    client.ReadResponse(&status);
    EXPECT_EQ(status, 400) << bad;
    EXPECT_TRUE(client.WaitClosed()) << bad;
  }
  // The server is still fine.
  auto r = Get(server.Url("/hello/a"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
}

TEST(Server, OversizedHeaderGets431) {
  HttpOptions options = TestOptions();
  options.header_limit_bytes = 1024;
  TestServer server(EchoRouter(), options);
  auto r = Get(server.Url("/hello/a"), {{"X-Big", std::string(2000, 'a')}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 431);
}

TEST(Server, SilentClientIsDroppedAfterReadTimeout) {
  HttpOptions options = TestOptions();
  options.read_timeout = 300ms;
  TestServer server(EchoRouter(), options);
  auto start = std::chrono::steady_clock::now();
  RawClient silent(server.port(), 20s);
  EXPECT_TRUE(silent.WaitClosed());
  RawClient half(server.port(), 20s);
  half.Send("GET /hello/a HTTP/1.1\r\nHost: x\r\n");  // never finishes the header
  EXPECT_TRUE(half.WaitClosed());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
}

// Sends a POST of a 10-byte body to `path` a byte every 100 ms; the body
// arrives about 1 s after the header block. The answer's body; *status 0 when
// the server dropped the connection instead.
std::string TrickleBody(uint16_t port, const std::string& path, int* status) {
  RawClient client(port, 20s);
  client.Send("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n");
  for (char c : std::string("0123456789")) {
    std::this_thread::sleep_for(100ms);
    client.Send(std::string(1, c));
  }
  return client.ReadResponse(status);
}

TEST(Server, ARouteReadTimeoutLongerThanTheServersLetsASlowBodyArrive) {
  auto router = EchoRouter();
  router->Add(
      "POST", "/patient",
      [](const Request& request, Responder r) { r.Send(Response::Text(200, request.body)); },
      {.read_timeout = 3s});
  HttpOptions options = TestOptions();
  options.read_timeout = 300ms;
  TestServer server(router, options);
  int status = 0;
  EXPECT_EQ(TrickleBody(server.port(), "/patient", &status), "0123456789");
  EXPECT_EQ(status, 200);
  // The server's own read time still applies to other routes.
  TrickleBody(server.port(), "/echo", &status);
  EXPECT_EQ(status, 0);
}

TEST(Server, ARouteReadTimeoutShorterThanTheServersDropsASlowBody) {
  auto router = EchoRouter();
  router->Add(
      "POST", "/hasty",
      [](const Request& request, Responder r) { r.Send(Response::Text(200, request.body)); },
      {.read_timeout = 300ms});
  HttpOptions options = TestOptions();
  options.read_timeout = 5s;
  TestServer server(router, options);
  int status = 0;
  auto start = std::chrono::steady_clock::now();
  TrickleBody(server.port(), "/hasty", &status);
  EXPECT_EQ(status, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_EQ(TrickleBody(server.port(), "/echo", &status), "0123456789");
  EXPECT_EQ(status, 200);
}

TEST(Server, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  HttpOptions options = TestOptions();
  options.idle_timeout = 300ms;
  TestServer server(EchoRouter(), options);
  RawClient client(server.port(), 20s);
  client.Send("GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\n");
  int status = 0;
  client.ReadResponse(&status);
  EXPECT_EQ(status, 200);
  EXPECT_TRUE(client.WaitClosed());
}

TEST(Server, ExpectContinueGets100BeforeTheBody) {
  TestServer server(EchoRouter());
  RawClient client(server.port());
  client.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(client.ReadUntil("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  client.Send("hello");
  int status = 0;
  EXPECT_EQ(client.ReadResponse(&status), "hello");
  EXPECT_EQ(status, 200);
}

TEST(Server, DeferredAnswerDoesNotBlockOtherRequests) {
  auto router = EchoRouter();
  std::vector<std::thread> workers;
  std::mutex workers_mu;
  router->Add("GET", "/slow", [&](const Request&, Responder responder) {
    std::lock_guard lock(workers_mu);
    workers.emplace_back([responder] {
      std::this_thread::sleep_for(300ms);
      responder.Send(Response::Text(200, "slow"));
    });
  });
  HttpOptions options = TestOptions();
  options.io_threads = 1;  // a blocked I/O thread would stall everything
  TestServer server(router, options);
  std::atomic<bool> slow_done{false};
  auto slow = std::async(std::launch::async, [&] {
    auto r = Get(server.Url("/slow"));
    slow_done = true;
    return r;
  });
  std::this_thread::sleep_for(50ms);
  int fast_before_slow = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = Get(server.Url("/hello/x"));
    ASSERT_TRUE(r.ok());
    if (!slow_done) ++fast_before_slow;
  }
  auto r = slow.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "slow");
  EXPECT_GT(fast_before_slow, 0);
  std::lock_guard lock(workers_mu);
  for (auto& w : workers) w.join();
}

TEST(Server, StreamsChunkedResponseOverTime) {
  auto router = std::make_shared<Router>();
  std::thread producer;
  router->Add("GET", "/stream", [&producer](const Request&, Responder responder) {
    Stream stream = responder.StartStream(200, {{"Content-Type", "text/plain"}});
    producer = std::thread([stream] {
      for (int i = 0; i < 3; ++i) {
        stream.Write("part" + std::to_string(i) + ";");
        std::this_thread::sleep_for(30ms);
      }
      stream.Finish();
    });
  });
  TestServer server(router);
  RawClient client(server.port());
  client.Send("GET /stream HTTP/1.1\r\nHost: x\r\nX-Request-Id: s1\r\n\r\n");
  int status = 0;
  std::string headers;
  EXPECT_EQ(client.ReadResponse(&status, &headers), "part0;part1;part2;");
  producer.join();
  EXPECT_EQ(status, 200);
  EXPECT_THAT(headers, HasSubstr("Transfer-Encoding: chunked"));
  EXPECT_THAT(headers, HasSubstr("X-Request-Id: s1"));
  // The connection stays usable after a finished stream.
  client.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(client.ReadResponse(&status), "part0;part1;part2;");
  producer.join();
}

TEST(Server, StreamWritesStopOnceTheClientHasGone) {
  auto router = std::make_shared<Router>();
  std::promise<int> writes_until_gone;
  std::thread producer;
  router->Add("GET", "/forever", [&](const Request&, Responder responder) {
    Stream stream = responder.StartStream(200);
    producer = std::thread([stream, &writes_until_gone] {
      int writes = 0;
      while (writes < 1000 && stream.Write(std::string(1024, 'k'))) {
        ++writes;
        std::this_thread::sleep_for(10ms);
      }
      writes_until_gone.set_value(writes);
    });
  });
  TestServer server(router);
  {
    RawClient client(server.port());
    client.Send("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_THAT(client.ReadUntil("\r\n\r\n"), HasSubstr("HTTP/1.1 200 OK"));
  }
  int writes = writes_until_gone.get_future().get();
  producer.join();
  EXPECT_LT(writes, 1000);
}

TEST(Server, AProducerThatWaitsForRoomIsHeldBackByASlowReader) {
  constexpr size_t kChunk = 256 * 1024;
  constexpr int kChunks = 64;  // 16 MiB: more than loopback socket buffers hold
  auto router = std::make_shared<Router>();
  std::atomic<int> written{0};
  std::thread producer;
  router->Add("GET", "/big", [&](const Request&, Responder responder) {
    Stream stream = responder.StartStream(200);
    producer = std::thread([stream, &written] {
      for (int i = 0; i < kChunks; ++i) {
        if (!stream.Write(std::string(kChunk, static_cast<char>('a' + i % 26)))) return;
        written = i + 1;
        if (!stream.WaitForRoom(512 * 1024)) return;
      }
      stream.Finish();
    });
  });
  TestServer server(router);
  RawClient client(server.port());
  client.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(300ms);  // not reading: the producer must wait
  const int before_reading = written.load();
  EXPECT_LT(before_reading, kChunks);
  int status = 0;
  const std::string body = client.ReadResponse(&status);
  producer.join();
  EXPECT_EQ(status, 200);
  ASSERT_EQ(body.size(), kChunk * kChunks);
  EXPECT_EQ(body[kChunk * 27], 'b');
  EXPECT_EQ(written.load(), kChunks);
}

// Answers GET and HEAD /file/{name} with the file `name` of `dir`.
std::shared_ptr<Router> FileRouter(const std::filesystem::path& dir) {
  auto router = EchoRouter();
  Handler serve = [dir](const Request& request, Responder r) {
    Response response;
    response.headers.Set("Content-Type", "application/octet-stream");
    response.body_file = (dir / std::string(request.PathParam("name"))).string();
    r.Send(std::move(response));
  };
  router->Add("GET", "/file/{name}", serve);
  router->Add("HEAD", "/file/{name}", serve);
  router->Add("HEAD", "/hello/{name}", [](const Request& request, Responder r) {
    r.Send(Response::Text(200, "hello " + std::string(request.PathParam("name"))));
  });
  return router;
}

std::string WaitForLog(const TestServer& server, std::string_view needle) {
  std::string log;
  for (int i = 0; i < 100; ++i) {  // the line is written right after the response
    log = server.Log();
    if (log.find(needle) != std::string::npos) break;
    std::this_thread::sleep_for(10ms);
  }
  return log;
}

TEST(Server, AnswersWithAFileItsExactBytesAndContentLength) {
  TempDir dir;
  const std::string content = testing::PatternBytes(300 * 1000 + 7);
  testing::WriteFile(dir.path() / "blob", content);
  TestServer server(FileRouter(dir.path()));
  auto r = Get(server.Url("/file/blob"), {{"X-Request-Id", "file-1"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), content.size());
  EXPECT_EQ(testing::FirstDifference(r->body, content), std::string::npos);
  EXPECT_EQ(r->headers.Get("Content-Length"), std::to_string(content.size()));
  EXPECT_EQ(r->headers.Get("Content-Type"), "application/octet-stream");
  EXPECT_THAT(WaitForLog(server, "id=file-1"), HasSubstr("GET /file/blob 200 300007B"));
  // An empty file is an empty body.
  testing::WriteFile(dir.path() / "empty", "");
  r = Get(server.Url("/file/empty"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->headers.Get("Content-Length"), "0");
}

TEST(Server, HeadGetsTheHeaderBlockOnly) {
  TempDir dir;
  testing::WriteFile(dir.path() / "blob", testing::PatternBytes(100000));
  TestServer server(FileRouter(dir.path()));
  RawClient client(server.port());
  client.Send("HEAD /file/blob HTTP/1.1\r\nHost: x\r\nX-Request-Id: head-1\r\n\r\n");
  std::string head = client.ReadUntil("\r\n\r\n");
  EXPECT_THAT(head, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(head, HasSubstr("Content-Length: 100000\r\n"));
  client.Send("HEAD /hello/there HTTP/1.1\r\nHost: x\r\n\r\n");
  head = client.ReadUntil("\r\n\r\n");
  EXPECT_THAT(head, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(head, HasSubstr("Content-Length: 11\r\n"));
  // No body bytes came after either header block: the next answer is intact.
  client.Send("GET /hello/after HTTP/1.1\r\nHost: x\r\n\r\n");
  int status = 0;
  EXPECT_EQ(client.ReadResponse(&status), "hello after");
  EXPECT_EQ(status, 200);
  EXPECT_THAT(WaitForLog(server, "id=head-1"), HasSubstr("HEAD /file/blob 200 0B"));
}

TEST(Server, LargeFileGoesThroughARealSocketIntact) {
  TempDir dir;
  const std::string content = testing::PatternBytes(24 * 1024 * 1024 + 5);
  testing::WriteFile(dir.path() / "large", content);
  TestServer server(FileRouter(dir.path()));
  auto r = Get(server.Url("/file/large"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), content.size());
  EXPECT_EQ(testing::FirstDifference(r->body, content), std::string::npos);
}

TEST(Server, AMissingBodyFileAnswers404AndIsLogged) {
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "directory");
  TestServer server(FileRouter(dir.path()));
  for (const char* name : {"missing", "directory"}) {
    auto r = Get(server.Url(std::string("/file/") + name));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 404) << name;
    EXPECT_EQ(r->body, R"({"message":"the requested content is not available"})") << name;
    EXPECT_EQ(r->headers.Get("Content-Type"), "application/json") << name;
  }
  const std::string log = server.Log();
  EXPECT_THAT(log, HasSubstr("the response body file is unavailable: cannot open " +
                             (dir.path() / "missing").string()));
  EXPECT_THAT(log, HasSubstr((dir.path() / "directory").string() + " is not a regular file"));
  EXPECT_THAT(WaitForLog(server, "GET /file/directory 404"), HasSubstr("GET /file/missing 404"));
}

TEST(Server, AReaderThatStallsDuringAFileIsDroppedAfterTheWriteTimeout) {
  TempDir dir;
  const size_t size = 32 * 1024 * 1024;
  testing::WriteFile(dir.path() / "large", testing::PatternBytes(size));
  HttpOptions options = TestOptions();
  options.read_timeout = 300ms;
  TestServer server(FileRouter(dir.path()), options);
  RawClient client(server.port());
  client.Send("GET /file/large HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(1500ms);  // the socket buffers fill up, then writes stall
  std::optional<size_t> received = client.DrainUntilClosed();
  ASSERT_TRUE(received.has_value());
  EXPECT_LT(*received, size);
}

TEST(Server, StopDuringAFileAnswerWaitsTheGraceThenCloses) {
  TempDir dir;
  const size_t size = 32 * 1024 * 1024;
  testing::WriteFile(dir.path() / "large", testing::PatternBytes(size));
  HttpOptions options = TestOptions();
  options.shutdown_grace = 300ms;
  auto server = std::make_unique<TestServer>(FileRouter(dir.path()), options);
  RawClient client(server->port());
  client.Send("GET /file/large HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(client.ReadUntil("\r\n\r\n"), HasSubstr("HTTP/1.1 200 OK"));
  auto start = std::chrono::steady_clock::now();
  server->server().Stop();  // the client reads nothing more: the file cannot finish
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 5s);
  std::optional<size_t> received = client.DrainUntilClosed();
  ASSERT_TRUE(received.has_value());
  EXPECT_LT(*received, size);
}

TEST(Server, DroppedResponderGives500AndLogsIt) {
  auto router = std::make_shared<Router>();
  router->Add("GET", "/forgot", [](const Request&, Responder) {});
  TestServer server(router);
  auto r = Get(server.Url("/forgot"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  EXPECT_THAT(server.Log(), HasSubstr("dropped its Responder without answering"));
}

TEST(Server, ClientGoneBeforeDeferredAnswerIsHarmless) {
  auto router = EchoRouter();
  Parked parked;
  router->Add("GET", "/park", [&parked](const Request&, Responder r) { parked.Put(r); });
  TestServer server(router);
  {
    RawClient client(server.port());
    client.Send("GET /park HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(parked.WaitFor(1));
  }
  Responder late = parked.Take();
  late.Send(Response::Text(200, "nobody listens"));
  for (int i = 0; i < 100 && !late.client_gone(); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(late.client_gone());
  auto r = Get(server.Url("/hello/still-ok"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "hello still-ok");
}

TEST(Server, AccessLogNamesRequestButNeverSecretsOrBodies) {
  TestServer server(EchoRouter());
  auto r = Post(server.Url("/echo?token=query-secret"), "body-secret",
                {{"Authorization", "Bearer header-secret"}, {"X-Request-Id", "log-1"}});
  ASSERT_TRUE(r.ok());
  std::string log;
  for (int i = 0; i < 100; ++i) {  // the line is written right after the response
    log = server.Log();
    if (log.find("id=log-1") != std::string::npos) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_THAT(log, HasSubstr("POST /echo 200 11B"));
  EXPECT_THAT(log, HasSubstr("id=log-1 peer=127.0.0.1:"));
  EXPECT_THAT(log, Not(HasSubstr("secret")));
}

TEST(Server, ConnectionsBeyondTheLimitGet503) {
  HttpOptions options = TestOptions();
  options.max_connections = 2;
  TestServer server(EchoRouter(), options);
  RawClient a(server.port()), b(server.port());
  // Make sure both are accepted and counted before the third arrives.
  int status = 0;
  a.Send("GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\n");
  a.ReadResponse(&status);
  ASSERT_EQ(status, 200);
  b.Send("GET /hello/b HTTP/1.1\r\nHost: x\r\n\r\n");
  b.ReadResponse(&status);
  ASSERT_EQ(status, 200);
  auto r = Get(server.Url("/hello/c"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->headers.Get("Retry-After"), "1");
  a.Close();
  // Once a slot frees up, requests are served again.
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    auto again = Get(server.Url("/hello/c"));
    served = again.ok() && again->status == 200;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
}

TEST(Server, AConnectionBeyondTheLimitGetsItsRoutesOverloadedAnswer) {
  HttpOptions options = TestOptions();
  options.max_connections = 1;
  auto router = EchoRouter();
  RouteOptions throttled;
  throttled.overloaded = [](const Request& request) {
    Response r = Response::Json(400, R"({"__type":"ThrottlingException","path":")" +
                                         request.path + "\"}");
    return r;
  };
  router->Add("POST", "/api", [](const Request&, Responder r) { r.Send(Response::Text(200, "")); },
              throttled);
  TestServer server(router, options);
  RawClient held(server.port());
  int status = 0;
  held.Send("GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\n");
  held.ReadResponse(&status);
  ASSERT_EQ(status, 200);
  // The route's own answer, its body unread and the connection closed...
  RawClient over(server.port());
  over.Send("POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  std::string headers;
  std::string answer = over.ReadResponse(&status, &headers);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(answer, R"({"__type":"ThrottlingException","path":"/api"})");
  EXPECT_THAT(headers, Not(HasSubstr("Retry-After")));
  over.Close();
  // ...and routes without one, or no route, the server's 503 (once the
  // refused connection above is gone: one refusal at a time is read).
  auto refused = [&](const std::string& request) {
    for (int i = 0; i < 100; ++i) {
      RawClient client(server.port());
      client.Send(request);
      int got = 0;
      std::string body = client.ReadResponse(&got);
      if (got != 0) return std::make_pair(got, body);
      std::this_thread::sleep_for(20ms);
    }
    return std::make_pair(0, std::string());
  };
  auto plain = refused("GET /hello/b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(plain.first, 503);
  EXPECT_THAT(plain.second, HasSubstr("too many connections"));
  EXPECT_EQ(refused("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n").first, 503);
}

TEST(Server, StopCompletesInFlightDeferredRequest) {
  auto router = EchoRouter();
  Parked parked;
  router->Add("GET", "/park", [&parked](const Request&, Responder r) { parked.Put(r); });
  auto server = std::make_unique<TestServer>(router);
  uint16_t port = server->port();
  auto in_flight =
      std::async(std::launch::async, [url = server->Url("/park")] { return Get(url); });
  ASSERT_TRUE(parked.WaitFor(1));
  RawClient idle(port);  // an idle keep-alive connection must not hold Stop up
  std::thread answer([&parked] {
    std::this_thread::sleep_for(300ms);
    parked.Take().Send(Response::Text(200, "finished"));
  });
  auto start = std::chrono::steady_clock::now();
  server->server().Stop();
  auto took = std::chrono::steady_clock::now() - start;
  answer.join();
  auto r = in_flight.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "finished");
  EXPECT_LT(took, 9s);  // well before the 10 s grace: it waited for the answer only
  EXPECT_TRUE(idle.WaitClosed());
  auto after = Get("http://127.0.0.1:" + std::to_string(port) + "/hello/a");
  EXPECT_FALSE(after.ok());
}

TEST(Server, StopClosesRequestsStillOpenAfterTheGrace) {
  auto router = EchoRouter();
  Parked parked;
  router->Add("GET", "/park", [&parked](const Request&, Responder r) { parked.Put(r); });
  HttpOptions options = TestOptions();
  options.shutdown_grace = 200ms;
  auto server = std::make_unique<TestServer>(router, options);
  auto in_flight =
      std::async(std::launch::async, [url = server->Url("/park")] { return Get(url); });
  ASSERT_TRUE(parked.WaitFor(1));
  server->server().Stop();
  auto r = in_flight.get();
  EXPECT_FALSE(r.ok());
  Responder late = parked.Take();
  EXPECT_TRUE(late.client_gone());
  late.Send(Response::Text(200, "too late"));  // harmless after Stop
  server.reset();
}

TEST(Server, ServersSharingAPoolStopOneAtATime) {
  IoPool pool(1);
  auto log = std::make_shared<std::ostringstream>();
  auto logger = testing::MakeCapturingLogger(log);
  std::atomic<int> calls{0};
  auto router = EchoRouter();
  router->Add("GET", "/count", [&calls](const Request&, Responder r) {
    ++calls;
    r.Send(Response::Text(200, "counted"));
  });
  Server first(TestOptions(), router, logger, &pool);
  Server second(TestOptions(), router, logger, &pool);
  ASSERT_TRUE(first.Start().ok());
  ASSERT_TRUE(second.Start().ok());
  auto url = [](const Server& s, const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(s.port()) + path;
  };
  ASSERT_TRUE(Get(url(first, "/count")).ok());
  ASSERT_TRUE(Get(url(second, "/count")).ok());
  // A keep-alive connection that sends its request as Stop runs: its
  // handler is either called before Stop returns or never.
  RawClient racing(first.port());
  std::thread sender([&racing] { racing.Send("GET /count HTTP/1.1\r\nHost: x\r\n\r\n"); });
  first.Stop();
  sender.join();
  const int calls_at_stop = calls.load();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(calls.load(), calls_at_stop);
  EXPECT_FALSE(Get(url(first, "/count")).ok());
  // The pool still serves the other server.
  auto r = Get(url(second, "/hello/pool"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "hello pool");
  second.Stop();
  pool.Stop();
}

TEST(Server, StartRejectsHalfConfiguredTlsAndBusyPorts) {
  auto logger = testing::MakeCapturingLogger(std::make_shared<std::ostringstream>());
  HttpOptions options = TestOptions();
  options.tls_cert_file = "/nonexistent/cert.pem";
  Server half(options, EchoRouter(), logger);
  EXPECT_EQ(half.Start(), InvalidArgumentError("TLS needs both a certificate file and a key file"));

  options = TestOptions();
  options.host = "not-an-address";
  Server bad_host(options, EchoRouter(), logger);
  EXPECT_EQ(bad_host.Start(), InvalidArgumentError("invalid listen host 'not-an-address'"));

  TestServer first(EchoRouter());
  options = TestOptions();
  options.port = first.port();
  Server second(options, EchoRouter(), logger);
  Status status = second.Start();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("cannot bind 127.0.0.1:" + std::to_string(first.port())));
}

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::MakeSelfSignedCertificate(dir_.path()))
      GTEST_SKIP() << "openssl command unavailable";
    options_ = TestOptions();
    options_.tls_cert_file = (dir_.path() / "cert.pem").string();
    options_.tls_key_file = (dir_.path() / "key.pem").string();
  }
  TempDir dir_;
  HttpOptions options_;
};

TEST_F(TlsServerTest, ServesHttpsToAClientTrustingTheCertificate) {
  TestServer server(EchoRouter(), options_);
  ClientRequest request;
  request.url = server.Url("/hello/tls");
  ASSERT_EQ(request.url.substr(0, 8), "https://");
  ClientOptions client;
  client.ca_file = options_.tls_cert_file;
  auto r = Fetch(request, client);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello tls");
  // Keep-alive and POST bodies over TLS too.
  request.method = "POST";
  request.url = server.Url("/echo");
  request.body = std::string(100000, 'z');
  r = Fetch(request, client);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body.size(), 100000u);
}

TEST_F(TlsServerTest, ClientRejectsAnUntrustedCertificate) {
  TestServer server(EchoRouter(), options_);
  ClientRequest request;
  request.url = server.Url("/hello/tls");
  auto r = Fetch(request);  // system store: does not know our self-signed cert
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("TLS handshake with 127.0.0.1:"));
  ClientOptions insecure;
  insecure.verify_peer = false;
  auto unverified = Fetch(request, insecure);
  ASSERT_TRUE(unverified.ok()) << unverified.status();
  EXPECT_EQ(unverified->status, 200);
}

TEST_F(TlsServerTest, PlainHttpToTheTlsListenerIsDropped) {
  TestServer server(EchoRouter(), options_);
  auto r = Get("http://127.0.0.1:" + std::to_string(server.port()) + "/hello/a");
  EXPECT_FALSE(r.ok());
  auto good = Fetch({.url = server.Url("/hello/a")}, {.ca_file = options_.tls_cert_file});
  ASSERT_TRUE(good.ok()) << good.status();
}

}  // namespace
}  // namespace stepd::http

namespace stepd::http {
namespace {

// The access log (and the metrics) are written once the answer is out, so a
// client may read its answer first: wait for the count.
bool WaitForText(const metrics::Registry& registry, std::string_view text) {
  for (int i = 0; i < 500; ++i) {
    if (registry.Render().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(ServerMetrics, CountsRequestsByRouteTemplateNeverByPath) {
  metrics::Registry registry;
  auto out = std::make_shared<std::ostringstream>();
  Server server(testing::TestOptions(), EchoRouter(), testing::MakeCapturingLogger(out), nullptr,
                &registry);
  ASSERT_TRUE(server.Start().ok());
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  ASSERT_TRUE(Get(base + "/hello/alice").ok());
  ASSERT_TRUE(Get(base + "/hello/bob").ok());
  ASSERT_TRUE(Get(base + "/secret-looking-path-123").ok());
  ASSERT_TRUE(Get(base + "/echo").ok());  // 405
  ClientRequest request;
  request.method = "BREW";
  request.url = base + "/hello/x";
  ASSERT_TRUE(Fetch(request).ok());
  EXPECT_TRUE(WaitForText(
      registry,
      "stepd_http_requests_total{method=\"GET\",route=\"/hello/{name}\",status=\"200\"} 2\n"));
  EXPECT_TRUE(WaitForText(
      registry, "stepd_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n"));
  EXPECT_TRUE(WaitForText(
      registry,
      "stepd_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"405\"} 1\n"));
  // An unknown method is counted as "other" (and no route takes it).
  EXPECT_TRUE(WaitForText(registry, "method=\"other\",route=\"unmatched\",status=\"405\"} 1\n"));
  EXPECT_TRUE(WaitForText(
      registry,
      "stepd_http_request_duration_seconds_count{method=\"GET\",route=\"/hello/{name}\"} 2\n"));
  const std::string text = registry.Render();
  EXPECT_THAT(text, Not(HasSubstr("alice")));
  EXPECT_THAT(text, Not(HasSubstr("secret-looking-path")));
  server.Stop();
}

TEST(ServerMetrics, ARequestRefusedBeforeRoutingCountsUnderADash) {
  metrics::Registry registry;
  auto out = std::make_shared<std::ostringstream>();
  HttpOptions options = testing::TestOptions();
  options.header_limit_bytes = 256;
  Server server(options, EchoRouter(), testing::MakeCapturingLogger(out), nullptr, &registry);
  ASSERT_TRUE(server.Start().ok());
  testing::RawClient client(server.port());
  client.Send("GET /hello/a HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1000, 'a') +
              "\r\n\r\n");
  int status = 0;
  client.ReadResponse(&status);
  EXPECT_EQ(status, 431);
  EXPECT_TRUE(WaitForText(registry, "route=\"-\",status=\"431\"} 1\n"));
  server.Stop();
}

TEST(ServerLogContext, HandlersLogInTheRequestsContext) {
  auto router = std::make_shared<Router>();
  auto seen = std::make_shared<std::promise<std::string>>();
  router->Add("GET", "/who", [seen](const Request&, Responder responder) {
    seen->set_value(CurrentLogContext().request_id);
    responder.Send(Response::Text(200, "ok"));
  });
  testing::TestServer server(router);
  std::future<std::string> handler_context = seen->get_future();
  auto r = Get(server.Url("/who"), {{"X-Request-Id", "ctx-77"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(handler_context.get(), "ctx-77");
  EXPECT_EQ(CurrentLogContext().request_id, "");  // this thread's is untouched
}

}  // namespace
}  // namespace stepd::http
