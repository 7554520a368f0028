// EventBridge's connection operations (AWSEvents.*Connection) through the
// AWS JSON API: answers shaped as EventBridge's, AWS's validation messages,
// each authorization type (OAuth against a real token endpoint on
// 127.0.0.1), roles, and a proof that secret values never leave sealed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "api/aws_testing.h"
#include "runtime/token_server_testing.h"
#include "stepd/base/crypto.h"

namespace stepd::api::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kConnectionArnPrefix[] = "arn:aws:events:us-east-1:123456789012:connection/";

Json BasicParameters(const std::string& user = "ada", const std::string& password = "pw-1") {
  return {{"BasicAuthParameters", {{"Username", user}, {"Password", password}}}};
}

Json CreateBasic(const std::string& name, const Json& parameters = BasicParameters()) {
  return {{"Name", name}, {"AuthorizationType", "BASIC"}, {"AuthParameters", parameters}};
}

AwsErrorAnswer EventsValidation(std::string message) {
  return {400, "ValidationException", std::move(message)};
}

AwsErrorAnswer NotFound(const std::string& name) {
  return {400, "ResourceNotFoundException",
          "Failed to describe the connection(s). Connection '" + name + "' does not exist."};
}

// The resolver's answer for `arn`.
StatusOr<runtime::ResolvedConnection> Resolve(AwsStack& stack, const std::string& arn) {
  std::promise<StatusOr<runtime::ResolvedConnection>> answer;
  stack.connections()->Resolve(
      arn, [&](StatusOr<runtime::ResolvedConnection> r) { answer.set_value(std::move(r)); });
  return answer.get_future().get();
}

class EventsConnections : public ::testing::Test {
 protected:
  Json Describe(const std::string& name) {
    return stack_.CallEvents("DescribeConnection", {{"Name", name}}).body;
  }
  Json WaitForState(const std::string& name, const std::string& state) {
    Json last;
    WaitUntil([&] {
      last = Describe(name);
      return last.value("ConnectionState", "") == state;
    });
    return last;
  }
  Json OAuthParameters(const std::string& secret = "cs-1") {
    return {{"OAuthParameters",
             {{"ClientParameters", {{"ClientID", "client-7"}, {"ClientSecret", secret}}},
              {"AuthorizationEndpoint", tokens_.Url()},
              {"HttpMethod", "POST"}}}};
  }

  stepd::testing::TokenServer tokens_;
  AwsStack stack_;
};

TEST_F(EventsConnections, CreateAnswersAsEventBridgeAndDescribeShowsNoSecret) {
  const double before = NowSeconds();
  Json parameters = BasicParameters("ada", "pw-secret-1");
  parameters["InvocationHttpParameters"] = Json::parse(R"({
    "HeaderParameters": [{"Key": "X-Tenant", "Value": "acme", "IsValueSecret": false},
                         {"Key": "X-Sig", "Value": "hidden-1", "IsValueSecret": true}],
    "BodyParameters": [{"Key": "k", "Value": "v"}]})");
  Json request = CreateBasic("my.conn-1", parameters);
  request["Description"] = "to the billing API";
  const AwsAnswer created = stack_.CallEvents("CreateConnection", request);
  ASSERT_EQ(created.status, 200) << created.raw;
  EXPECT_EQ(created.headers.Get("Content-Type"), "application/x-amz-json-1.1");
  const std::string arn = created.body["ConnectionArn"];
  EXPECT_EQ(arn.rfind(std::string(kConnectionArnPrefix) + "my.conn-1/", 0), 0u) << arn;
  EXPECT_EQ(created.body["ConnectionState"], "AUTHORIZED");
  EXPECT_TRUE(IsEpochSecondsBetween(created.body["CreationTime"], before, NowSeconds()));
  EXPECT_EQ(created.body["LastModifiedTime"], created.body["CreationTime"]);
  EXPECT_FALSE(created.body.contains("LastAuthorizedTime"));

  const Json described = Describe("my.conn-1");
  const std::string uuid = arn.substr(arn.rfind('/') + 1);
  EXPECT_EQ(described, Json({{"ConnectionArn", arn},
                             {"Name", "my.conn-1"},
                             {"Description", "to the billing API"},
                             {"ConnectionState", "AUTHORIZED"},
                             {"AuthorizationType", "BASIC"},
                             {"SecretArn",
                              "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
                              "events!connection/my.conn-1/" +
                                  uuid},
                             {"AuthParameters", Json::parse(R"({
                                "BasicAuthParameters": {"Username": "ada"},
                                "InvocationHttpParameters": {
                                  "HeaderParameters": [
                                    {"Key": "X-Tenant", "Value": "acme", "IsValueSecret": false},
                                    {"Key": "X-Sig", "IsValueSecret": true}],
                                  "BodyParameters": [
                                    {"Key": "k", "Value": "v", "IsValueSecret": false}]}})")},
                             {"CreationTime", created.body["CreationTime"]},
                             {"LastModifiedTime", created.body["CreationTime"]},
                             {"LastAuthorizedTime", created.body["CreationTime"]}}));
  // What a task gets: the credentials, in clear, only from the resolver.
  const runtime::ResolvedConnection resolved = Resolve(stack_, arn).value();
  EXPECT_EQ(resolved.headers[0].value, "Basic " + Base64Encode("ada:pw-secret-1"));
  EXPECT_EQ(resolved.headers[2].value, "hidden-1");
}

