#include "stepd/http/async_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>

#include "http_testing.h"
#include "stepd/base/json.h"
#include "stepd/http/io_pool.h"
#include "target_server_testing.h"

namespace stepd::http {
namespace {

using ::testing::HasSubstr;
using testing::TargetServer;
using namespace std::chrono_literals;

std::unique_ptr<AsyncClient> MakeClient(AsyncClientOptions options = {}) {
  auto client = AsyncClient::Create(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(client).value() : nullptr;
}

// Fetches and waits for the callback.
StatusOr<ClientResponse> FetchNow(AsyncClient& client, ClientRequest request) {
  std::promise<StatusOr<ClientResponse>> promise;
  auto future = promise.get_future();
  client.Fetch(std::move(request),
               [&promise](StatusOr<ClientResponse> r) { promise.set_value(std::move(r)); });
  if (future.wait_for(30s) != std::future_status::ready) {
    ADD_FAILURE() << "no answer within 30 s";
    return DeadlineExceededError("test gave up");
  }
  return future.get();
}

ClientRequest Get(std::string url) { return ClientRequest{.method = "GET", .url = std::move(url)}; }

// A listener that accepts connections and never answers; it can tell when
// the client closed a connection.
class SilentServer {
 public:
  SilentServer() : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {}
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // Accepts one connection, tells `got_request` once bytes arrived, and reads
  // until the peer closes it; true when it closed within `timeout`.
  bool AcceptAndWaitClosed(std::chrono::milliseconds timeout, std::promise<void>& got_request) {
    boost::asio::ip::tcp::socket socket(ioc_);
    acceptor_.accept(socket);
    ::timeval tv{static_cast<time_t>(timeout.count() / 1000),
                 static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buffer[4096];
    bool told = false;
    while (true) {
      ssize_t n = ::recv(socket.native_handle(), buffer, sizeof buffer, 0);
      if (n > 0 && !told) {
        got_request.set_value();
        told = true;
      }
      if (n == 0) return true;
      if (n < 0) return false;
    }
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

TEST(AsyncClient, SendsMethodHeadersAndBodyAndReadsTheWholeResponse) {
  TargetServer server;
  auto client = MakeClient({.user_agent = "stepd-test"});
  ClientRequest request{.method = "PUT", .url = server.Url("/echo/x?q=1")};
  request.headers.Add("X-Custom", "yes");
  request.body = "payload";
  auto r = FetchNow(*client, request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->reason, "OK");
  EXPECT_THAT(r->headers.Get("Content-Type").value_or(""), HasSubstr("application/json"));
  auto echo = ParseJson(r->body);
  ASSERT_TRUE(echo.ok()) << r->body;
  EXPECT_EQ((*echo)["method"], "PUT");
  EXPECT_EQ((*echo)["target"], "/echo/x?q=1");
  EXPECT_EQ((*echo)["body"], "payload");
  EXPECT_EQ((*echo)["headers"]["x-custom"], Json::array({"yes"}));
  EXPECT_EQ((*echo)["headers"]["user-agent"], Json::array({"stepd-test"}));
  EXPECT_EQ((*echo)["headers"]["host"],
            Json::array({"127.0.0.1:" + std::to_string(server.port())}));
  EXPECT_EQ((*echo)["headers"]["content-length"], Json::array({"7"}));
}

TEST(AsyncClient, ErrorStatusesAreResponsesNotErrors) {
  TargetServer server;
  auto client = MakeClient();
  auto r = FetchNow(*client, Get(server.Url("/status/404?body=gone")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->reason, "Not Found");
  EXPECT_EQ(r->body, "gone");
}

TEST(AsyncClient, TheCallbackNeverRunsInsideFetch) {
  auto client = MakeClient();
  std::promise<std::thread::id> called_on;
  // Refused before any I/O: the fastest possible answer.
  client->Fetch(Get("ftp://127.0.0.1/"), [&](StatusOr<ClientResponse> r) {
    EXPECT_EQ(r.status(),
              InvalidArgumentError("unsupported URL scheme 'ftp' (want http or https)"));
    called_on.set_value(std::this_thread::get_id());
  });
  auto future = called_on.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(future.get() != std::this_thread::get_id());
}

TEST(AsyncClient, RefusedConnectionIsUnavailable) {
  uint16_t port;
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }
  auto client = MakeClient();
  auto r = FetchNow(*client, Get("http://127.0.0.1:" + std::to_string(port) + "/secret?key=1"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(),
              HasSubstr("cannot connect to 127.0.0.1:" + std::to_string(port)));
  // The path and query may carry credentials: never in the message.
  EXPECT_THAT(r.status().message(), ::testing::Not(HasSubstr("secret")));
}

TEST(AsyncClient, AServerThatNeverAnswersTimesOutNamingThePhase) {
  SilentServer silent;
  auto client = MakeClient({.timeout = 300ms});
  auto r = FetchNow(*client, Get("http://127.0.0.1:" + std::to_string(silent.port()) + "/"));
  EXPECT_EQ(r.status(), DeadlineExceededError("response from 127.0.0.1:" +
                                              std::to_string(silent.port()) + " timed out"));
}

TEST(AsyncClient, ARequestsOwnTimeoutReplacesTheClients) {
  TargetServer server;
  auto client = MakeClient({.timeout = 30s});
  ClientRequest shorter = Get(server.Url("/delay/2000"));
  shorter.timeout = 200ms;
  auto r = FetchNow(*client, shorter);
  EXPECT_EQ(r.status(), DeadlineExceededError("response from 127.0.0.1:" +
                                              std::to_string(server.port()) + " timed out"));

  auto short_client = MakeClient({.timeout = 200ms});
  ClientRequest longer = Get(server.Url("/delay/400"));
  longer.timeout = 10s;
  auto waited = FetchNow(*short_client, longer);
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(waited->status, 200);
}

TEST(AsyncClient, CancelClosesTheConnectionAndAnswersCancelled) {
  SilentServer silent;
  auto client = MakeClient();
  std::promise<StatusOr<ClientResponse>> promise;
  const uint64_t id =
      client->Fetch(Get("http://127.0.0.1:" + std::to_string(silent.port()) + "/"),
                    [&promise](StatusOr<ClientResponse> r) { promise.set_value(std::move(r)); });
  std::promise<void> got_request;
  auto closed =
      std::async(std::launch::async, [&] { return silent.AcceptAndWaitClosed(10s, got_request); });
  ASSERT_EQ(got_request.get_future().wait_for(10s), std::future_status::ready);
  client->Cancel(id);
  EXPECT_TRUE(closed.get());
  auto future = promise.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(future.get().status(), CancelledError("the request was cancelled"));
  EXPECT_EQ(client->in_flight(), 0u);
  client->Cancel(id);  // finished: ignored
}

TEST(AsyncClient, ABodyOverTheLimitIsResourceExhausted) {
  TargetServer server;
  auto client = MakeClient({.max_response_bytes = 1000});
  EXPECT_TRUE(FetchNow(*client, Get(server.Url("/big/1000"))).ok());
  auto r = FetchNow(*client, Get(server.Url("/big/1001")));
  EXPECT_EQ(r.status(),
            ResourceExhaustedError("the response from 127.0.0.1:" + std::to_string(server.port()) +
                                   " exceeds 1000 bytes"));
}

TEST(AsyncClient, HeadReadsNoBody) {
  TargetServer server;
  auto client = MakeClient();
  auto r = FetchNow(*client, ClientRequest{.method = "HEAD", .url = server.Url("/big/5000")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");
}

TEST(AsyncClient, ARequestsMaxResponseBytesReplacesTheClients) {
  TargetServer server;
  auto small_client = MakeClient({.max_response_bytes = 1000});
  ClientRequest larger = Get(server.Url("/big/3000"));
  larger.max_response_bytes = 5000;
  auto r = FetchNow(*small_client, larger);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body.size(), 3000u);
  EXPECT_EQ(r->body_size, 3000u);

  auto client = MakeClient();
  for (const char* path : {"/big/1000", "/pattern/1000?chunked=1"}) {
    ClientRequest smaller = Get(server.Url(path));
    smaller.max_response_bytes = 100;
    EXPECT_EQ(FetchNow(*client, smaller).status(),
              ResourceExhaustedError("the response from 127.0.0.1:" +
                                     std::to_string(server.port()) + " exceeds 100 bytes"))
        << path;
  }
}

std::filesystem::perms PermissionsOf(const std::filesystem::path& path) {
  return std::filesystem::status(path).permissions() & std::filesystem::perms::all;
}

constexpr auto kOwnerReadWrite =
    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

TEST(AsyncClient, DownloadsAContentLengthBodyToAFile) {
  TargetServer server;
  testing::TempDir dir;
  auto client = MakeClient();  // 256 KiB in memory
  const size_t size = 24 * 1024 * 1024 + 3;
  ClientRequest request = Get(server.Url("/pattern/" + std::to_string(size)));
  request.response_body_file = (dir.path() / "download").string();
  request.max_response_bytes = 32 * 1024 * 1024;
  auto r = FetchNow(*client, request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers.Get("Content-Length"), std::to_string(size));
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->body_size, size);
  const std::string stored = testing::ReadFile(request.response_body_file);
  EXPECT_EQ(stored.size(), size);
  EXPECT_EQ(testing::FirstDifference(stored, testing::PatternBytes(size)), std::string::npos);
  EXPECT_EQ(PermissionsOf(request.response_body_file), kOwnerReadWrite);
}

TEST(AsyncClient, DownloadsAChunkedBodyToAFile) {
  TargetServer server;
  testing::TempDir dir;
  auto client = MakeClient();
  const size_t size = 21 * 1024 * 1024 + 77;
  ClientRequest request = Get(server.Url("/pattern/" + std::to_string(size) + "?chunked=1"));
  request.response_body_file = (dir.path() / "download").string();
  request.max_response_bytes = size;
  auto r = FetchNow(*client, request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->headers.Get("Transfer-Encoding"), "chunked");
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->body_size, size);
  const std::string stored = testing::ReadFile(request.response_body_file);
  EXPECT_EQ(stored.size(), size);
  EXPECT_EQ(testing::FirstDifference(stored, testing::PatternBytes(size)), std::string::npos);
}

TEST(AsyncClient, ADownloadTruncatesAnExistingFileAndMakesItPrivate) {
  TargetServer server;
  testing::TempDir dir;
  auto client = MakeClient();
  const std::filesystem::path path = dir.path() / "download";
  testing::WriteFile(path, std::string(5000, 'o'));
  std::filesystem::permissions(path, std::filesystem::perms::owner_all |
                                         std::filesystem::perms::group_read |
                                         std::filesystem::perms::others_read);
  ClientRequest request = Get(server.Url("/text"));
  request.response_body_file = path.string();
  auto r = FetchNow(*client, request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body_size, 11u);
  EXPECT_EQ(testing::ReadFile(path), "plain words");
  EXPECT_EQ(PermissionsOf(path), kOwnerReadWrite);
  // HEAD: no body, an empty file.
  request.method = "HEAD";
  request.url = server.Url("/big/5000");
  r = FetchNow(*client, request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body_size, 0u);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(testing::ReadFile(path), "");
}

TEST(AsyncClient, AFileThatCannotBeCreatedFailsBeforeAnythingIsSent) {
  TargetServer server;
  testing::TempDir dir;
  auto client = MakeClient();
  ClientRequest request = Get(server.Url("/text"));
  request.response_body_file = (dir.path() / "no-such-dir" / "download").string();
  auto r = FetchNow(*client, request);
  EXPECT_EQ(r.status(), InternalError("cannot create " + request.response_body_file +
                                      ": No such file or directory"));
  EXPECT_EQ(server.Count("/"), 0u);
}

TEST(AsyncClient, ADownloadKeepsOnlyTheFinalResponsesBody) {
  TargetServer server;
  testing::TempDir dir;
  ClientRequest request = Get(server.Url("/redirect/302?to=/pattern/5000"));
  request.response_body_file = (dir.path() / "download").string();
  auto following = MakeClient({.max_redirects = 1});
  auto r = FetchNow(*following, request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body_size, 5000u);
  EXPECT_EQ(testing::ReadFile(request.response_body_file), testing::PatternBytes(5000));
  // Not followed: the redirect is the final response.
  auto not_following = MakeClient();
  r = FetchNow(*not_following, request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(testing::ReadFile(request.response_body_file), "moved");
}

TEST(AsyncClient, ADownloadOverTheLimitRemovesTheFile) {
  TargetServer server;
  testing::TempDir dir;
  auto client = MakeClient();
  // Refused at the header block (Content-Length), or in the middle of a
  // chunked body, after its first chunks were written.
  for (const char* path : {"/pattern/2000000", "/pattern/2000000?chunked=1"}) {
    ClientRequest request = Get(server.Url(path));
    request.response_body_file = (dir.path() / "download").string();
    request.max_response_bytes = 50000;
    auto r = FetchNow(*client, request);
    EXPECT_EQ(r.status(),
              ResourceExhaustedError("the response from 127.0.0.1:" +
                                     std::to_string(server.port()) + " exceeds 50000 bytes"))
        << path;
    EXPECT_FALSE(std::filesystem::exists(request.response_body_file)) << path;
  }
}

TEST(AsyncClient, CancellingADownloadRemovesThePartialFile) {
  TargetServer server;
  testing::TempDir dir;
  auto client = MakeClient();
  ClientRequest request = Get(server.Url("/partial/200000"));
  request.response_body_file = (dir.path() / "download").string();
  std::promise<StatusOr<ClientResponse>> promise;
  const uint64_t id = client->Fetch(
      request, [&promise](StatusOr<ClientResponse> r) { promise.set_value(std::move(r)); });
  auto stored = [&request] {
    std::error_code ec;
    const auto size = std::filesystem::file_size(request.response_body_file, ec);
    return ec ? 0 : size;
  };
  for (int i = 0; i < 500 && stored() == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_GT(stored(), 0u);  // part of the body is in the file
  client->Cancel(id);
  auto future = promise.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(future.get().status(), CancelledError("the request was cancelled"));
  EXPECT_FALSE(std::filesystem::exists(request.response_body_file));
}

TEST(AsyncClient, ATimedOutOrCutDownloadRemovesThePartialFile) {
  TargetServer server;
  testing::TempDir dir;
  auto client = MakeClient();
  ClientRequest request = Get(server.Url("/partial/200000"));
  request.response_body_file = (dir.path() / "download").string();
  request.timeout = 500ms;
  auto r = FetchNow(*client, request);
  EXPECT_EQ(r.status(), DeadlineExceededError("response from 127.0.0.1:" +
                                              std::to_string(server.port()) + " timed out"));
  EXPECT_FALSE(std::filesystem::exists(request.response_body_file));

  request.url = server.Url("/truncated/200000");
  r = FetchNow(*client, request);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("reading the response from 127.0.0.1:"));
  EXPECT_FALSE(std::filesystem::exists(request.response_body_file));
}

class AsyncClientTls : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::MakeCertificate(dir_.path(), "IP:127.0.0.1,DNS:localhost")) {
      GTEST_SKIP() << "openssl command unavailable";
    }
  }
  std::string Cert() const { return (dir_.path() / "cert.pem").string(); }
  std::string Key() const { return (dir_.path() / "key.pem").string(); }
  testing::TempDir dir_;
};

TEST_F(AsyncClientTls, VerifiesTheServerAgainstTheConfiguredCa) {
  TargetServer server(Cert(), Key());
  auto client = MakeClient({.ca_file = Cert()});
  auto r = FetchNow(*client, Get(server.Url("/text")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "plain words");
  // By name too (SNI and the DNS name of the certificate).
  auto by_name =
      FetchNow(*client, Get("https://localhost:" + std::to_string(server.port()) + "/text"));
  ASSERT_TRUE(by_name.ok()) << by_name.status();
}

TEST_F(AsyncClientTls, ACertificateNoTrustedCaSignedIsRefused) {
  TargetServer server(Cert(), Key());
  auto client = MakeClient();  // the system store only
  auto r = FetchNow(*client, Get(server.Url("/text")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(),
              HasSubstr("TLS handshake with 127.0.0.1:" + std::to_string(server.port()) +
                        " failed: certificate verify failed ("));
  EXPECT_EQ(server.Count("/"), 0u);
}

TEST_F(AsyncClientTls, ACertificateForAnotherNameIsRefused) {
  testing::TempDir other;
  ASSERT_TRUE(testing::MakeCertificate(other.path(), "DNS:elsewhere.test"));
  TargetServer server((other.path() / "cert.pem").string(), (other.path() / "key.pem").string());
  auto client = MakeClient({.ca_file = (other.path() / "cert.pem").string()});
  auto r = FetchNow(*client, Get(server.Url("/text")));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("certificate verify failed (IP address mismatch)"));
}

TEST(AsyncClient, AMissingCaFileIsRefusedAtCreation) {
  auto client = AsyncClient::Create({.ca_file = "/nonexistent/ca.pem"});
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(client.status().message(), HasSubstr("cannot load CA file '/nonexistent/ca.pem'"));
}

TEST(AsyncClient, AMalformedPolicyIsRefusedAtCreation) {
  auto client = AsyncClient::Create({.policy = {.deny_hosts = {"10.0.0.0/99"}}});
  EXPECT_EQ(client.status().code(), StatusCode::kInvalidArgument);
}

TEST(AsyncClient, TheMetadataAddressIsRefusedWithoutConnecting) {
  auto client = MakeClient();
  auto r = FetchNow(*client, Get("http://169.254.169.254/latest/meta-data/"));
  EXPECT_EQ(r.status(), PermissionDeniedError("the host 169.254.169.254 (169.254.169.254) is a "
                                              "cloud metadata address, refused by the outbound "
                                              "policy"));
  auto mapped = FetchNow(*client, Get("http://[::ffff:169.254.169.254]/"));
  EXPECT_EQ(mapped.status().code(), StatusCode::kPermissionDenied);
}

TEST(AsyncClient, AddressesAreCheckedAfterResolvingTheName) {
  TargetServer server;
  auto client = MakeClient({.policy = {.deny_hosts = {"127.0.0.0/8", "::1"}}});
  auto r = FetchNow(*client, Get("http://localhost:" + std::to_string(server.port()) + "/text"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(), HasSubstr("the host localhost ("));
  EXPECT_THAT(r.status().message(), HasSubstr("is refused by the outbound deny list"));
  EXPECT_EQ(server.Count("/"), 0u);
}

TEST(AsyncClient, PlainHttpCanBeRefusedEvenOnLoopback) {
  TargetServer server;
  auto client = MakeClient({.policy = {.plain_http = PlainHttp::kNever}});
  auto r = FetchNow(*client, Get(server.Url("/text")));
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(server.Count("/"), 0u);
}

// A function endpoint from the operator's config is no workflow's choice:
// the policy that keeps definitions away from hosts does not apply to it,
// but it does to wherever that endpoint redirects.
TEST(AsyncClient, AnOperatorConfiguredUrlSkipsThePolicyOnItsFirstHopOnly) {
  TargetServer server;
  auto client =
      MakeClient({.max_redirects = 1,
                  .policy = {.deny_hosts = {"127.0.0.0/8"}, .plain_http = PlainHttp::kNever}});
  ClientRequest configured = Get(server.Url("/text"));
  configured.operator_configured_url = true;
  auto r = FetchNow(*client, configured);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "plain words");

  auto unconfigured = FetchNow(*client, Get(server.Url("/text")));
  EXPECT_EQ(unconfigured.status().code(), StatusCode::kPermissionDenied);

  ClientRequest redirected = Get(server.Url("/redirect/302?to=" + server.Url("/text")));
  redirected.operator_configured_url = true;
  auto hop = FetchNow(*client, redirected);
  EXPECT_EQ(hop.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(server.Count("/text"), 1u);
}

TEST(AsyncClient, RedirectsAreNotFollowedByDefault) {
  TargetServer server;
  auto client = MakeClient();
  auto r = FetchNow(*client, Get(server.Url("/redirect/302?to=/text")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->headers.Get("Location"), "/text");
  EXPECT_EQ(server.Count("/text"), 0u);
}

TEST(AsyncClient, RedirectsAreFollowedUpToTheLimitWithEachHopChecked) {
  TargetServer server;
  auto client = MakeClient({.max_redirects = 2});
  auto r = FetchNow(*client, Get(server.Url("/redirect/302?to=/redirect/301%3Fto%3D/text")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "plain words");

  auto too_many = FetchNow(
      *client,
      Get(server.Url("/redirect/302?to=/redirect/302%3Fto%3D/redirect/302%253Fto%253D/text")));
  ASSERT_TRUE(too_many.ok()) << too_many.status();
  EXPECT_EQ(too_many->status, 302);

  auto to_metadata =
      FetchNow(*client, Get(server.Url("/redirect/302?to=http://169.254.169.254/latest")));
  EXPECT_EQ(to_metadata.status().code(), StatusCode::kPermissionDenied);
}

TEST(AsyncClient, A303TurnsAPostIntoAGetWithoutBody) {
  TargetServer server;
  auto client = MakeClient({.max_redirects = 1});
  ClientRequest request{.method = "POST", .url = server.Url("/redirect/303?to=/echo")};
  request.headers.Add("Content-Type", "application/json");
  request.body = "{}";
  auto r = FetchNow(*client, request);
  ASSERT_TRUE(r.ok()) << r.status();
  auto echo = ParseJson(r->body);
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ((*echo)["method"], "GET");
  EXPECT_EQ((*echo)["body"], "");
  EXPECT_FALSE((*echo)["headers"].contains("content-type"));
}

TEST(AsyncClient, PrivateHeadersStayWithTheirHost) {
  TargetServer server;
  auto client = MakeClient({.max_redirects = 2});
  const std::string port = std::to_string(server.port());
  // 127.0.0.1 -> 127.0.0.1 keeps them; 127.0.0.1 -> localhost (another host
  // name, the same server) drops them.
  for (const auto& [to, kept] : std::vector<std::pair<std::string, bool>>{
           {"/echo", true}, {"http://localhost:" + port + "/echo", false}}) {
    ClientRequest request = Get(server.Url("/redirect/307?to=" + to));
    request.headers.Add("X-Api-Key", "sekrit");
    request.headers.Add("Authorization", "Bearer t");
    request.headers.Add("X-Public", "p");
    request.private_headers = {"X-Api-Key"};
    auto r = FetchNow(*client, request);
    ASSERT_TRUE(r.ok()) << r.status();
    auto echo = ParseJson(r->body);
    ASSERT_TRUE(echo.ok()) << r->body;
    EXPECT_EQ((*echo)["headers"].contains("x-api-key"), kept) << to;
    EXPECT_EQ((*echo)["headers"].contains("authorization"), kept) << to;
    EXPECT_TRUE((*echo)["headers"].contains("x-public")) << to;
  }
  // A body would travel with the credentials' request: not followed.
  ClientRequest post{.method = "POST",
                     .url = server.Url("/redirect/307?to=http://localhost:" + port + "/echo")};
  post.headers.Add("X-Api-Key", "sekrit");
  post.private_headers = {"X-Api-Key"};
  post.body = "{\"card\":1}";
  auto r = FetchNow(*client, post);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 307);
}

TEST(AsyncClient, ManyRequestsAreInFlightAtOnceOnOneIoThread) {
  TargetServer server;
  auto client = MakeClient({.io_threads = 1});
  constexpr int kRequests = 300;
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0, cancelled = 0;
  auto count = [&](StatusOr<ClientResponse> r) {
    std::lock_guard lock(mu);
    answered += r.ok() && r->status == 200 ? 1 : 0;
    cancelled += r.status().code() == StatusCode::kCancelled ? 1 : 0;
    cv.notify_all();
  };
  for (int i = 0; i < kRequests; ++i) client->Fetch(Get(server.Url("/delay/200")), count);
  // The server never answers /hang: all of these can only reach it if they
  // are in flight together.
  for (int i = 0; i < kRequests; ++i) client->Fetch(Get(server.Url("/hang")), count);
  EXPECT_TRUE(server.WaitFor("/hang", kRequests, 60s));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 60s, [&] { return answered == kRequests; }));
  }
  EXPECT_EQ(client->in_flight(), static_cast<size_t>(kRequests));
  client->Stop();
  std::lock_guard lock(mu);
  EXPECT_EQ(cancelled, kRequests);
}

TEST(AsyncClient, StopCancelsWhatIsInFlightAndRefusesLaterFetches) {
  SilentServer silent;
  auto client = MakeClient();
  std::promise<StatusOr<ClientResponse>> promise;
  client->Fetch(Get("http://127.0.0.1:" + std::to_string(silent.port()) + "/"),
                [&promise](StatusOr<ClientResponse> r) { promise.set_value(std::move(r)); });
  client->Stop();
  auto future = promise.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(future.get().status().code(), StatusCode::kCancelled);
  StatusOr<ClientResponse> late = InternalError("not called");
  client->Fetch(Get("http://127.0.0.1:1/"), [&late](StatusOr<ClientResponse> r) { late = r; });
  EXPECT_EQ(late.status(), UnavailableError("the HTTP client is stopped"));
}

TEST(AsyncClient, OnASharedPoolStopCancelsItsOwnRequestsOnly) {
  TargetServer server;
  SilentServer silent;
  IoPool pool(1);
  auto first = AsyncClient::Create({}, &pool);
  auto second = AsyncClient::Create({}, &pool);
  ASSERT_TRUE(first.ok() && second.ok());
  std::promise<StatusOr<ClientResponse>> promise;
  (*first)->Fetch(Get("http://127.0.0.1:" + std::to_string(silent.port()) + "/"),
                  [&promise](StatusOr<ClientResponse> r) { promise.set_value(std::move(r)); });
  (*first)->Stop();  // returns once the callback has run
  auto future = promise.get_future();
  ASSERT_EQ(future.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(future.get().status().code(), StatusCode::kCancelled);
  EXPECT_EQ((*first)->in_flight(), 0u);
  // The pool goes on: the other client still fetches on it.
  auto r = FetchNow(**second, Get(server.Url("/status/200")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  first->reset();
  (*second)->Stop();
  pool.Stop();
}

}  // namespace
}  // namespace stepd::http
