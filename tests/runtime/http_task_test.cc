#include "stepd/runtime/http_task.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <future>
#include <thread>

#include "http/http_testing.h"
#include "http/target_server_testing.h"

namespace stepd::runtime {
namespace {

using http::testing::TargetServer;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr char kConnection[] = "arn:aws:events:us-east-1:123456789012:connection/api/1234";

// The Connections store's in-memory twin: answers from a table, at once or
// when told (Release), and records Invalidate calls.
class TableConnections : public ConnectionResolver {
 public:
  void Set(std::string arn, StatusOr<ResolvedConnection> answer) {
    std::lock_guard lock(mu_);
    answers_.insert_or_assign(std::move(arn), std::move(answer));
  }
  void HoldAnswers() { hold_ = true; }
  // Answers the held Resolve calls.
  void Release() {
    std::vector<std::pair<std::string, ConnectionDone>> held;
    {
      std::lock_guard lock(mu_);
      held.swap(held_);
    }
    for (auto& [arn, done] : held) done(Answer(arn));
  }
  void Resolve(std::string_view arn, ConnectionDone done) override {
    if (hold_) {
      std::lock_guard lock(mu_);
      held_.emplace_back(std::string(arn), std::move(done));
      return;
    }
    done(Answer(std::string(arn)));
  }
  void Invalidate(std::string_view arn) override {
    std::lock_guard lock(mu_);
    invalidated_.emplace_back(arn);
  }
  std::vector<std::string> invalidated() const {
    std::lock_guard lock(mu_);
    return invalidated_;
  }

 private:
  StatusOr<ResolvedConnection> Answer(const std::string& arn) {
    std::lock_guard lock(mu_);
    auto it = answers_.find(arn);
    if (it == answers_.end()) return NotFoundError("Connection '" + arn + "' does not exist");
    return it->second;
  }
  mutable std::mutex mu_;
  std::map<std::string, StatusOr<ResolvedConnection>> answers_;
  std::vector<std::pair<std::string, ConnectionDone>> held_;
  std::vector<std::string> invalidated_;
  std::atomic<bool> hold_ = false;
};

class HttpTask : public ::testing::Test {
 protected:
  HttpTask() { client_ = MakeClient({}); }
  ~HttpTask() override {
    if (client_) client_->Stop();
  }