TEST_F(EventsConnections, ApiKeyConnectionsAddTheirHeader) {
  const AwsAnswer created = stack_.CallEvents(
      "CreateConnection",
      {{"Name", "key"},
       {"AuthorizationType", "API_KEY"},
       {"AuthParameters",
        {{"ApiKeyAuthParameters", {{"ApiKeyName", "x-api-key"}, {"ApiKeyValue", "ak-1"}}}}}});
  ASSERT_EQ(created.status, 200) << created.raw;
  EXPECT_EQ(Describe("key")["AuthParameters"],
            Json::parse(R"({"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key"}})"));
  const runtime::ResolvedConnection resolved =
      Resolve(stack_, created.body["ConnectionArn"]).value();
  ASSERT_EQ(resolved.headers.size(), 1u);
  EXPECT_EQ(resolved.headers[0].key, "x-api-key");
  EXPECT_EQ(resolved.headers[0].value, "ak-1");
}

TEST_F(EventsConnections, AnOAuthConnectionIsAuthorizingUntilItsTokenArrives) {
  tokens_.Hold();
  const AwsAnswer created =
      stack_.CallEvents("CreateConnection", {{"Name", "oauth"},
                                             {"AuthorizationType", "OAUTH_CLIENT_CREDENTIALS"},
                                             {"AuthParameters", OAuthParameters()}});
  ASSERT_EQ(created.status, 200) << created.raw;
  EXPECT_EQ(created.body["ConnectionState"], "AUTHORIZING");
  ASSERT_TRUE(tokens_.WaitForRequests(1));
  EXPECT_EQ(Describe("oauth")["ConnectionState"], "AUTHORIZING");
  EXPECT_FALSE(Describe("oauth").contains("LastAuthorizedTime"));
  tokens_.Release();
  const Json authorized = WaitForState("oauth", "AUTHORIZED");
  EXPECT_TRUE(authorized.contains("LastAuthorizedTime"));
  EXPECT_EQ(authorized["AuthParameters"],
            Json::parse("{\"OAuthParameters\": {"
                        "\"ClientParameters\": {\"ClientID\": "
                        "\"client-7\"}, \"AuthorizationEndpoint\": \"" +
                        tokens_.Url() + "\", \"HttpMethod\": \"POST\"}}"));
  EXPECT_EQ(tokens_.last().authorization, "Basic " + Base64Encode("client-7:cs-1"));
  const runtime::ResolvedConnection resolved =
      Resolve(stack_, created.body["ConnectionArn"]).value();
  EXPECT_EQ(resolved.headers[0].value, "Bearer token-1");
  EXPECT_EQ(tokens_.requests(), 1u);
}

TEST_F(EventsConnections, RefusedClientCredentialsLeaveTheConnectionDeauthorizedWithAReason) {
  tokens_.FailWith(401, R"({"error":"invalid_client"})");
  ASSERT_EQ(stack_
                .CallEvents("CreateConnection", {{"Name", "oauth"},
                                                 {"AuthorizationType", "OAUTH_CLIENT_CREDENTIALS"},
                                                 {"AuthParameters", OAuthParameters()}})
                .status,
            200);
  const Json described = WaitForState("oauth", "DEAUTHORIZED");
  EXPECT_EQ(described["StateReason"],
            "the authorization endpoint answered HTTP 401 (invalid_client)");
  const Json listed = stack_.CallEvents("ListConnections").body["Connections"][0];
  EXPECT_EQ(listed["StateReason"], described["StateReason"]);
  // Updating the credentials authorizes it again.
  tokens_.Succeed();
  const AwsAnswer updated = stack_.CallEvents(
      "UpdateConnection",
      {{"Name", "oauth"},
       {"AuthParameters",
        {{"OAuthParameters", {{"ClientParameters", {{"ClientSecret", "cs-2"}}}}}}}});
  ASSERT_EQ(updated.status, 200) << updated.raw;
  EXPECT_EQ(updated.body["ConnectionState"], "AUTHORIZING");
  const Json again = WaitForState("oauth", "AUTHORIZED");
  EXPECT_FALSE(again.contains("StateReason"));
  EXPECT_EQ(tokens_.last().authorization, "Basic " + Base64Encode("client-7:cs-2"));
}

