// `stepd serve` with OIDC: real tokens (tests/support/jwt_signer.h) against
// the real process over HTTP, the issuer's keys in a JWKS file that is
// rotated while the server runs, roles from bindings, and the audit log
// read back with `stepd audit list` and checked with `stepd audit verify`.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "server/stepd_process_testing.h"
#include "stepd/api/console.h"
#include "stepd/base/json.h"
#include "stepd/http/client.h"
#include "support/jwt_signer.h"

namespace stepd::server {
namespace {

using api::JwtAlgorithm;
using api::testing::JwksText;
using api::testing::TestKey;
using api::testing::TestKeyType;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadFile;
using testing::RunningServer;
using testing::RunStepd;
using testing::ScratchDir;

constexpr char kIssuer[] = "https://idp.example.com";
constexpr char kPassDefinition[] = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";
constexpr char kWaitDefinition[] =
    R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}})";
constexpr char kRoleArn[] = "arn:aws:iam::123456789012:role/stepd";

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Answer {
  int status = 0;
  std::string body;
  std::string www_authenticate;
  std::string type() const {
    auto parsed = ParseJson(body);
    return parsed.ok() && parsed->is_object() ? parsed->value("__type", "") : "";
  }
};

class ServeWithOidc : public ::testing::Test {
 protected:
  void SetUp() override {
    jwks_path_ = dir_.Write("jwks.json", JwksText({k1_->PublicJwk()}));
    Json config = {
        {"auth",
         {{"oidc",
           {{"issuer", kIssuer},
            {"audience", {"stepd"}},
            {"jwks_file", jwks_path_},
            {"unknown_kid_refresh_seconds", 1},
            {"header", "X-Goog-IAP-JWT-Assertion"}}},
          {"bindings",
           {{{"group", "ops"}, {"role", "operator"}},
            {{"email", "*@admins.example.com"}, {"role", "admin"}},
            {{"subject", "looker-svc"}, {"role", "trigger"}},
            {{"subject", "etl-bot"}, {"role", "operator"}, {"state_machines", {"etl-*"}}}}}}}};
    config_path_ = dir_.Write("stepd.json", config.dump(2));
    server_ = RunningServer::Start(dir_, {"--config", config_path_});
    ASSERT_NE(server_, nullptr);
  }

  // A token of `key` for `sub` with `extra` claims merged in.
  std::string Token(const std::string& sub, Json extra = Json::object(),
                    const TestKey* key = nullptr) const {
    const int64_t now = NowSeconds();
    Json claims = {{"iss", kIssuer}, {"aud", "stepd"}, {"sub", sub},
                   {"iat", now},     {"exp", now + 600}};
    for (auto& [k, v] : extra.items()) claims[k] = v;
    key = key ? key : k1_;
    return key->Sign(key == k1_ ? JwtAlgorithm::kES256 : JwtAlgorithm::kEdDSA, claims);
  }
  std::string Admin() const { return Token("bob", {{"email", "bob@admins.example.com"}}); }
  std::string Operator() const { return Token("alice", {{"groups", {"staff", "ops"}}}); }
  std::string Viewer() const { return Token("carol"); }
  std::string Trigger() const { return Token("looker-svc"); }

  Answer Aws(const std::string& operation, const Json& input, const std::string& token,
             const std::string& header = "Authorization") {
    http::ClientRequest request;
    request.method = "POST";
    request.url = server_->base_url() + "/";
    request.headers.Add("X-Amz-Target", "AWSStepFunctions." + operation);
    request.headers.Add("Content-Type", "application/x-amz-json-1.0");
    if (!token.empty()) {
      used_tokens_.push_back(token);
      request.headers.Add(header, header == "Authorization" ? "Bearer " + token : token);
    }
    request.body = input.dump();
    auto response = http::Fetch(request);
    if (!response.ok()) {
      ADD_FAILURE() << operation << ": " << response.status();
      return {};
    }
    Answer answer{response->status, response->body, ""};
    if (auto h = response->headers.Get("WWW-Authenticate")) answer.www_authenticate = *h;
    return answer;
  }

