// StoredConnections against a real SQLite store and a real OAuth token
// endpoint on 127.0.0.1: each authorization type, tokens cached, shared,
// expired mid-run and refreshed, and connection states as AWS moves them.

#include "stepd/runtime/stored_connections.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <future>
#include <sstream>
#include <thread>

#include "runtime/runtime_testing.h"
#include "runtime/token_server_testing.h"
#include "stepd/base/crypto.h"

namespace stepd::runtime {

// For the matchers (found by argument-dependent lookup, so outside the
// anonymous namespace).
bool operator==(const ConnectionParameter& a, const ConnectionParameter& b) {
  return a.key == b.key && a.value == b.value && a.is_secret == b.is_secret;
}
void PrintTo(const ConnectionParameter& p, std::ostream* os) {
  *os << "{" << p.key << ": " << p.value << (p.is_secret ? " (secret)" : "") << "}";
}

namespace {

using store::ConnectionAuthorizationType;
using store::ConnectionRecord;
using store::ConnectionState;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Arn(const std::string& name) {
  return "arn:aws:events:us-east-1:123456789012:connection/" + name + "/0b5e4a1c";
}

const Json kInvocation = Json::parse(R"({
  "HeaderParameters": [{"Key": "X-Tenant", "Value": "acme", "IsValueSecret": false},
                       {"Key": "X-Signature", "Value": "sig-value-0042", "IsValueSecret": true}],
  "QueryStringParameters": [{"Key": "region", "Value": "eu", "IsValueSecret": false}],
  "BodyParameters": [{"Key": "api_token", "Value": "body-secret-0042", "IsValueSecret": true}]
})");

class StoredConnectionsTest : public ::testing::Test {
 protected:
  StoredConnectionsTest()
      : box_(SecretBox::FromKey(std::string(32, 'k')).value()),
        fetcher_(http::ClientOptions{}),
        log_(std::make_shared<std::ostringstream>()),
        logger_(std::make_shared<spdlog::logger>(
            "connections", std::make_shared<spdlog::sinks::ostream_sink_mt>(*log_))) {
    logger_->set_level(spdlog::level::trace);
    connections_ =
        std::make_unique<StoredConnections>(store_.get(), &box_, &clock_, &fetcher_, logger_);
  }
  ~StoredConnectionsTest() override {
    tokens_.Release();  // a failed test may have left answers held
    connections_.reset();
  }

  // Stores connection `name` as the API would: parameters sealed, AUTHORIZED
  // (AUTHORIZING for OAuth).
  ConnectionRecord Create(const std::string& name, ConnectionAuthorizationType type,
                          const Json& parameters) {
    ConnectionRecord c;
    c.arn = Arn(name);
    c.name = name;
    c.authorization_type = type;
    c.state = type == ConnectionAuthorizationType::kOAuthClientCredentials
                  ? ConnectionState::kAuthorizing
                  : ConnectionState::kAuthorized;
    c.sealed_parameters = SealConnectionParameters(box_, c.arn, parameters);
    EXPECT_EQ(store_->CreateConnection(c, {}), Status::OK());
    return store_->GetConnection(name).value();
  }
  ConnectionRecord CreateOAuth(const std::string& name, const Json& http_parameters = nullptr,
                               const std::string& method = "POST") {
    Json oauth = {
        {"ClientParameters", {{"ClientID", "client-7"}, {"ClientSecret", "cs-0042-secret"}}},
        {"AuthorizationEndpoint", tokens_.Url()},
        {"HttpMethod", method}};
    if (!http_parameters.is_null()) oauth["OAuthHttpParameters"] = http_parameters;
    return Create(name, ConnectionAuthorizationType::kOAuthClientCredentials,
                  {{"OAuthParameters", oauth}, {"InvocationHttpParameters", kInvocation}});
  }