  static std::unique_ptr<http::AsyncClient> MakeClient(http::AsyncClientOptions options) {
    auto client = http::AsyncClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  static TaskCall Call(Json parameters, int64_t task_id = 1,
                       std::string resource = std::string(kHttpInvokeResource)) {
    TaskCall call;
    call.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:m:e";
    call.request.task_id = task_id;
    call.request.resource = std::move(resource);
    call.request.parameters = std::move(parameters);
    return call;
  }

  // Invokes and waits for the outcome.
  asl::AslResult<Json> Run(const Json& parameters, HttpTaskExecutor* executor = nullptr) {
    HttpTaskExecutor local(client_.get(), &connections_);
    std::promise<asl::AslResult<Json>> promise;
    (executor ? executor : &local)->Invoke(Call(parameters), [&](asl::AslResult<Json> r) {
      promise.set_value(std::move(r));
    });
    auto future = promise.get_future();
    if (future.wait_for(30s) != std::future_status::ready) {
      ADD_FAILURE() << "no outcome within 30 s";
      return asl::AslError{"test", "gave up"};
    }
    return future.get();
  }

  // The request the echo route saw, from a successful result.
  static Json Echoed(const asl::AslResult<Json>& result) {
    if (!result.ok()) {
      ADD_FAILURE() << result.error().error << ": " << result.error().cause;
      return Json();
    }
    return result.value()["ResponseBody"];
  }

  static std::string ErrorOf(const asl::AslResult<Json>& result) {
    return result.ok() ? "(succeeded)" : result.error().error;
  }

  TargetServer server_;
  TableConnections connections_;
  std::unique_ptr<http::AsyncClient> client_;
};

// --- Results -----------------------------------------------------------------

TEST_F(HttpTask, AJsonResponseIsTheResultWithHeadersStatusCodeAndText) {
  auto result = Run({{"ApiEndpoint", server_.Url("/echo")}, {"Method", "GET"}});
  ASSERT_TRUE(result.ok()) << result.error().cause;
  const Json& r = result.value();
  std::vector<std::string> keys;
  for (const auto& [key, value] : r.items()) keys.push_back(key);
  EXPECT_THAT(keys, ::testing::ElementsAre("Headers", "ResponseBody", "StatusCode", "StatusText"));
  EXPECT_EQ(r["StatusCode"], 200);
  EXPECT_EQ(r["StatusText"], "OK");
  EXPECT_EQ(r["Headers"]["content-type"], Json::array({"application/json"}));
  EXPECT_TRUE(r["Headers"]["content-length"].is_array());
  EXPECT_EQ(r["ResponseBody"]["method"], "GET");
  EXPECT_EQ(r["ResponseBody"]["target"], "/echo");
}

TEST_F(HttpTask, ANonJsonResponseBodyIsAString) {
  auto result = Run({{"ApiEndpoint", server_.Url("/text")}, {"Method", "GET"}});
  ASSERT_TRUE(result.ok()) << result.error().cause;
  EXPECT_EQ(result.value()["ResponseBody"], "plain words");
}

TEST_F(HttpTask, ABodyLabelledJsonThatDoesNotParseStaysAString) {
  auto result =
      Run({{"ApiEndpoint", server_.Url("/status/200?body=not%20json&type=application/json")},
           {"Method", "GET"}});
  ASSERT_TRUE(result.ok()) << result.error().cause;
  EXPECT_EQ(result.value()["ResponseBody"], "not json");
}

TEST_F(HttpTask, PlusJsonMediaTypesAreParsed) {
  auto result =
      Run({{"ApiEndpoint",
            server_.Url("/status/200?body=%7B%22a%22%3A1%7D&type=application/problem%2Bjson")},
           {"Method", "GET"}});
  ASSERT_TRUE(result.ok()) << result.error().cause;
  EXPECT_EQ(result.value()["ResponseBody"], Json({{"a", 1}}));
}

TEST_F(HttpTask, HeaderBytesThatAreNotUtf8AreReplaced) {
  auto result = Run({{"ApiEndpoint", server_.Url("/status/200?header=caf%E9")}, {"Method", "GET"}});
  ASSERT_TRUE(result.ok()) << result.error().cause;
  EXPECT_EQ(result.value()["Headers"]["x-extra"], Json::array({"caf?"}));
}

TEST_F(HttpTask, AnErrorStatusIsStatesHttpStatusCodeWithTheResponseAsItsCause) {
  for (int code : {400, 404, 429, 500, 503}) {
    auto result =
        Run({{"ApiEndpoint", server_.Url("/status/" + std::to_string(code) + "?body=gone")},
             {"Method", "GET"}});
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().error, "States.Http.StatusCode." + std::to_string(code));
    auto cause = ParseJson(result.error().cause);
    ASSERT_TRUE(cause.ok()) << result.error().cause;
    EXPECT_EQ((*cause)["StatusCode"], code);
    EXPECT_EQ((*cause)["StatusText"], http::ReasonPhrase(code));
    EXPECT_EQ((*cause)["ResponseBody"], "gone");
  }
}

TEST_F(HttpTask, ARedirectIsAnErrorStatusWhenNotFollowed) {
  auto result = Run({{"ApiEndpoint", server_.Url("/redirect/302?to=/text")}, {"Method", "GET"}});
  EXPECT_EQ(ErrorOf(result), "States.Http.StatusCode.302");
}

TEST_F(HttpTask, ALongErrorBodyIsCutInTheCause) {
  auto result = Run({{"ApiEndpoint", server_.Url("/big/100000?status=500")}, {"Method", "GET"}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().error, "States.Http.StatusCode.500");
  EXPECT_LE(result.error().cause.size(), 32u * 1024);
  auto cause = ParseJson(result.error().cause);
  ASSERT_TRUE(cause.ok());
  EXPECT_EQ((*cause)["ResponseBody"], std::string(16 * 1024, 'x') + "...");
}

// --- Requests ----------------------------------------------------------------

TEST_F(HttpTask, TheRequestCarriesMethodQueryHeadersAndAJsonBody) {
  Json echo = Echoed(Run(
      {{"ApiEndpoint", server_.Url("/echo/path?fixed=1#fragment")},
       {"Method", "POST"},
       {"Headers", {{"X-Trace", "t-1"}, {"X-Multi", {1, "two"}}}},
       {"QueryParameters", {{"q", "a b&c"}, {"tag", {"x", "y"}}, {"n", 5}, {"f", {{"k", "v"}}}}},
       {"RequestBody", {{"a", 1}, {"b", {true, nullptr}}}}}));
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["target"], "/echo/path?fixed=1&q=a%20b%26c&tag=x&tag=y&n=5&f%5Bk%5D=v");
  EXPECT_EQ(echo["headers"]["x-trace"], Json::array({"t-1"}));
  EXPECT_EQ(echo["headers"]["x-multi"], Json::array({"1", "two"}));
  EXPECT_EQ(echo["headers"]["content-type"], Json::array({"application/json; charset=UTF-8"}));
  EXPECT_EQ(echo["body"], R"({"a":1,"b":[true,null]})");
}

TEST_F(HttpTask, AQueryStringIsAppendedAsItIs) {
  Json echo = Echoed(Run({{"ApiEndpoint", server_.Url("/echo")},
                          {"Method", "GET"},
                          {"QueryParameters", "a=1&b=%20"}}));
  EXPECT_EQ(echo["target"], "/echo?a=1&b=%20");
}

TEST_F(HttpTask, AStringBodyIsSentAsItIs) {
  Json echo = Echoed(
      Run({{"ApiEndpoint", server_.Url("/echo")}, {"Method", "PUT"}, {"RequestBody", "<xml/>"}}));
  EXPECT_EQ(echo["body"], "<xml/>");
  EXPECT_EQ(echo["headers"]["content-type"], Json::array({"text/plain; charset=UTF-8"}));
}

TEST_F(HttpTask, TheTasksContentTypeWins) {
  Json echo = Echoed(Run({{"ApiEndpoint", server_.Url("/echo")},
                          {"Method", "POST"},
                          {"Headers", {{"content-type", "application/vnd.api+json"}}},
                          {"RequestBody", {{"a", 1}}}}));
  EXPECT_EQ(echo["headers"]["content-type"], Json::array({"application/vnd.api+json"}));
}

TEST_F(HttpTask, UrlEncodedBodiesEncodeArraysAsConfigured) {
  const Json body = {{"name", "a b"},
                     {"tags", {"x", "y"}},
                     {"meta", {{"order_details", "monthly report"}}},
                     {"n", 1},
                     {"ok", true}};
  const std::string common = "name=a%20b&";
  const std::string rest = "&meta%5Border_details%5D=monthly%20report&n=1&ok=true";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "tags%5B0%5D=x&tags%5B1%5D=y"},
      {"INDICES", "tags%5B0%5D=x&tags%5B1%5D=y"},
      {"REPEAT", "tags=x&tags=y"},
      {"COMMAS", "tags=x,y"},
      {"BRACKETS", "tags%5B%5D=x&tags%5B%5D=y"},
  };
  for (const auto& [format, tags] : cases) {
    Json transform = {{"RequestBodyEncoding", "URL_ENCODED"}};
    if (!format.empty()) transform["RequestEncodingOptions"] = {{"ArrayFormat", format}};
    Json echo = Echoed(Run({{"ApiEndpoint", server_.Url("/echo")},
                            {"Method", "POST"},
                            {"RequestBody", body},
                            {"Transform", transform}}));
    EXPECT_EQ(echo["body"], common + tags + rest) << format;
    EXPECT_EQ(echo["headers"]["content-type"], Json::array({"application/x-www-form-urlencoded"}))
        << format;
  }
}