TEST_F(EventsConnections, UpdateMergesTheParametersGivenAndReplacesParameterLists) {
  Json parameters = BasicParameters("ada", "pw-1");
  parameters["InvocationHttpParameters"] = {
      {"QueryStringParameters", {{{"Key", "a"}, {"Value", "1"}}}}};
  const AwsAnswer created = stack_.CallEvents("CreateConnection", CreateBasic("c", parameters));
  const std::string arn = created.body["ConnectionArn"];
  const AwsAnswer updated = stack_.CallEvents(
      "UpdateConnection", {{"Name", "c"},
                           {"Description", "new"},
                           {"AuthParameters",
                            {{"BasicAuthParameters", {{"Password", "pw-2"}}},
                             {"InvocationHttpParameters",
                              {{"HeaderParameters", {{{"Key", "X-B"}, {"Value", "b"}}}}}}}}});
  ASSERT_EQ(updated.status, 200) << updated.raw;
  EXPECT_EQ(updated.body["ConnectionArn"], arn);
  EXPECT_EQ(updated.body["ConnectionState"], "AUTHORIZED");
  EXPECT_TRUE(updated.body.contains("LastAuthorizedTime"));
  const Json described = Describe("c");
  EXPECT_EQ(described["Description"], "new");
  EXPECT_EQ(described["AuthParameters"], Json::parse(R"({
    "BasicAuthParameters": {"Username": "ada"},
    "InvocationHttpParameters": {"HeaderParameters": [
      {"Key": "X-B", "Value": "b", "IsValueSecret": false}]}})"));
  const runtime::ResolvedConnection resolved = Resolve(stack_, arn).value();
  EXPECT_EQ(resolved.headers[0].value, "Basic " + Base64Encode("ada:pw-2"));
  EXPECT_TRUE(resolved.query_string.empty());

  // Another type needs all of its parameters.
  EXPECT_EQ(ErrorOf(stack_.CallEvents(
                "UpdateConnection",
                {{"Name", "c"},
                 {"AuthorizationType", "API_KEY"},
                 {"AuthParameters", {{"ApiKeyAuthParameters", {{"ApiKeyName", "k"}}}}}})),
            EventsValidation("1 validation error detected: Value null at "
                             "'authParameters.apiKeyAuthParameters.apiKeyValue' failed to satisfy "
                             "constraint: Member must not be null"));
  ASSERT_EQ(
      stack_
          .CallEvents("UpdateConnection",
                      {{"Name", "c"},
                       {"AuthorizationType", "API_KEY"},
                       {"AuthParameters",
                        {{"ApiKeyAuthParameters", {{"ApiKeyName", "k"}, {"ApiKeyValue", "v"}}}}}})
          .status,
      200);
  EXPECT_EQ(Describe("c")["AuthorizationType"], "API_KEY");
  EXPECT_EQ(Describe("c")["AuthParameters"], Json::parse(R"({
    "ApiKeyAuthParameters": {"ApiKeyName": "k"},
    "InvocationHttpParameters": {"HeaderParameters": [
      {"Key": "X-B", "Value": "b", "IsValueSecret": false}]}})"));
}

TEST_F(EventsConnections, DeauthorizeRemovesEveryParameterUntilAnUpdateGivesNewOnes) {
  const std::string arn =
      stack_.CallEvents("CreateConnection", CreateBasic("c")).body["ConnectionArn"];
  const AwsAnswer answer = stack_.CallEvents("DeauthorizeConnection", {{"Name", "c"}});
  ASSERT_EQ(answer.status, 200) << answer.raw;
  EXPECT_EQ(answer.body["ConnectionArn"], arn);
  EXPECT_EQ(answer.body["ConnectionState"], "DEAUTHORIZING");
  const Json described = Describe("c");
  EXPECT_EQ(described["ConnectionState"], "DEAUTHORIZED");
  EXPECT_FALSE(described.contains("AuthParameters"));
  EXPECT_FALSE(described.contains("SecretArn"));
  EXPECT_EQ(Resolve(stack_, arn).status(),
            FailedPreconditionError("connection '" + arn + "' is DEAUTHORIZED"));
  EXPECT_EQ(ErrorOf(stack_.CallEvents("UpdateConnection", {{"Name", "c"}, {"Description", "d"}})),
            EventsValidation("2 validation errors detected: Value null at "
                             "'authParameters.basicAuthParameters.username' failed to satisfy "
                             "constraint: Member must not be null; Value null at "
                             "'authParameters.basicAuthParameters.password' failed to satisfy "
                             "constraint: Member must not be null"));
  ASSERT_EQ(
      stack_.CallEvents("UpdateConnection", {{"Name", "c"}, {"AuthParameters", BasicParameters()}})
          .status,
      200);
  EXPECT_EQ(Describe("c")["ConnectionState"], "AUTHORIZED");
  EXPECT_TRUE(Resolve(stack_, arn).ok());
}