  StatusOr<ResolvedConnection> Resolve(const std::string& arn) {
    std::promise<StatusOr<ResolvedConnection>> answer;
    connections_->Resolve(
        arn, [&answer](StatusOr<ResolvedConnection> r) { answer.set_value(std::move(r)); });
    auto future = answer.get_future();
    if (future.wait_for(std::chrono::seconds(15)) != std::future_status::ready) {
      ADD_FAILURE() << "Resolve(" << arn << ") did not answer";
      return DeadlineExceededError("no answer");
    }
    return future.get();
  }
  std::string Authorization(const std::string& arn) {
    StatusOr<ResolvedConnection> r = Resolve(arn);
    if (!r.ok() || r->headers.empty()) return "error: " + r.status().ToString();
    return r->headers.front().value;
  }
  // Polls the stored state (the authorization runs on the fetcher's thread).
  ConnectionRecord WaitForState(const std::string& name, ConnectionState state) {
    for (int i = 0; i < 10000; ++i) {
      ConnectionRecord c = store_->GetConnection(name).value();
      if (c.state == state) return c;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ADD_FAILURE() << name << " never became " << store::ConnectionStateName(state);
    return store_->GetConnection(name).value();
  }

  testing::TestStore store_;
  FakeClock clock_{TimePoint{} + std::chrono::hours(24 * 365 * 56)};
  SecretBox box_;
  stepd::testing::TokenServer tokens_;
  BlockingHttpFetcher fetcher_;
  std::shared_ptr<std::ostringstream> log_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<StoredConnections> connections_;
};

TEST_F(StoredConnectionsTest, BasicSendsTheCredentialsAndTheInvocationParameters) {
  Create("basic", ConnectionAuthorizationType::kBasic,
         {{"BasicAuthParameters", {{"Username", "ada"}, {"Password", "pw-0042-secret"}}},
          {"InvocationHttpParameters", kInvocation}});
  const ResolvedConnection r = Resolve(Arn("basic")).value();
  EXPECT_THAT(
      r.headers,
      ::testing::ElementsAre(
          ConnectionParameter{"Authorization", "Basic " + Base64Encode("ada:pw-0042-secret"), true},
          ConnectionParameter{"X-Tenant", "acme", false},
          ConnectionParameter{"X-Signature", "sig-value-0042", true}));
  EXPECT_THAT(r.query_string, ::testing::ElementsAre(ConnectionParameter{"region", "eu", false}));
  EXPECT_THAT(r.body,
              ::testing::ElementsAre(ConnectionParameter{"api_token", "body-secret-0042", true}));
  EXPECT_EQ(tokens_.requests(), 0u);
}

TEST_F(StoredConnectionsTest, ApiKeySendsTheNamedHeader) {
  Create("key", ConnectionAuthorizationType::kApiKey,
         {{"ApiKeyAuthParameters", {{"ApiKeyName", "x-api-key"}, {"ApiKeyValue", "ak-0042"}}}});
  const ResolvedConnection r = Resolve(Arn("key")).value();
  EXPECT_THAT(r.headers, ::testing::ElementsAre(ConnectionParameter{"x-api-key", "ak-0042", true}));
  EXPECT_TRUE(r.query_string.empty());
  EXPECT_TRUE(r.body.empty());
}

TEST_F(StoredConnectionsTest, OAuthFetchesATokenWithClientCredentialsAndCachesIt) {
  const Json http_parameters = Json::parse(R"({
    "HeaderParameters": [{"Key": "X-Custom", "Value": "hv", "IsValueSecret": false}],
    "QueryStringParameters": [{"Key": "audience", "Value": "api://x y", "IsValueSecret": false}],
    "BodyParameters": [{"Key": "scope", "Value": "read write", "IsValueSecret": false}]
  })");
  CreateOAuth("oauth", http_parameters);
  const ResolvedConnection r = Resolve(Arn("oauth")).value();
  EXPECT_THAT(r.headers,
              ::testing::ElementsAre(ConnectionParameter{"Authorization", "Bearer token-1", true},
                                     ConnectionParameter{"X-Tenant", "acme", false},
                                     ConnectionParameter{"X-Signature", "sig-value-0042", true}));
  EXPECT_EQ(r.body.size(), 1u);  // the invocation's, not the token request's
  const stepd::testing::TokenServer::Seen seen = tokens_.last();
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/oauth/token?audience=api%3A%2F%2Fx%20y");
  EXPECT_EQ(seen.authorization, "Basic " + Base64Encode("client-7:cs-0042-secret"));
  EXPECT_EQ(seen.content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(seen.custom_header, "hv");
  EXPECT_EQ(seen.body, "scope=read%20write&grant_type=client_credentials");
  // Cached: the next resolves ask nobody.
  EXPECT_EQ(Authorization(Arn("oauth")), "Bearer token-1");
  EXPECT_EQ(Authorization(Arn("oauth")), "Bearer token-1");
  EXPECT_EQ(tokens_.requests(), 1u);
}

TEST_F(StoredConnectionsTest, OAuthSendsJsonWhenAHeaderParameterSaysSoAndGetUsesTheQuery) {
  CreateOAuth("json", Json::parse(R"({"HeaderParameters":
      [{"Key": "Content-Type", "Value": "application/json", "IsValueSecret": false}],
      "BodyParameters": [{"Key": "grant_type", "Value": "client_credentials"}]})"));
  ASSERT_EQ(Authorization(Arn("json")), "Bearer token-1");
  EXPECT_EQ(tokens_.last().content_type, "application/json");
  EXPECT_EQ(Json::parse(tokens_.last().body),
            Json::parse(R"({"grant_type":"client_credentials"})"));

  CreateOAuth("get", nullptr, "GET");
  ASSERT_EQ(Authorization(Arn("get")), "Bearer token-2");
  EXPECT_EQ(tokens_.last().method, "GET");
  EXPECT_EQ(tokens_.last().target, "/oauth/token?grant_type=client_credentials");
  EXPECT_EQ(tokens_.last().body, "");
}

TEST_F(StoredConnectionsTest, ATokenThatExpiresMidRunIsRefreshedBeforeItsEnd) {
  tokens_.SetExpiresIn(120);  // refreshed 60 s before it expires
  CreateOAuth("oauth");
  EXPECT_EQ(Authorization(Arn("oauth")), "Bearer token-1");
  clock_.Advance(std::chrono::seconds(59));
  EXPECT_EQ(Authorization(Arn("oauth")), "Bearer token-1");
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(Authorization(Arn("oauth")), "Bearer token-2");
  EXPECT_EQ(Authorization(Arn("oauth")), "Bearer token-2");
  EXPECT_EQ(tokens_.requests(), 2u);
  // A short-lived token is kept for half its life.
  tokens_.SetExpiresIn(10);
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_EQ(Authorization(Arn("oauth")), "Bearer token-3");
  clock_.Advance(std::chrono::seconds(4));
  EXPECT_EQ(Authorization(Arn("oauth")), "Bearer token-3");
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(Authorization(Arn("oauth")), "Bearer token-4");
}

// Also what stepd serve runs: tokens fetched on the asynchronous outbound
// client.
TEST(StoredConnectionsRealTime, ATokenOfOneSecondIsRefreshedOnTheWallClock) {
  testing::TestStore store;
  const SecretBox box = SecretBox::FromKey(std::string(32, 'r')).value();
  stepd::testing::TokenServer tokens;
  tokens.SetExpiresIn(1);
  auto client = http::AsyncClient::Create(http::AsyncClientOptions{});
  ASSERT_TRUE(client.ok()) << client.status();
  AsyncHttpFetcher fetcher(client->get());
  StoredConnections connections(
      store.get(), &box, SystemClock::Default(), &fetcher,
      std::make_shared<spdlog::logger>("quiet", std::make_shared<spdlog::sinks::null_sink_mt>()));
  ConnectionRecord c;
  c.arn = Arn("rt");
  c.name = "rt";
  c.authorization_type = ConnectionAuthorizationType::kOAuthClientCredentials;
  c.state = ConnectionState::kAuthorized;
  c.sealed_parameters = SealConnectionParameters(
      box, c.arn,
      {{"OAuthParameters",
        {{"ClientParameters", {{"ClientID", "id"}, {"ClientSecret", "secret-value"}}},
         {"AuthorizationEndpoint", tokens.Url()},
         {"HttpMethod", "POST"}}}});
  ASSERT_EQ(store->CreateConnection(c, {}), Status::OK());
  auto bearer = [&] {
    std::promise<std::string> got;
    connections.Resolve(c.arn, [&](StatusOr<ResolvedConnection> r) {
      got.set_value(r.ok() ? r->headers.front().value : r.status().ToString());
    });
    return got.get_future().get();
  };
  EXPECT_EQ(bearer(), "Bearer token-1");
  EXPECT_EQ(bearer(), "Bearer token-1");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // past half its life
  EXPECT_EQ(bearer(), "Bearer token-2");
}

TEST_F(StoredConnectionsTest, InvalidateMakesTheNextResolveFetchANewToken) {
  CreateOAuth("oauth");
  EXPECT_EQ(Authorization(Arn("oauth")), "Bearer token-1");
  connections_->Invalidate(Arn("oauth"));
  EXPECT_EQ(Authorization(Arn("oauth")), "Bearer token-2");
  EXPECT_EQ(Authorization(Arn("oauth")), "Bearer token-2");
}

TEST_F(StoredConnectionsTest, ConcurrentResolvesShareOneTokenFetch) {
  CreateOAuth("oauth");
  tokens_.Hold();
  std::vector<std::future<StatusOr<ResolvedConnection>>> answers;
  std::vector<std::shared_ptr<std::promise<StatusOr<ResolvedConnection>>>> promises;
  std::vector<std::thread> callers;
  for (int i = 0; i < 8; ++i) {
    auto p = std::make_shared<std::promise<StatusOr<ResolvedConnection>>>();
    answers.push_back(p->get_future());
    callers.emplace_back([this, p] {
      connections_->Resolve(Arn("oauth"),
                            [p](StatusOr<ResolvedConnection> r) { p->set_value(std::move(r)); });
    });
  }
  for (std::thread& t : callers) t.join();
  ASSERT_TRUE(tokens_.WaitForRequests(1));
  tokens_.Release();
  for (auto& answer : answers) {
    StatusOr<ResolvedConnection> r = answer.get();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->headers.front().value, "Bearer token-1");
  }
  EXPECT_EQ(tokens_.requests(), 1u);
}

TEST_F(StoredConnectionsTest, AuthorizeMovesAnOAuthConnectionFromAuthorizingToAuthorized) {
  CreateOAuth("oauth");
  connections_->Authorize(Arn("oauth"));
  const ConnectionRecord c = WaitForState("oauth", ConnectionState::kAuthorized);
  EXPECT_EQ(c.state_reason, "");
  EXPECT_EQ(c.authorized_at_ms,
            std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
                .count());
  const auto audit = store_->ListAudit({}).value().items;
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].entry.actor, "stepd");
  EXPECT_EQ(audit[0].entry.action, "ConnectionAuthorized");
  EXPECT_EQ(audit[0].entry.target, Arn("oauth"));
  // The token it obtained serves the first resolve.
  connections_->WaitIdle();
  EXPECT_EQ(Authorization(Arn("oauth")), "Bearer token-1");
  EXPECT_EQ(tokens_.requests(), 1u);
}