TEST_F(HttpTask, UrlEncodingNestsObjectsInsideArraysByIndex) {
  Json echo = Echoed(Run({{"ApiEndpoint", server_.Url("/echo")},
                          {"Method", "POST"},
                          {"RequestBody", {{"items", {{{"id", 1}}, {{"id", 2}}}}}},
                          {"Transform",
                           {{"RequestBodyEncoding", "URL_ENCODED"},
                            {"RequestEncodingOptions", {{"ArrayFormat", "REPEAT"}}}}}}));
  EXPECT_EQ(echo["body"], "items%5B0%5D%5Bid%5D=1&items%5B1%5D%5Bid%5D=2");
}

TEST_F(HttpTask, RefusedHeadersFailWithStatesRuntimeBeforeAnythingIsSent) {
  for (const char* name : {"Authorization", "host", "Content-Length", "Transfer-Encoding",
                           "x-amz-date", "X-Amzn-Trace-Id", "X-Forwarded-For", "Cookie2-no"}) {
    auto result =
        Run({{"ApiEndpoint", server_.Url("/echo")}, {"Method", "GET"}, {"Headers", {{name, "v"}}}});
    if (std::string_view(name) == "Cookie2-no") {
      EXPECT_TRUE(result.ok()) << "an ordinary header";
      continue;
    }
    ASSERT_FALSE(result.ok()) << name;
    EXPECT_EQ(result.error(),
              (asl::AslError{"States.Runtime", "The header '" + std::string(name) +
                                                   "' is not allowed in an HTTP task"}));
  }
  EXPECT_EQ(server_.Count("/"), 1u);  // only the ordinary one
}