TEST_F(EventsConnections, DeleteAnswersDeletingAndForgetsTheConnection) {
  const std::string arn =
      stack_.CallEvents("CreateConnection", CreateBasic("c")).body["ConnectionArn"];
  const AwsAnswer deleted = stack_.CallEvents("DeleteConnection", {{"Name", "c"}});
  ASSERT_EQ(deleted.status, 200) << deleted.raw;
  EXPECT_EQ(deleted.body["ConnectionArn"], arn);
  EXPECT_EQ(deleted.body["ConnectionState"], "DELETING");
  EXPECT_EQ(ErrorOf(stack_.CallEvents("DescribeConnection", {{"Name", "c"}})), NotFound("c"));
  EXPECT_EQ(Resolve(stack_, arn).status().code(), StatusCode::kNotFound);
  // The name is free again, under a new ARN.
  const AwsAnswer again = stack_.CallEvents("CreateConnection", CreateBasic("c"));
  ASSERT_EQ(again.status, 200);
  EXPECT_NE(again.body["ConnectionArn"], arn);
}

TEST_F(EventsConnections, UnknownNamesAndTakenNamesAreEventBridgesErrors) {
  for (const char* op : {"DescribeConnection", "DeleteConnection", "DeauthorizeConnection"}) {
    EXPECT_EQ(ErrorOf(stack_.CallEvents(op, {{"Name", "nope"}})), NotFound("nope")) << op;
  }
  EXPECT_EQ(ErrorOf(stack_.CallEvents("UpdateConnection",
                                      {{"Name", "nope"}, {"AuthParameters", BasicParameters()}})),
            NotFound("nope"));
  ASSERT_EQ(stack_.CallEvents("CreateConnection", CreateBasic("c")).status, 200);
  EXPECT_EQ(
      ErrorOf(stack_.CallEvents("CreateConnection", CreateBasic("c"))),
      AwsErrorAnswer({400, "ResourceAlreadyExistsException", "Connection c already exists."}));
}