TEST_F(StoredConnectionsTest, RefusedCredentialsDeauthorizeWithAReasonThatQuotesNoSecret) {
  tokens_.FailWith(401, R"({"error":"invalid_client",)"
                        R"("error_description":"bad secret cs-0042-secret for client-7"})");
  CreateOAuth("oauth");
  connections_->Authorize(Arn("oauth"));
  const ConnectionRecord c = WaitForState("oauth", ConnectionState::kDeauthorized);
  EXPECT_EQ(c.state_reason, "the authorization endpoint answered HTTP 401 (invalid_client)");
  connections_->WaitIdle();
  EXPECT_EQ(Resolve(Arn("oauth")).status(),
            FailedPreconditionError("connection '" + Arn("oauth") +
                                    "' is DEAUTHORIZED: the authorization endpoint answered HTTP "
                                    "401 (invalid_client)"));
  EXPECT_THAT(log_->str(), Not(HasSubstr("cs-0042-secret")));
  EXPECT_EQ(store_->ListAudit({}).value().items.back().entry.action, "ConnectionDeauthorized");
}

TEST_F(StoredConnectionsTest, AnAuthorizedConnectionIsDeauthorizedWhenARefreshIsRefused) {
  CreateOAuth("oauth");
  ASSERT_EQ(Authorization(Arn("oauth")), "Bearer token-1");
  WaitForState("oauth", ConnectionState::kAuthorized);
  tokens_.FailWith(400, R"({"error":"unauthorized_client"})");
  connections_->Invalidate(Arn("oauth"));
  EXPECT_EQ(Resolve(Arn("oauth")).status(),
            UnavailableError("connection '" + Arn("oauth") +
                             "': the authorization endpoint answered HTTP 400 "
                             "(unauthorized_client)"));
  WaitForState("oauth", ConnectionState::kDeauthorized);
}