TEST_F(HttpTask, MalformedParametersFailWithStatesRuntimeNamingTheField) {
  const std::string url = server_.Url("/echo");
  const std::vector<std::pair<Json, std::string>> cases = {
      {Json::array(), "The HTTP task's parameters must be a JSON object"},
      {{{"Method", "GET"}},
       "The HTTP task's ApiEndpoint is required and must be a non-empty string"},
      {{{"ApiEndpoint", "ftp://x/"}, {"Method", "GET"}},
       "The HTTP task's ApiEndpoint must be an https:// URL (or http:// where the outbound policy "
       "allows it)"},
      {{{"ApiEndpoint", url}, {"Method", "get"}},
       "The HTTP task's Method is required and must be one of GET, POST, PUT, DELETE, PATCH, "
       "OPTIONS, HEAD"},
      {{{"ApiEndpoint", url}, {"Method", "GET"}, {"Body", 1}},
       "The field 'Body' is not supported by the HTTP task (arn:aws:states:::http:invoke)"},
      {{{"ApiEndpoint", url}, {"Method", "GET"}, {"Headers", "X: y"}},
       "The HTTP task's Headers must be a JSON object"},
      {{{"ApiEndpoint", url}, {"Method", "GET"}, {"Headers", {{"X", {{"a", 1}}}}}},
       "The header 'X' must be a string, number or boolean, or an array of them"},
      {{{"ApiEndpoint", url}, {"Method", "GET"}, {"Headers", {{"Bad Name", "v"}}}},
       "The header name 'Bad Name' is not a valid HTTP field name"},
      {{{"ApiEndpoint", url}, {"Method", "GET"}, {"Headers", {{"X", "a\r\nInjected: 1"}}}},
       "The value of the header 'X' contains a line break"},
      {{{"ApiEndpoint", url}, {"Method", "GET"}, {"QueryParameters", 3}},
       "The HTTP task's QueryParameters must be a JSON object or a string"},
      {{{"ApiEndpoint", url}, {"Method", "GET"}, {"QueryParameters", "a b"}},
       "The HTTP task's QueryParameters string must be URL-encoded (no spaces, control characters "
       "or '#')"},
      {{{"ApiEndpoint", url},
        {"Method", "POST"},
        {"Transform", {{"RequestEncodingOptions", {{"ArrayFormat", "PIPES"}}}}}},
       "Transform.RequestEncodingOptions.ArrayFormat must be INDICES, REPEAT, COMMAS or BRACKETS"},
      {{{"ApiEndpoint", url}, {"Method", "POST"}, {"Transform", {{"RequestBodyEncoding", "JSON"}}}},
       "Transform.RequestBodyEncoding must be NONE or URL_ENCODED"},
      {{{"ApiEndpoint", url},
        {"Method", "POST"},
        {"RequestBody", "a=b"},
        {"Transform", {{"RequestBodyEncoding", "URL_ENCODED"}}}},
       "Transform.RequestBodyEncoding URL_ENCODED needs a RequestBody that is a JSON object"},
      {{{"ApiEndpoint", url},
        {"Method", "GET"},
        {"Authentication", {{"ConnectionArn", kConnection}}},
        {"InvocationConfig", {{"ConnectionArn", kConnection}}}},
       "The HTTP task takes its connection from Authentication or InvocationConfig, not both"},
      {{{"ApiEndpoint", url}, {"Method", "GET"}, {"Authentication", {{"Arn", kConnection}}}},
       "The HTTP task's Authentication must be an object with one field, ConnectionArn, a "
       "non-empty string"},
  };
  for (const auto& [parameters, cause] : cases) {
    auto result = Run(parameters);
    ASSERT_FALSE(result.ok()) << parameters.dump();
    EXPECT_EQ(result.error(), (asl::AslError{"States.Runtime", cause})) << parameters.dump();
  }
  EXPECT_EQ(server_.Count("/"), 0u);
}