TEST_F(EventsConnections, ValidatesAsEventBridgeDoesAndNeverQuotesASecret) {
  EXPECT_EQ(ErrorOf(stack_.CallEvents("CreateConnection", CreateBasic("bad name"))),
            EventsValidation("1 validation error detected: Value 'bad name' at 'name' failed to "
                             "satisfy constraint: Member must satisfy regular expression pattern: "
                             "[\\.\\-_A-Za-z0-9]+"));
  EXPECT_EQ(ErrorOf(stack_.CallEvents("CreateConnection", CreateBasic(std::string(65, 'n')))),
            EventsValidation("1 validation error detected: Value '" + std::string(65, 'n') +
                             "' at 'name' failed to satisfy constraint: Member must have length "
                             "less than or equal to 64"));
  EXPECT_EQ(ErrorOf(stack_.CallEvents("CreateConnection", {{"Name", "c"},
                                                           {"AuthorizationType", "NONE"},
                                                           {"AuthParameters", Json::object()}})),
            EventsValidation("1 validation error detected: Value 'NONE' at 'authorizationType' "
                             "failed to satisfy constraint: Member must satisfy enum value set: "
                             "[BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]"));
  EXPECT_EQ(ErrorOf(stack_.CallEvents("CreateConnection",
                                      {{"Name", "c"}, {"AuthorizationType", "BASIC"}})),
            EventsValidation("1 validation error detected: Value null at 'authParameters' failed "
                             "to satisfy constraint: Member must not be null"));
  EXPECT_EQ(
      ErrorOf(stack_.CallEvents(
          "CreateConnection", CreateBasic("c", {{"BasicAuthParameters", {{"Username", "u"}}},
                                                {"ApiKeyAuthParameters", {{"ApiKeyName", "k"}}}}))),
      EventsValidation("1 validation error detected: Value at "
                       "'authParameters.apiKeyAuthParameters' failed to satisfy constraint: "
                       "Member must not be set for authorization type BASIC"));
  // A secret that does not fit is reported without its value.
  const AwsAnswer bad_password =
      stack_.CallEvents("CreateConnection", CreateBasic("c", BasicParameters("u", "sec:ret-77")));
  EXPECT_EQ(ErrorOf(bad_password),
            EventsValidation(
                "1 validation error detected: Value at "
                "'authParameters.basicAuthParameters.password' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: "
                "^[ \\t]*[^\\x00-\\x1F:\\x7F]+([ \\t]+[^\\x00-\\x1F:\\x7F]+)*[ \\t]*$"));
  EXPECT_THAT(bad_password.raw, ::testing::Not(HasSubstr("ret-77")));
  // A header value cannot smuggle in another header.
  Json injected = BasicParameters();
  injected["InvocationHttpParameters"] = {
      {"HeaderParameters", {{{"Key", "X-A"}, {"Value", "a\r\nX-Evil: 1"}}}}};
  EXPECT_EQ(ErrorOf(stack_.CallEvents("CreateConnection", CreateBasic("c", injected))).message,
            "1 validation error detected: Value at "
            "'authParameters.invocationHttpParameters.headerParameters.1.member.value' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "^[ \\t]*[\\x20-\\x7E]+([ \\t]+[\\x20-\\x7E]+)*[ \\t]*$");
  Json keyless = BasicParameters();
  keyless["InvocationHttpParameters"] = {{"QueryStringParameters", {{{"Value", "v"}}}}};
  EXPECT_EQ(ErrorOf(stack_.CallEvents("CreateConnection", CreateBasic("c", keyless))),
            EventsValidation("1 validation error detected: Value null at "
                             "'authParameters.invocationHttpParameters.queryStringParameters.1."
                             "member.key' failed to satisfy constraint: Member must not be null"));
  // Client secrets travel to https:// endpoints, or to this machine.
  Json plain_http = {{"OAuthParameters",
                      {{"ClientParameters", {{"ClientID", "i"}, {"ClientSecret", "s"}}},
                       {"AuthorizationEndpoint", "http://auth.example.com/token"},
                       {"HttpMethod", "POST"}}}};
  EXPECT_EQ(ErrorOf(stack_.CallEvents("CreateConnection",
                                      {{"Name", "c"},
                                       {"AuthorizationType", "OAUTH_CLIENT_CREDENTIALS"},
                                       {"AuthParameters", plain_http}})),
            EventsValidation("1 validation error detected: Value "
                             "'http://auth.example.com/token' at "
                             "'authParameters.oAuthParameters.authorizationEndpoint' failed to "
                             "satisfy constraint: Member must be an https:// URL (http:// only "
                             "for a loopback host)"));
  EXPECT_EQ(ErrorOf(stack_.CallEvents("CreateConnection", {{"Name", "c"},
                                                           {"AuthorizationType", "BASIC"},
                                                           {"AuthParameters", BasicParameters()},
                                                           {"KmsKeyIdentifier", "alias/mine"}})),
            EventsValidation("1 validation error detected: Value at 'kmsKeyIdentifier' failed to "
                             "satisfy constraint: Member is not supported by stepd (it encrypts "
                             "connection secrets under its own key and calls public endpoints "
                             "only)"));
  EXPECT_EQ(
      ErrorOf(stack_.CallEvents("CreateConnection", {{"Name", 7}})),
      AwsErrorAnswer({400, "SerializationException", "Expected a string at 'name', got number"}));
  EXPECT_TRUE(stack_.CallEvents("ListConnections").body["Connections"].empty());
}

TEST_F(EventsConnections, ListsByNameWithFiltersAndPages) {
  for (const char* name : {"b-2", "a-1", "b-1", "b-3"}) {
    ASSERT_EQ(stack_.CallEvents("CreateConnection", CreateBasic(name)).status, 200);
  }
  ASSERT_EQ(stack_.CallEvents("DeauthorizeConnection", {{"Name", "b-3"}}).status, 200);
  auto names = [](const Json& body) {
    std::vector<std::string> out;
    for (const Json& c : body["Connections"]) out.push_back(c["Name"]);
    return out;
  };
  const Json all = stack_.CallEvents("ListConnections").body;
  EXPECT_THAT(names(all), ::testing::ElementsAre("a-1", "b-1", "b-2", "b-3"));
  EXPECT_EQ(all["Connections"][0]["AuthorizationType"], "BASIC");
  EXPECT_TRUE(all["Connections"][0].contains("LastAuthorizedTime"));
  EXPECT_FALSE(all.contains("NextToken"));

  const Json page1 =
      stack_.CallEvents("ListConnections", {{"NamePrefix", "b-"}, {"Limit", 2}}).body;
  EXPECT_THAT(names(page1), ::testing::ElementsAre("b-1", "b-2"));
  const Json page2 =
      stack_
          .CallEvents("ListConnections",
                      {{"NamePrefix", "b-"}, {"Limit", 2}, {"NextToken", page1["NextToken"]}})
          .body;
  EXPECT_THAT(names(page2), ::testing::ElementsAre("b-3"));
  EXPECT_FALSE(page2.contains("NextToken"));
  EXPECT_THAT(
      names(stack_.CallEvents("ListConnections", {{"ConnectionState", "DEAUTHORIZED"}}).body),
      ::testing::ElementsAre("b-3"));
  EXPECT_TRUE(stack_.CallEvents("ListConnections", {{"ConnectionState", "ACTIVE"}})
                  .body["Connections"]
                  .empty());
  EXPECT_EQ(ErrorOf(stack_.CallEvents("ListConnections", {{"Limit", 101}})),
            EventsValidation("1 validation error detected: Value '101' at 'limit' failed to "
                             "satisfy constraint: Member must have value less than or equal to "
                             "100"));
  EXPECT_EQ(ErrorOf(stack_.CallEvents("ListConnections", {{"NextToken", "forged"}})),
            EventsValidation("Invalid NextToken: it was not issued by this listing"));
}

TEST_F(EventsConnections, ChangesAreAuditedWithoutTheirParameters) {
  ASSERT_EQ(
      stack_.CallEvents("CreateConnection", CreateBasic("c", BasicParameters("u", "pw-audit-9")))
          .status,
      200);
  ASSERT_EQ(stack_.CallEvents("DeleteConnection", {{"Name", "c"}}).status, 200);
  const auto rows = stack_.store()->ListAudit({}).value().items;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].entry.action, "CreateConnection");
  EXPECT_EQ(rows[0].entry.actor, "admin");
  Json details = Json::parse(rows[0].entry.details_json);
  EXPECT_FALSE(details.value("request_id", "").empty());
  EXPECT_EQ(details["name"], "c");
  EXPECT_EQ(details["authorizationType"], "BASIC");
  EXPECT_EQ(details["outcome"], "ok");
  EXPECT_EQ(details["principal"]["id"], "admin");
  EXPECT_EQ(details.size(), 5u) << details;  // those and request_id: no parameters
  EXPECT_EQ(rows[0].entry.details_json.find("pw-audit-9"), std::string::npos);
  EXPECT_EQ(rows[1].entry.action, "DeleteConnection");
}