TEST_F(StoredConnectionsTest, AnOutageFailsTheResolveButKeepsTheConnectionAuthorized) {
  CreateOAuth("oauth");
  ASSERT_EQ(Authorization(Arn("oauth")), "Bearer token-1");
  WaitForState("oauth", ConnectionState::kAuthorized);
  tokens_.FailWith(503, R"({"error":"temporarily_unavailable"})");
  connections_->Invalidate(Arn("oauth"));
  const Status failed = Resolve(Arn("oauth")).status();
  EXPECT_EQ(failed.code(), StatusCode::kUnavailable);
  EXPECT_THAT(failed.message(), HasSubstr("answered HTTP 503"));
  connections_->WaitIdle();
  EXPECT_EQ(store_->GetConnection("oauth").value().state, ConnectionState::kAuthorized);
  tokens_.Succeed();
  EXPECT_EQ(Authorization(Arn("oauth")), "Bearer token-2");
}

TEST_F(StoredConnectionsTest, AnUnreachableEndpointWhileAuthorizingDeauthorizes) {
  ConnectionRecord c;
  c.arn = Arn("down");
  c.name = "down";
  c.authorization_type = ConnectionAuthorizationType::kOAuthClientCredentials;
  c.state = ConnectionState::kAuthorizing;
  // Port 1 on loopback: nothing listens there.
  c.sealed_parameters = SealConnectionParameters(
      box_, c.arn,
      {{"OAuthParameters",
        {{"ClientParameters", {{"ClientID", "id"}, {"ClientSecret", "cs-unreachable-42"}}},
         {"AuthorizationEndpoint", "http://127.0.0.1:1/token"},
         {"HttpMethod", "POST"}}}});
  ASSERT_EQ(store_->CreateConnection(c, {}), Status::OK());
  const Status failed = Resolve(c.arn).status();
  EXPECT_EQ(failed.code(), StatusCode::kUnavailable);
  EXPECT_THAT(failed.message(),
              HasSubstr("the authorization endpoint could not be reached: cannot connect"));
  const ConnectionRecord after = WaitForState("down", ConnectionState::kDeauthorized);
  EXPECT_THAT(after.state_reason, HasSubstr("could not be reached"));
}