TEST_F(HttpTask, OnlyTheRequestResponsePatternIsSupported) {
  HttpTaskExecutor executor(client_.get(), &connections_);
  for (const std::string suffix : {".waitForTaskToken", ".sync"}) {
    std::promise<asl::AslResult<Json>> promise;
    executor.Invoke(Call({{"ApiEndpoint", server_.Url("/echo")}, {"Method", "GET"}}, 1,
                         std::string(kHttpInvokeResource) + suffix),
                    [&](asl::AslResult<Json> r) { promise.set_value(std::move(r)); });
    auto result = promise.get_future().get();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(),
              (asl::AslError{"States.Runtime",
                             "The resource 'arn:aws:states:::http:invoke" + suffix +
                                 "' is not supported: HTTP tasks run request-response only "
                                 "(arn:aws:states:::http:invoke)"}));
  }
  EXPECT_EQ(server_.Count("/"), 0u);
}

// --- Connections --------------------------------------------------------------

ResolvedConnection ApiKeyConnection() {
  ResolvedConnection c;
  c.headers = {{"x-api-key", "SEKRIT-KEY", true}, {"Header-Param", "connection_header", false}};
  c.query_string = {{"QueryParam", "connection_query", false}, {"token", "SEKRIT-Q", true}};
  c.body = {{"BodyParam", "connection_body", false}};
  return c;
}

TEST_F(HttpTask, AConnectionsParametersAreMergedAndWinOverTheTasks) {
  connections_.Set(kConnection, ApiKeyConnection());
  for (const char* field : {"Authentication", "InvocationConfig"}) {
    Json echo = Echoed(Run({{"ApiEndpoint", server_.Url("/echo")},
                            {"Method", "POST"},
                            {field, {{"ConnectionArn", kConnection}}},
                            {"Headers", {{"header-param", "task"}, {"Request-Id", "r-1"}}},
                            {"QueryParameters", {{"QueryParam", "task"}, {"other", "x"}}},
                            {"RequestBody", {{"Job", "Engineer"}, {"BodyParam", "task"}}}}));
    EXPECT_EQ(echo["headers"]["x-api-key"], Json::array({"SEKRIT-KEY"})) << field;
    EXPECT_EQ(echo["headers"]["header-param"], Json::array({"connection_header"})) << field;
    EXPECT_EQ(echo["headers"]["request-id"], Json::array({"r-1"})) << field;
    EXPECT_EQ(echo["target"], "/echo?other=x&QueryParam=connection_query&token=SEKRIT-Q") << field;
    EXPECT_EQ(echo["body"], R"({"Job":"Engineer","BodyParam":"connection_body"})") << field;
  }
}

TEST_F(HttpTask, ConnectionBodyParametersAloneMakeTheBody) {
  connections_.Set(kConnection, ApiKeyConnection());
  Json echo = Echoed(Run({{"ApiEndpoint", server_.Url("/echo")},
                          {"Method", "POST"},
                          {"Authentication", {{"ConnectionArn", kConnection}}},
                          {"Transform", {{"RequestBodyEncoding", "URL_ENCODED"}}}}));
  EXPECT_EQ(echo["body"], "BodyParam=connection_body");
}