// A store whose connection writes fail as a full or contended one does.
class RefusingStore : public store::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Status CreateConnection(const store::ConnectionRecord&,
                          const std::vector<store::AuditEntry>&) override {
    return ResourceExhaustedError("CreateConnection: 3000 connections exist");
  }
  StatusOr<int64_t> UpdateConnection(const store::ConnectionRecord& c,
                                     const std::vector<store::AuditEntry>&) override {
    ++updates;
    return AbortedError("UpdateConnection: connection '" + c.arn + "' changed");
  }
  std::atomic<int> updates{0};
};

TEST(EventsConnectionsStoreFailures, AreLimitExceededAndConcurrentModification) {
  RefusingStore* refusing = nullptr;
  StackOptions options;
  options.wrap = [&refusing](store::Store* real) {
    auto wrapper = std::make_unique<RefusingStore>(real);
    refusing = wrapper.get();
    return wrapper;
  };
  AwsStack stack(options);
  EXPECT_EQ(ErrorOf(stack.CallEvents("CreateConnection", CreateBasic("c"))),
            AwsErrorAnswer({400, "LimitExceededException",
                            "The requested resource exceeds the maximum number allowed: "
                            "CreateConnection: 3000 connections exist"}));
  // Created beneath the refusing wrapper, then updated through it: the API
  // tries three times, then gives up.
  ASSERT_EQ(refusing->target()->CreateConnection(
                [] {
                  store::ConnectionRecord c;
                  c.name = "c";
                  c.arn = std::string(kConnectionArnPrefix) + "c/u";
                  return c;
                }(),
                {}),
            Status::OK());
  EXPECT_EQ(ErrorOf(stack.CallEvents("DeauthorizeConnection", {{"Name", "c"}})),
            AwsErrorAnswer({400, "ConcurrentModificationException",
                            "Connection 'c' is being changed by another request; try again."}));
  EXPECT_EQ(refusing->updates, 3);
}

TEST(EventsConnectionsWithoutKey, AnswerThatConnectionsNeedASecretsKey) {
  StackOptions options;
  options.connections = false;
  AwsStack stack(options);
  EXPECT_EQ(ErrorOf(stack.CallEvents("CreateConnection", CreateBasic("c"))),
            AwsErrorAnswer({500, "InternalException",
                            "Connections are not available: stepd runs without a secrets key"}));
  EXPECT_EQ(stack.CallEvents("ListConnections").status, 200);
}