TEST_F(StoredConnectionsTest, ALateAnswerNeverOverwritesAChangeMadeMeanwhile) {
  CreateOAuth("oauth");
  tokens_.Hold();
  connections_->Authorize(Arn("oauth"));
  ASSERT_TRUE(tokens_.WaitForRequests(1));
  // The API deauthorizes the connection while the token is on its way.
  ConnectionRecord c = store_->GetConnection("oauth").value();
  c.state = ConnectionState::kDeauthorized;
  c.sealed_parameters.clear();
  ASSERT_TRUE(store_->UpdateConnection(c, {}).ok());
  tokens_.Release();
  connections_->WaitIdle();
  EXPECT_EQ(store_->GetConnection("oauth").value().state, ConnectionState::kDeauthorized);
}

TEST_F(StoredConnectionsTest, NamesMissingDeauthorizedAndUnopenableConnections) {
  EXPECT_EQ(Resolve(Arn("nope")).status(),
            NotFoundError("connection '" + Arn("nope") + "' does not exist"));

  ConnectionRecord c = Create("basic", ConnectionAuthorizationType::kBasic,
                              {{"BasicAuthParameters", {{"Username", "u"}, {"Password", "p"}}}});
  c.state = ConnectionState::kDeauthorized;
  c.sealed_parameters.clear();
  ASSERT_TRUE(store_->UpdateConnection(c, {}).ok());
  EXPECT_EQ(Resolve(Arn("basic")).status(),
            FailedPreconditionError("connection '" + Arn("basic") + "' is DEAUTHORIZED"));

  // Sealed under another key: named by key ids, never opened.
  const SecretBox other = SecretBox::FromKey(std::string(32, 'o')).value();
  ConnectionRecord foreign;
  foreign.arn = Arn("foreign");
  foreign.name = "foreign";
  foreign.sealed_parameters = SealConnectionParameters(
      other, foreign.arn, {{"BasicAuthParameters", {{"Username", "u"}, {"Password", "p"}}}});
  ASSERT_EQ(store_->CreateConnection(foreign, {}), Status::OK());
  EXPECT_EQ(Resolve(Arn("foreign")).status(),
            FailedPreconditionError("connection '" + Arn("foreign") +
                                    "': the secret was sealed under key " + other.key_id() +
                                    ", not under the configured key " + box_.key_id()));

  // Sealed for another connection: refused as altered.
  ConnectionRecord moved;
  moved.arn = Arn("moved");
  moved.name = "moved";
  moved.sealed_parameters = SealConnectionParameters(box_, Arn("elsewhere"), Json::object());
  ASSERT_EQ(store_->CreateConnection(moved, {}), Status::OK());
  EXPECT_EQ(Resolve(Arn("moved")).status().code(), StatusCode::kDataLoss);
}