TEST_F(HttpTask, AStringBodyCannotTakeAConnectionsBodyParameters) {
  connections_.Set(kConnection, ApiKeyConnection());
  auto result = Run({{"ApiEndpoint", server_.Url("/echo")},
                     {"Method", "POST"},
                     {"Authentication", {{"ConnectionArn", kConnection}}},
                     {"RequestBody", "text"}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(),
            (asl::AslError{"States.Runtime",
                           "The RequestBody is not a JSON object, so the "
                           "connection's body parameters cannot be merged into it"}));
}

TEST_F(HttpTask, AConnectionThatCannotBeUsedIsNamedAsEventBridgeNamesIt) {
  connections_.Set("arn:deauthorized", FailedPreconditionError("the connection is DEAUTHORIZED"));
  connections_.Set("arn:denied", PermissionDeniedError("no"));
  connections_.Set("arn:token", UnavailableError("the token endpoint refused the credentials"));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"arn:missing", "Events.ConnectionResource.ResourceNotFound"},
      {"arn:deauthorized", "Events.ConnectionResource.InvalidConnectionState"},
      {"arn:denied", "Events.ConnectionResource.AccessDenied"},
      {"arn:token", "Events.ConnectionResource.InternalError"},
  };
  for (const auto& [arn, error] : cases) {
    auto result = Run({{"ApiEndpoint", server_.Url("/echo")},
                       {"Method", "GET"},
                       {"Authentication", {{"ConnectionArn", arn}}}});
    EXPECT_EQ(ErrorOf(result), error);
  }
  auto result = Run({{"ApiEndpoint", server_.Url("/echo")},
                     {"Method", "GET"},
                     {"Authentication", {{"ConnectionArn", "arn:deauthorized"}}}});
  EXPECT_EQ(result.error().cause,
            "The connection 'arn:deauthorized' cannot be used: the connection is DEAUTHORIZED");
  // A reason that names the connection already does not name it twice.
  connections_.Set("arn:named", FailedPreconditionError("connection 'arn:named' is DEAUTHORIZED"));
  result = Run({{"ApiEndpoint", server_.Url("/echo")},
                {"Method", "GET"},
                {"Authentication", {{"ConnectionArn", "arn:named"}}}});
  EXPECT_EQ(result.error().cause,
            "The connection cannot be used: connection 'arn:named' is DEAUTHORIZED");
  EXPECT_EQ(server_.Count("/"), 0u);
}

TEST_F(HttpTask, A401InvalidatesTheConnectionsCachedToken) {
  connections_.Set(kConnection, ApiKeyConnection());
  auto result = Run({{"ApiEndpoint", server_.Url("/status/401")},
                     {"Method", "GET"},
                     {"Authentication", {{"ConnectionArn", kConnection}}}});
  EXPECT_EQ(ErrorOf(result), "States.Http.StatusCode.401");
  EXPECT_THAT(connections_.invalidated(), ::testing::ElementsAre(kConnection));
  (void)Run({{"ApiEndpoint", server_.Url("/status/403")},
             {"Method", "GET"},
             {"Authentication", {{"ConnectionArn", kConnection}}}});
  EXPECT_EQ(connections_.invalidated().size(), 1u);
}

TEST_F(HttpTask, WithoutAConnectionsStoreANamedConnectionFails) {
  HttpTaskExecutor executor(client_.get(), nullptr);
  auto result = Run({{"ApiEndpoint", server_.Url("/echo")},
                     {"Method", "GET"},
                     {"Authentication", {{"ConnectionArn", kConnection}}}},
                    &executor);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(),
            (asl::AslError{"States.Runtime", std::string("The connection '") + kConnection +
                                                 "' cannot be used: this stepd has no "
                                                 "Connections store"}));
}

TEST_F(HttpTask, ConnectionSecretsNeverReachACause) {
  connections_.Set(kConnection, ApiKeyConnection());
  uint16_t closed_port;
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    closed_port = acceptor.local_endpoint().port();
  }
  for (const std::string& url : {"http://127.0.0.1:" + std::to_string(closed_port) + "/x",
                                 server_.Url("/status/500?body=nope")}) {
    auto result = Run({{"ApiEndpoint", url},
                       {"Method", "POST"},
                       {"Authentication", {{"ConnectionArn", kConnection}}},
                       {"RequestBody", {{"a", 1}}}});
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().cause, Not(HasSubstr("SEKRIT"))) << url;
  }
}

// --- Failures of the exchange -------------------------------------------------

TEST_F(HttpTask, ARefusedConnectionIsStatesHttpSocket) {
  uint16_t port;
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }
  auto result =
      Run({{"ApiEndpoint", "http://127.0.0.1:" + std::to_string(port) + "/"}, {"Method", "GET"}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().error, "States.Http.Socket");
  EXPECT_THAT(result.error().cause,
              HasSubstr("cannot connect to 127.0.0.1:" + std::to_string(port)));
}

TEST_F(HttpTask, TheClientsTimeoutIsStatesHttpSocket) {
  auto client = MakeClient({.timeout = 300ms});
  HttpTaskExecutor executor(client.get(), nullptr);
  auto result = Run({{"ApiEndpoint", server_.Url("/hang")}, {"Method", "GET"}}, &executor);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(
      result.error(),
      (asl::AslError{"States.Http.Socket",
                     "response from 127.0.0.1:" + std::to_string(server_.port()) + " timed out"}));
  client->Stop();
}