TEST(EventsConnectionsWithKeys, AViewerReadsConnectionsAndOnlyAnAdminChangesThem) {
  StackOptions options;
  options.auth.access_keys.push_back({"AKIAVIEWER00000001", "viewer-secret", "vic", Role::kViewer});
  options.auth.access_keys.push_back(
      {"AKIAOPERATOR000001", "operator-secret", "ops", Role::kOperator});
  options.auth.access_keys.push_back({"AKIAADMIN000000001", "admin-secret", "ada", Role::kAdmin});
  AwsStack stack(options);
  auto signed_call = [&](std::string_view op, const Json& input, const std::string& key,
                         const std::string& secret) {
    http::Request request = AwsStack::EventsRequest(op, input.dump());
    AwsStack::Sign(&request, key, secret, "events");
    return stack.Send(std::move(request));
  };
  EXPECT_EQ(ErrorOf(signed_call("CreateConnection", CreateBasic("c"), "AKIAOPERATOR000001",
                                "operator-secret")),
            PlainError(403, "AccessDeniedException",
                       "User: ops is not authorized to perform: "
                       "events:CreateConnection on resource: c (it needs the 'manage' "
                       "permission; the principal's roles: operator)"));
  ASSERT_EQ(signed_call("CreateConnection", CreateBasic("c"), "AKIAADMIN000000001", "admin-secret")
                .status,
            200);
  EXPECT_EQ(
      signed_call("DescribeConnection", {{"Name", "c"}}, "AKIAVIEWER00000001", "viewer-secret")
          .status,
      200);
  EXPECT_EQ(
      signed_call("ListConnections", Json::object(), "AKIAVIEWER00000001", "viewer-secret").status,
      200);
  EXPECT_EQ(
      signed_call("DeauthorizeConnection", {{"Name", "c"}}, "AKIAVIEWER00000001", "viewer-secret")
          .status,
      403);
  // Unsigned: EventBridge's 401, bare.
  EXPECT_EQ(ErrorOf(stack.CallEvents("ListConnections")),
            PlainError(401, "UnrecognizedClientException",
                       "Missing Authentication Token: sign the request with SigV4 using a "
                       "configured access key"));
}

TEST(EventsConnectionsTarget, AnUnknownEventBridgeOperationIsUnknown) {
  AwsStack stack;
  const AwsAnswer answer = stack.CallEvents("PutRule", {{"Name", "r"}});
  EXPECT_EQ(ErrorOf(answer),
            PlainError(400, "UnknownOperationException", "Unknown operation 'AWSEvents.PutRule'"));
  EXPECT_EQ(answer.headers.Get("Content-Type"), "application/x-amz-json-1.1");
}

// --- Secrets never leak ----------------------------------------------------------