TEST_F(StoredConnectionsTest, ResumeAuthorizationsFinishesWhatAStoppedProcessLeft) {
  CreateOAuth("left-1");
  CreateOAuth("left-2");
  Create("basic", ConnectionAuthorizationType::kBasic,
         {{"BasicAuthParameters", {{"Username", "u"}, {"Password", "p"}}}});
  ASSERT_EQ(connections_->ResumeAuthorizations(), Status::OK());
  WaitForState("left-1", ConnectionState::kAuthorized);
  WaitForState("left-2", ConnectionState::kAuthorized);
  connections_->WaitIdle();
  EXPECT_EQ(tokens_.requests(), 2u);
}

TEST(ConnectionParameters, SealedBytesHoldNoValueAndOpenOnlyForTheirConnection) {
  const SecretBox box = SecretBox::FromKey(std::string(32, 'k')).value();
  const Json parameters = {{"BasicAuthParameters", {{"Username", "u"}, {"Password", "p-0042"}}}};
  ConnectionRecord c;
  c.arn = Arn("c");
  c.sealed_parameters = SealConnectionParameters(box, c.arn, parameters);
  EXPECT_EQ(c.sealed_parameters.find("p-0042"), std::string::npos);
  EXPECT_EQ(OpenConnectionParameters(box, c).value(), parameters);
  c.arn = Arn("d");
  EXPECT_EQ(OpenConnectionParameters(box, c).status().code(), StatusCode::kDataLoss);
  c.sealed_parameters.clear();
  EXPECT_EQ(OpenConnectionParameters(box, c).status(),
            FailedPreconditionError("connection '" + Arn("d") +
                                    "' has no authorization parameters (it was deauthorized)"));
}

}  // namespace
}  // namespace stepd::runtime