  // A request to the REST API with `token` (none when empty).
  Answer Rest(const std::string& method, const std::string& path, const std::string& token,
              const Json& body = Json()) {
    http::ClientRequest request;
    request.method = method;
    request.url = server_->base_url() + path;
    if (!body.is_null()) {
      request.headers.Add("Content-Type", "application/json");
      request.body = body.dump();
    }
    if (!token.empty()) {
      used_tokens_.push_back(token);
      request.headers.Add("Authorization", "Bearer " + token);
    }
    auto response = http::Fetch(request);
    if (!response.ok()) {
      ADD_FAILURE() << method << " " << path << ": " << response.status();
      return {};
    }
    Answer answer{response->status, response->body, ""};
    if (auto h = response->headers.Get("WWW-Authenticate")) answer.www_authenticate = *h;
    return answer;
  }

  std::string MachineArn(const std::string& name) const {
    return "arn:aws:states:us-east-1:123456789012:stateMachine:" + name;
  }
  std::string CreateMachine(const std::string& name, const char* definition) {
    Answer created = Aws("CreateStateMachine",
                         {{"name", name}, {"definition", definition}, {"roleArn", kRoleArn}},
                         Admin());
    EXPECT_EQ(created.status, 200) << created.body;
    return MachineArn(name);
  }

  // Made once per process: key generation is slow.
  const TestKey* const k1_ = &api::testing::SharedTestKey(TestKeyType::kEcP256, "k1");
  const TestKey* const k2_ = &api::testing::SharedTestKey(TestKeyType::kEd25519, "k2");
  ScratchDir dir_;
  std::string jwks_path_;
  std::string config_path_;
  std::unique_ptr<RunningServer> server_;
  std::vector<std::string> used_tokens_;
};

TEST_F(ServeWithOidc, ARequestWithoutAValidTokenIs401WithTheReasonAndNothingIsDone) {
  const std::string machine = CreateMachine("m", kPassDefinition);
  const int64_t now = NowSeconds();
  struct Case {
    std::string name;
    std::string token;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"none", "", "Missing Authentication Token"},
      {"expired", Token("alice", {{"exp", now - 120}, {"groups", {"ops"}}}), "expired"},
      {"not yet valid", Token("alice", {{"nbf", now + 600}, {"groups", {"ops"}}}),
       "not valid yet"},
      {"another audience", Token("alice", {{"aud", "other-service"}, {"groups", {"ops"}}}),
       "another audience"},
      {"another issuer", Token("alice", {{"iss", "https://evil.example.com"}}),
       "another issuer"},
      {"garbage", "not.a.jwt", "not a well-formed JWT"},
      {"alg none", api::testing::RawToken(R"({"alg":"none","kid":"k1"})",
                                          Json{{"iss", kIssuer},
                                               {"aud", "stepd"},
                                               {"sub", "alice"},
                                               {"exp", now + 600},
                                               {"groups", {"ops"}}}
                                              .dump(),
                                          "x"),
       "algorithm is not allowed"},
      {"hmac with the public key",
       api::testing::HmacToken({{"alg", "HS256"}, {"kid", "k1"}},
                               {{"iss", kIssuer}, {"aud", "stepd"}, {"sub", "alice"},
                                {"exp", now + 600}, {"groups", {"ops"}}},
                               k1_->PublicKeyPem()),
       "algorithm is not allowed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Answer answer = Aws("StartExecution", {{"stateMachineArn", machine}, {"name", "x"}}, c.token);
    EXPECT_EQ(answer.status, 401) << answer.body;
    EXPECT_EQ(answer.type(), "UnrecognizedClientException") << answer.body;
    EXPECT_THAT(answer.body, HasSubstr(c.why));
    EXPECT_EQ(answer.www_authenticate, "Bearer");
  }
  // Nothing ran; the server still serves.
  Answer listed = Aws("ListExecutions", {{"stateMachineArn", machine}}, Viewer());
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(ParseJson(listed.body)->at("executions").size(), 0u);
  // The log says why, and never holds a token.
  const std::string log = server_->process().Stderr() + server_->process().Stdout();
  EXPECT_THAT(log, HasSubstr("authentication refused: oidc token refused (expired)"));
  for (const Case& c : cases) {
    if (!c.token.empty() && c.token != "not.a.jwt") {
      EXPECT_THAT(log, Not(HasSubstr(c.token))) << c.name;
    }
  }
}