std::string FileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Connections are created, used, changed and listed with distinctive secret
// values; afterwards no value, nor the forms it travels in (Basic
// credentials, tokens), is in the database file (and its WAL), the log, the
// audit rows or any API answer.
TEST(ConnectionSecrets, NeverLeakToTheDatabaseTheLogOrAnyAnswer) {
  auto log = std::make_shared<std::ostringstream>();
  auto logger = std::make_shared<spdlog::logger>(
      "all", std::make_shared<spdlog::sinks::ostream_sink_mt>(*log));
  logger->set_level(spdlog::level::trace);
  StackOptions options;
  options.logger = logger;
  stepd::testing::TokenServer tokens;
  tokens.SetExpiresIn(1);  // refreshed twice during the test
  auto stack = std::make_unique<AwsStack>(options);
  std::vector<std::string> answers;
  auto call = [&](std::string_view op, const Json& input) {
    AwsAnswer answer = stack->CallEvents(op, input);
    answers.push_back(answer.raw);
    return answer;
  };

  const std::vector<std::string> secrets = {
      "LEAKCANARY-basic-pw-7f3a",   "LEAKCANARY-apikey-5c21", "LEAKCANARY-client-secret-9d0e",
      "LEAKCANARY-header-77aa",     "LEAKCANARY-query-1b2c",  "LEAKCANARY-body-3d4e",
      "LEAKCANARY-oauth-body-5f6a", "LEAKCANARY-new-pw-8b9c", "LEAKCANARY-bad:pw-0d1e"};
  const Json invocation = {
      {"HeaderParameters", {{{"Key", "X-H"}, {"Value", secrets[3]}, {"IsValueSecret", true}}}},
      {"QueryStringParameters", {{{"Key", "q"}, {"Value", secrets[4]}, {"IsValueSecret", true}}}},
      {"BodyParameters", {{{"Key", "b"}, {"Value", secrets[5]}, {"IsValueSecret", true}}}}};
  Json basic = BasicParameters("user-1", secrets[0]);
  basic["InvocationHttpParameters"] = invocation;
  const std::string basic_arn =
      call("CreateConnection", CreateBasic("basic", basic)).body["ConnectionArn"];
  const std::string key_arn =
      call("CreateConnection",
           {{"Name", "key"},
            {"AuthorizationType", "API_KEY"},
            {"AuthParameters",
             {{"ApiKeyAuthParameters", {{"ApiKeyName", "x-key"}, {"ApiKeyValue", secrets[1]}}},
              {"InvocationHttpParameters", invocation}}}})
          .body["ConnectionArn"];
  const std::string oauth_arn =
      call("CreateConnection",
           {{"Name", "oauth"},
            {"AuthorizationType", "OAUTH_CLIENT_CREDENTIALS"},
            {"AuthParameters",
             {{"OAuthParameters",
               {{"ClientParameters", {{"ClientID", "client-1"}, {"ClientSecret", secrets[2]}}},
                {"AuthorizationEndpoint", tokens.Url()},
                {"HttpMethod", "POST"},
                {"OAuthHttpParameters",
                 {{"BodyParameters",
                   {{{"Key", "aud"}, {"Value", secrets[6]}, {"IsValueSecret", true}}}}}}}},
              {"InvocationHttpParameters", invocation}}}})
          .body["ConnectionArn"];
  ASSERT_FALSE(basic_arn.empty());
  ASSERT_FALSE(key_arn.empty());
  ASSERT_FALSE(oauth_arn.empty());
  // Use them: every resolve opens the secrets; OAuth fetches, then refreshes.
  for (int round = 0; round < 3; ++round) {
    for (const std::string& arn : {basic_arn, key_arn, oauth_arn}) {
      ASSERT_TRUE(Resolve(*stack, arn).ok()) << arn;
    }
    if (round < 2) std::this_thread::sleep_for(std::chrono::milliseconds(600));
  }
  EXPECT_GE(tokens.requests(), 3u);
  // A refused refresh, whose answer quotes the secret back.
  tokens.FailWith(401,
                  "{\"error\":\"invalid_client\",\"error_description\":\"" + secrets[2] + "\"}");
  stack->connections()->Invalidate(oauth_arn);
  EXPECT_FALSE(Resolve(*stack, oauth_arn).ok());
  // Change, fail to change, read, list, deauthorize.
  call("UpdateConnection",
       {{"Name", "basic"},
        {"AuthParameters", {{"BasicAuthParameters", {{"Password", secrets[7]}}}}}});
  ASSERT_TRUE(Resolve(*stack, basic_arn).ok());
  call("UpdateConnection",
       {{"Name", "basic"},
        {"AuthParameters", {{"BasicAuthParameters", {{"Password", secrets[8]}}}}}});
  call("CreateConnection", CreateBasic("bad", BasicParameters("u", secrets[8])));
  for (const char* name : {"basic", "key", "oauth"}) call("DescribeConnection", {{"Name", name}});
  call("ListConnections", Json::object());
  // A body that is not JSON is refused without quoting it.
  const AwsAnswer broken = stack->Send(AwsStack::EventsRequest(
      "CreateConnection", R"({"Name": "x", "Password": ")" + secrets[0] + R"(", oops})"));
  answers.push_back(broken.raw);
  EXPECT_EQ(ErrorOf(broken),
            PlainError(400, "SerializationException",
                       "The request body is not valid JSON: invalid JSON at byte 55 (not quoted: "
                       "it may hold secrets)"));
  call("DeauthorizeConnection", {{"Name", "key"}});
  call("DeleteConnection", {{"Name", "oauth"}});
  stack->connections()->WaitIdle();

  std::vector<std::string> forms = secrets;
  forms.push_back(Base64Encode("user-1:" + secrets[0]));
  forms.push_back(Base64Encode("user-1:" + secrets[7]));
  forms.push_back(Base64Encode("client-1:" + secrets[2]));
  for (const std::string& token : tokens.tokens_issued()) forms.push_back("Bearer " + token);
  std::string audit;
  const auto rows = stack->store()->ListAudit({0, ""}).value().items;
  for (const store::AuditRecord& row : rows) {
    audit += row.entry.action + " " + row.entry.target + " " + row.entry.details_json + "\n";
  }
  // Everything committed is in the file or its write-ahead log (the stack
  // removes both when it goes).
  const std::filesystem::path db = stack->db_path();
  const std::string db_bytes = FileBytes(db) + FileBytes(db.string() + "-wal");
  stack.reset();
  ASSERT_GT(db_bytes.size(), 0u);
  std::string all_answers;
  for (const std::string& a : answers) all_answers += a + "\n";
  // What is not secret is there in clear: the searches below can find text.
  ASSERT_THAT(db_bytes, HasSubstr("client-1"));
  ASSERT_THAT(all_answers, HasSubstr("user-1"));
  ASSERT_THAT(audit, HasSubstr("CreateConnection"));
  for (const std::string& form : forms) {
    EXPECT_EQ(db_bytes.find(form), std::string::npos) << "database holds " << form;
    EXPECT_EQ(log->str().find(form), std::string::npos) << "log holds " << form;
    EXPECT_EQ(all_answers.find(form), std::string::npos) << "an answer holds " << form;
    EXPECT_EQ(audit.find(form), std::string::npos) << "the audit holds " << form;
  }
  EXPECT_THAT(log->str(), HasSubstr("OAuth access token obtained"));  // the log was written
}

}  // namespace
}  // namespace stepd::api::testing