TEST_F(HttpTask, TheMetadataServiceIsStatesPermissions) {
  auto result =
      Run({{"ApiEndpoint", "http://169.254.169.254/latest/meta-data/iam/"}, {"Method", "GET"}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(),
            (asl::AslError{"States.Permissions",
                           "the host 169.254.169.254 (169.254.169.254) is a cloud metadata "
                           "address, refused by the outbound policy"}));
}

TEST_F(HttpTask, UnsupportedResponsesFailWithStatesRuntime) {
  for (const char* type : {"image/png", "application/octet-stream", "audio/ogg", "video/mp4"}) {
    auto result =
        Run({{"ApiEndpoint", server_.Url(std::string("/bytes?type=") + type)}, {"Method", "GET"}});
    ASSERT_FALSE(result.ok()) << type;
    EXPECT_EQ(result.error(),
              (asl::AslError{"States.Runtime", std::string("The response has Content-Type ") +
                                                   type + ", which HTTP tasks do not support"}));
  }
  auto binary = Run({{"ApiEndpoint", server_.Url("/bytes?type=text/plain")}, {"Method", "GET"}});
  ASSERT_FALSE(binary.ok());
  EXPECT_EQ(binary.error(),
            (asl::AslError{"States.Runtime",
                           "The response body is not valid UTF-8 text, which HTTP tasks do not "
                           "support"}));
}

TEST_F(HttpTask, AResponseOverTheLimitIsDataLimitExceeded) {
  auto client = MakeClient({.max_response_bytes = 100});
  HttpTaskExecutor executor(client.get(), nullptr);
  auto result = Run({{"ApiEndpoint", server_.Url("/big/101")}, {"Method", "GET"}}, &executor);
  EXPECT_EQ(ErrorOf(result), "States.DataLimitExceeded");
  client->Stop();
}

// --- Cancel ------------------------------------------------------------------

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST_F(HttpTask, CancelAbortsTheRequestAndDropsItsOutcome) {
  HttpTaskExecutor executor(client_.get(), nullptr);
  std::atomic<int> outcomes = 0;
  const TaskCall call = Call({{"ApiEndpoint", server_.Url("/hang")}, {"Method", "GET"}});
  executor.Invoke(call, [&](asl::AslResult<Json>) { ++outcomes; });
  ASSERT_TRUE(server_.WaitFor("/hang", 1));
  EXPECT_EQ(executor.in_flight(), 1u);
  executor.Cancel(call);
  EXPECT_EQ(executor.in_flight(), 0u);
  // The client's callback ran (with CANCELLED) and was dropped.
  EXPECT_TRUE(WaitUntil([&] { return client_->in_flight() == 0; }));
  EXPECT_EQ(outcomes, 0);
  executor.Cancel(call);  // nothing left: ignored
}

TEST_F(HttpTask, CancelWhileTheConnectionResolvesSendsNothing) {
  connections_.Set(kConnection, ApiKeyConnection());
  connections_.HoldAnswers();
  HttpTaskExecutor executor(client_.get(), &connections_);
  std::atomic<int> outcomes = 0;
  const TaskCall call = Call({{"ApiEndpoint", server_.Url("/echo")},
                              {"Method", "GET"},
                              {"Authentication", {{"ConnectionArn", kConnection}}}});
  executor.Invoke(call, [&](asl::AslResult<Json>) { ++outcomes; });
  executor.Cancel(call);
  connections_.Release();
  EXPECT_EQ(client_->in_flight(), 0u);
  EXPECT_EQ(outcomes, 0);
  EXPECT_EQ(server_.Count("/"), 0u);
}

TEST_F(HttpTask, CallsOfDifferentTasksRunSideBySide) {
  HttpTaskExecutor executor(client_.get(), nullptr);
  std::mutex mu;
  std::vector<int64_t> done;
  for (int64_t id = 1; id <= 20; ++id) {
    executor.Invoke(Call({{"ApiEndpoint", server_.Url("/delay/100")}, {"Method", "GET"}}, id),
                    [&, id](asl::AslResult<Json> r) {
                      EXPECT_TRUE(r.ok());
                      std::lock_guard lock(mu);
                      done.push_back(id);
                    });
  }
  EXPECT_TRUE(WaitUntil([&] {
    std::lock_guard lock(mu);
    return done.size() == 20;
  }));
  EXPECT_EQ(executor.in_flight(), 0u);
}

}  // namespace
}  // namespace stepd::runtime