TEST_F(ServeWithOidc, TheConsoleWantsTheApisCredentialAndShowsBrowsersItsPageToSignIn) {
  if (api::EmbeddedConsolePage().html.empty()) GTEST_SKIP() << "built with -DSTEPD_CONSOLE=OFF";
  auto open = [&](const std::string& accept, const std::string& token) {
    http::ClientRequest request;
    request.url = server_->base_url() + "/console/";
    if (!accept.empty()) request.headers.Add("Accept", accept);
    if (!token.empty()) request.headers.Add("Authorization", "Bearer " + token);
    auto response = http::Fetch(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::ClientResponse{};
  };
  http::ClientResponse tool = open("application/json", "");
  EXPECT_EQ(tool.status, 401);
  EXPECT_EQ(tool.headers.Get("WWW-Authenticate").value_or(""), "Bearer");
  EXPECT_EQ(tool.headers.Get("Content-Type").value_or(""), "application/problem+json");
  http::ClientResponse browser = open("text/html,application/xhtml+xml,*/*;q=0.8", "");
  EXPECT_EQ(browser.status, 401);
  EXPECT_EQ(browser.headers.Get("WWW-Authenticate").value_or(""), "Bearer");
  EXPECT_EQ(browser.headers.Get("Content-Type").value_or(""), "text/html; charset=utf-8");
  // No console client is configured: the user pastes a token.
  EXPECT_THAT(browser.body, HasSubstr(R"("auth":{"mode":"token"})"));
  EXPECT_THAT(std::string(browser.headers.Get("Content-Security-Policy").value_or("")),
              HasSubstr("connect-src 'self' https://idp.example.com;"));
  EXPECT_EQ(open("text/html", Viewer()).status, 200);
  EXPECT_THAT(server_->process().Stderr(),
              HasSubstr("/console/ (sign-in: a pasted bearer token (no console.oidc.client_id))"));
}

TEST_F(ServeWithOidc, EachRoleFromTheBindingsIsAllowedOrRefused403) {
  const std::string machine = CreateMachine("m", kWaitDefinition);
  const std::string etl = CreateMachine("etl-daily", kWaitDefinition);
  struct Who {
    std::string name;
    std::string token;
  };
  const std::vector<Who> who = {{"viewer", Viewer()},
                                {"trigger", Trigger()},
                                {"operator", Operator()},
                                {"admin", Admin()}};
  int n = 0;
  auto run_name = [&n] { return "run-" + std::to_string(++n); };
  for (const Who& w : who) {
    SCOPED_TRACE(w.name);
    const bool reads = w.name != "trigger";
    const bool starts = w.name != "viewer";
    const bool operates = w.name == "operator" || w.name == "admin";
    const bool manages = w.name == "admin";
    EXPECT_EQ(Aws("ListStateMachines", Json::object(), w.token).status, reads ? 200 : 403);
    const std::string name = run_name();
    Answer started = Aws("StartExecution", {{"stateMachineArn", machine}, {"name", name}},
                         w.token);
    EXPECT_EQ(started.status, starts ? 200 : 403) << started.body;
    if (!starts) {
      EXPECT_EQ(started.type(), "AccessDeniedException");
      EXPECT_THAT(started.body, HasSubstr("it needs the 'start' permission"));
    }
    const std::string arn =
        "arn:aws:states:us-east-1:123456789012:execution:m:" + (starts ? name : "absent");
    Answer stopped = Aws("StopExecution", {{"executionArn", arn}}, w.token);
    EXPECT_EQ(stopped.status, operates ? (starts ? 200 : 400) : 403) << stopped.body;
    Answer created = Aws("CreateStateMachine",
                         {{"name", "new-" + w.name}, {"definition", kPassDefinition},
                          {"roleArn", kRoleArn}},
                         w.token);
    EXPECT_EQ(created.status, manages ? 200 : 403) << created.body;
  }
  // Scoped: the bot operates etl-* only.
  const std::string bot = Token("etl-bot");
  EXPECT_EQ(Aws("StartExecution", {{"stateMachineArn", etl}}, bot).status, 200);
  EXPECT_EQ(Aws("StartExecution", {{"stateMachineArn", machine}}, bot).status, 403);
}

TEST_F(ServeWithOidc, TheRestApiHoldsEachRoleToTheSameRulesAsTheAwsApi) {
  CreateMachine("m", kWaitDefinition);
  CreateMachine("etl-daily", kWaitDefinition);
  Answer none = Rest("GET", "/v1/executions", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.www_authenticate, "Bearer");
  EXPECT_THAT(none.body, HasSubstr("\"type\":\"urn:stepd:problem:unauthorized\""));

  EXPECT_EQ(Rest("POST", "/v1/state-machines/m/executions", Trigger(), {{"name", "t1"}}).status,
            201);
  EXPECT_EQ(Rest("GET", "/v1/executions", Viewer()).status, 200);
  Answer viewer_stop = Rest("POST", "/v1/executions/m:t1/stop", Viewer(), Json::object());
  EXPECT_EQ(viewer_stop.status, 403) << viewer_stop.body;
  EXPECT_THAT(viewer_stop.body, HasSubstr("it needs the 'operate' permission"));
  EXPECT_THAT(viewer_stop.body, HasSubstr("\"code\":\"AccessDeniedException\""));
  EXPECT_EQ(Rest("GET", "/v1/audit", Viewer()).status, 403);
  EXPECT_EQ(Rest("POST", "/v1/executions/m:t1/stop", Operator(), Json::object()).status, 200);
  EXPECT_EQ(Rest("GET", "/v1/audit?action=StopExecution", Operator()).status, 200);

  // The scoped bot sees and acts on etl-* only, in bulk too.
  const std::string bot = Token("etl-bot");
  EXPECT_EQ(Rest("POST", "/v1/state-machines/etl-daily/executions", bot, {{"name", "e1"}}).status,
            201);
  EXPECT_EQ(Rest("POST", "/v1/state-machines/m/executions", Admin(), {{"name", "t2"}}).status,
            201);
  Answer listed = Rest("GET", "/v1/executions?status=RUNNING", bot);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_THAT(listed.body, HasSubstr("etl-daily:e1"));
  EXPECT_THAT(listed.body, Not(HasSubstr("m:t2")));
  Answer bulk = Rest("POST", "/v1/executions:stop", bot, {{"all", true}});
  ASSERT_EQ(bulk.status, 200) << bulk.body;
  EXPECT_THAT(bulk.body, HasSubstr("\"succeeded\":1"));
  Answer still = Rest("GET", "/v1/executions/m:t2", Admin());
  EXPECT_THAT(still.body, HasSubstr("\"status\":\"RUNNING\""));
  // No token ends up in the audit rows the REST calls wrote.
  Answer audit = Rest("GET", "/v1/audit", Admin());
  for (const std::string& token : used_tokens_) {
    EXPECT_EQ(audit.body.find(token.substr(token.rfind('.') + 1)), std::string::npos);
  }
}

TEST_F(ServeWithOidc, AnIdentityAwareProxysHeaderCarriesTheTokenItself) {
  Answer answer = Aws("ListStateMachines", Json::object(), Operator(), "X-Goog-IAP-JWT-Assertion");
  EXPECT_EQ(answer.status, 200) << answer.body;
  answer = Aws("ListStateMachines", Json::object(), Token("alice", {{"exp", NowSeconds() - 300}}),
               "X-Goog-IAP-JWT-Assertion");
  EXPECT_EQ(answer.status, 401) << answer.body;
}

TEST_F(ServeWithOidc, ARotatedKeyInTheJwksFileIsAcceptedWithoutARestart) {
  const std::string with_k2 = Token("alice", {{"groups", {"ops"}}}, k2_);
  Answer before = Aws("ListStateMachines", Json::object(), with_k2);
  EXPECT_EQ(before.status, 401) << before.body;
  EXPECT_THAT(before.body, HasSubstr("a key the issuer does not publish"));
  // The issuer publishes k2 (and retires k1).
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a new mtime
  dir_.Write("jwks.json.new", JwksText({k2_->PublicJwk()}));
  std::filesystem::rename(dir_.File("jwks.json.new"), jwks_path_);
  // A refresh for an unknown key happens at most once a second here.
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    status = Aws("ListStateMachines", Json::object(), with_k2).status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(status, 200);
  // k1 is gone from the set: its tokens are refused once the set is re-read.
  EXPECT_EQ(Aws("ListStateMachines", Json::object(), Operator()).status, 401);
}

TEST_F(ServeWithOidc, TheAuditListsWhoDidWhatAndTheChainVerifies) {
  const std::string machine = CreateMachine("report", kWaitDefinition);
  Answer started = Aws("StartExecution", {{"stateMachineArn", machine}, {"name", "r1"}},
                       Operator());
  ASSERT_EQ(started.status, 200) << started.body;
  ASSERT_EQ(Aws("StopExecution",
                {{"executionArn", "arn:aws:states:us-east-1:123456789012:execution:report:r1"}},
                Trigger())
                .status,
            403);
  ASSERT_EQ(Aws("StopExecution",
                {{"executionArn", "arn:aws:states:us-east-1:123456789012:execution:report:r1"}},
                Admin())
                .status,
            200);
  const std::string db = dir_.File("stepd.db");
  const std::string alice = std::string("oidc:") + kIssuer + "#alice";
  auto list = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {"audit", "list", "--db", db};
    all.insert(all.end(), args.begin(), args.end());
    testing::CommandResult result = RunStepd(dir_, all);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    std::vector<Json> rows;
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);) rows.push_back(Json::parse(line));
    return rows;
  };
  std::vector<Json> by_alice = list({"--principal", alice});
  ASSERT_FALSE(by_alice.empty());
  EXPECT_EQ(by_alice[0]["action"], "ExecutionStarted");
  EXPECT_EQ(by_alice[0]["details"]["principal"]["subject"], "alice");
  EXPECT_EQ(by_alice[0]["details"]["principal"]["issuer"], kIssuer);
  EXPECT_THAT(by_alice[0]["details"]["source"].get<std::string>(), HasSubstr("127.0.0.1:"));
  EXPECT_FALSE(by_alice[0]["details"]["request_id"].get<std::string>().empty());

  std::vector<Json> stops = list({"--action", "StopExecution"});
  ASSERT_EQ(stops.size(), 1u);  // the refusal; the admin's stop is ExecutionAborted
  EXPECT_EQ(stops[0]["actor"], std::string("oidc:") + kIssuer + "#looker-svc");
  EXPECT_EQ(stops[0]["details"]["outcome"], "denied");
  std::vector<Json> aborted = list({"--action", "ExecutionAborted"});
  ASSERT_EQ(aborted.size(), 1u);
  EXPECT_EQ(aborted[0]["actor"], std::string("oidc:") + kIssuer + "#bob");
  EXPECT_EQ(aborted[0]["details"]["principal"]["email"], "bob@admins.example.com");

  // The configuration of who may do what is audited too, once.
  std::vector<Json> config = list({"--action", "AuthConfigurationChanged"});
  ASSERT_EQ(config.size(), 1u);
  EXPECT_EQ(config[0]["details"]["configuration"]["bindings"][0]["group"], "ops");

  std::vector<Json> newest = list({"--newest-first", "--limit", "1"});
  ASSERT_EQ(newest.size(), 1u);
  testing::CommandResult verify = RunStepd(dir_, {"audit", "verify", "--db", db});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_THAT(verify.out, HasSubstr("audit chain intact"));
  // No token in the database, its WAL or the server's output.
  const std::string kept = ReadFile(db) + ReadFile(db + "-wal") + server_->process().Stderr() +
                           server_->process().Stdout();
  ASSERT_FALSE(used_tokens_.empty());
  for (const std::string& token : used_tokens_) {
    // The signature part: a token's header and claims are public anyway.
    EXPECT_THAT(kept, Not(HasSubstr(token.substr(token.rfind('.') + 1))));
  }
}

TEST(ServeAuditList, BadTimesAreUsageErrors) {
  ScratchDir dir;
  testing::CommandResult result =
      RunStepd(dir, {"audit", "list", "--db", dir.File("none.db"), "--since", "yesterday"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--since \"yesterday\" is neither RFC 3339"));
}

}  // namespace
}  // namespace stepd::server
