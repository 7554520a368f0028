// Notification sinks and rules (config ones read-only, secrets never shown),
// the outbox with its dead letters, and who may do what.

#include <gmock/gmock.h>

#include <memory>

#include "api/rest_testing.h"
#include "http/target_server_testing.h"
#include "stepd/http/async_client.h"
#include "stepd/runtime/notifier.h"

namespace stepd::api::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecretUrl[] = "https://hooks.example.com/services/T0/SECRETPATH";
constexpr char kSigningKey[] = "whsec-SIGNINGKEY-0123456789";

class RestNotifications : public RestTest {
 protected:
  void SetUp() override { Restart(); }
  void TearDown() override {
    notifier_.reset();
    if (client_) client_->Stop();
  }

  // (Re)builds the stack with `options` and a notifier with a config-file
  // slack sink "cfg" (answering 400: a dead letter at once) and rule "cfg-all".
  void Restart(StackOptions options = {}) {
    notifier_.reset();
    stack_ = std::make_unique<AwsStack>(options);
    if (!client_) client_ = http::AsyncClient::Create({}).value();
    if (!box_) box_.emplace(SecretBox::FromKey(std::string(32, 'n')).value());
    runtime::NotifierOptions o;
    o.poll_interval = std::chrono::milliseconds(10);
    o.initial_backoff = std::chrono::milliseconds(5);
    o.max_backoff = std::chrono::milliseconds(10);
    runtime::NotificationSink cfg;
    cfg.name = "cfg";
    cfg.type = "slack";
    cfg.url = receiver_.Url("/status/400");
    o.sinks = {cfg};
    o.rules = {runtime::NotificationRule{"cfg-all", {"fail-*"}, {"FAILED"}, "cfg", "config"}};
    notifier_ = std::make_unique<runtime::Notifier>(o, stack_->store(), SystemClock::Default(),
                                                    client_.get(), &*box_, nullptr);
    ASSERT_EQ(notifier_->Start(), Status::OK());
    stack_->SetNotifier(notifier_.get());
  }

  AwsAnswer Put(std::string_view target, const Json& body) { return Rest("PUT", target, body); }
  // A body the OpenAPI document refuses too: its answer alone is checked.
  AwsAnswer PutBad(std::string_view target, const Json& body) {
    return RestRaw("PUT", target, body.dump());
  }

  // A request signed with SigV4 as access key `key_id` (as GetAs, any method).
  AwsAnswer SignedAs(const std::string& method, std::string_view target, const Json& body,
                     const std::string& key_id, const std::string& secret) {
    const http::Request aws = AwsStack::Request("Rest", "");
    http::Request request =
        http::MakeRequest(method, target, body.is_null() ? std::string() : body.dump(),
                          {{"Host", std::string(*aws.headers.Get("Host"))},
                           {"X-Amz-Date", std::string(*aws.headers.Get("X-Amz-Date"))},
                           {"X-Amz-Target", "rest"},
                           {"Content-Type", "application/json"}});
    AwsStack::Sign(&request, key_id, secret);
    return Checked(method, target, stack_->Send(std::move(request)));
  }

  http::testing::TargetServer receiver_;
  std::unique_ptr<http::AsyncClient> client_;
  std::optional<SecretBox> box_;
  std::unique_ptr<runtime::Notifier> notifier_;
};

TEST_F(RestNotifications, SinksAreCreatedReplacedAndDeletedWithoutEverShowingASecret) {
  const Json hook = {{"type", "webhook"}, {"url", kSecretUrl}, {"secret", kSigningKey}};
  AwsAnswer created = Put("/v1/notification-sinks/hook", hook);
  ASSERT_EQ(created.status, 201) << created.raw;
  EXPECT_EQ(created.headers.Get("Location").value_or(""), "/v1/notification-sinks/hook");
  EXPECT_EQ(created.body, Json({{"name", "hook"},
                                {"type", "webhook"},
                                {"url", "https://hooks.example.com/\xE2\x80\xA6(redacted)"},
                                {"secret", "(redacted)"},
                                {"source", "api"}}));
  EXPECT_EQ(Put("/v1/notification-sinks/hook", hook).status, 200);

  AwsAnswer listed = Get("/v1/notification-sinks");
  ASSERT_EQ(listed.status, 200) << listed.raw;
  ASSERT_EQ(listed.body["items"].size(), 2u);
  EXPECT_EQ(listed.body["items"][0]["name"], "cfg");
  EXPECT_EQ(listed.body["items"][0]["source"], "config");
  EXPECT_EQ(listed.body["items"][1]["name"], "hook");
  EXPECT_EQ(Get("/v1/notification-sinks/hook").body["url"],
            "https://hooks.example.com/\xE2\x80\xA6(redacted)");
  // Neither answers nor audit rows hold the URL's path or the key.
  const std::string audit = Get("/v1/audit?action=PutNotificationSink").raw;
  EXPECT_THAT(audit, HasSubstr("notification-sink/hook"));
  for (const std::string& text : {listed.raw, created.raw, audit}) {
    EXPECT_THAT(text, Not(HasSubstr("SECRETPATH")));
    EXPECT_THAT(text, Not(HasSubstr("SIGNINGKEY")));
  }

  EXPECT_EQ(Rest("DELETE", "/v1/notification-sinks/hook").status, 204);
  EXPECT_EQ(ProblemOf(Rest("DELETE", "/v1/notification-sinks/hook")),
            std::make_pair(404, std::string("ResourceNotFound")));
  EXPECT_EQ(ProblemOf(Get("/v1/notification-sinks/hook")),
            std::make_pair(404, std::string("ResourceNotFound")));
}

TEST_F(RestNotifications, ConfigSinksAndRulesAreReadOnly) {
  AwsAnswer put = Put("/v1/notification-sinks/cfg", {{"type", "slack"}, {"url", kSecretUrl}});
  EXPECT_EQ(ProblemOf(put), std::make_pair(409, std::string("ConflictException")));
  EXPECT_THAT(put.body["detail"].get<std::string>(), HasSubstr("defined in the config file"));
  EXPECT_EQ(ProblemOf(Rest("DELETE", "/v1/notification-sinks/cfg")),
            std::make_pair(409, std::string("ConflictException")));
  EXPECT_EQ(ProblemOf(Rest("DELETE", "/v1/notification-rules/cfg-all")),
            std::make_pair(409, std::string("ConflictException")));
  AwsAnswer rule = Get("/v1/notification-rules/cfg-all");
  ASSERT_EQ(rule.status, 200) << rule.raw;
  EXPECT_EQ(rule.body, Json({{"name", "cfg-all"},
                             {"state_machines", {"fail-*"}},
                             {"outcomes", {"FAILED"}},
                             {"sink", "cfg"},
                             {"source", "config"}}));
}

TEST_F(RestNotifications, BadSinksAndRulesAreRefusedWithPreciseMessages) {
  AwsAnswer bad_type = PutBad("/v1/notification-sinks/x", {{"type", "teams"}});
  EXPECT_EQ(ProblemOf(bad_type), std::make_pair(400, std::string("ValidationException")));
  EXPECT_EQ(bad_type.body["detail"],
            "sink 'x': unknown sink type 'teams' (slack, pagerduty or webhook)");
  AwsAnswer bad_url =
      PutBad("/v1/notification-sinks/x", {{"type", "slack"}, {"url", "ftp://h/SECRETPATH"}});
  EXPECT_EQ(bad_url.body["detail"], "sink 'x': member 'url' is not an http(s) URL");
  AwsAnswer unknown_sink =
      PutBad("/v1/notification-rules/r", {{"sink", "nope"}, {"outcomes", {"FAILED"}}});
  EXPECT_EQ(ProblemOf(unknown_sink), std::make_pair(400, std::string("ValidationException")));
  EXPECT_EQ(unknown_sink.body["detail"], "unknown sink 'nope'");
  AwsAnswer bad_outcome =
      PutBad("/v1/notification-rules/r", {{"sink", "cfg"}, {"outcomes", {"OOPS"}}});
  EXPECT_EQ(bad_outcome.body["detail"],
            "rule 'r': unknown outcome 'OOPS' (FAILED, TIMED_OUT, ABORTED, SUCCEEDED, REDRIVEN)");
  AwsAnswer bad_name =
      PutBad("/v1/notification-rules/a%20b", {{"sink", "cfg"}, {"outcomes", {"FAILED"}}});
  EXPECT_EQ(ProblemOf(bad_name), std::make_pair(400, std::string("ValidationException")));

  // Bodies that are not JSON a parser should take: precise 400s.
  AwsAnswer deep = RestRaw("PUT", "/v1/notification-sinks/x",
                           R"({"type":)" + std::string(600, '[') + std::string(600, ']') + "}");
  EXPECT_EQ(deep.status, 400) << deep.raw;
  EXPECT_NE(deep.raw.find("nest deeper than 512 levels"), std::string::npos) << deep.raw;
  AwsAnswer huge = RestRaw("PUT", "/v1/notification-rules/r", R"({"sink":"cfg","x":1e400})");
  EXPECT_EQ(huge.status, 400) << huge.raw;
  EXPECT_NE(huge.raw.find("invalid JSON"), std::string::npos) << huge.raw;

  AwsAnswer rule = Put(
      "/v1/notification-rules/nightly",
      {{"sink", "cfg"}, {"outcomes", {"FAILED", "TIMED_OUT"}}, {"state_machines", {"nightly-*"}}});
  ASSERT_EQ(rule.status, 201) << rule.raw;
  EXPECT_EQ(rule.body["source"], "api");
  EXPECT_EQ(Get("/v1/notification-rules").body["items"].size(), 2u);
  EXPECT_EQ(Rest("DELETE", "/v1/notification-rules/nightly").status, 204);
}

TEST_F(RestNotifications, DeadLettersAreListedAndRetriedByOperators) {
  const std::string machine = stack_->CreateMachine("fail-now", kFailDefinition);
  const std::string arn = stack_->StartExecution(machine, "r1");
  stack_->WaitForEnd(arn);
  ASSERT_TRUE(WaitUntil(
      [&] { return Get("/v1/notifications?status=DEAD_LETTER").body["items"].size() == 1; }));
  AwsAnswer dead = Get("/v1/notifications?status=DEAD_LETTER&execution=fail-now:r1");
  ASSERT_EQ(dead.status, 200) << dead.raw;
  ASSERT_EQ(dead.body["items"].size(), 1u);
  const Json item = dead.body["items"][0];
  EXPECT_EQ(item["status"], "DEAD_LETTER");
  EXPECT_EQ(item["attempts"], 1);
  EXPECT_EQ(item["last_error"], "HTTP 400 Bad Request");
  EXPECT_EQ(item["execution_arn"], arn);
  EXPECT_EQ(item["state_machine"], "fail-now");
  EXPECT_EQ(item["event"]["error"], "Boom");
  EXPECT_EQ(item["event"]["cause"], "it broke");
  EXPECT_EQ(item["event"]["failed_state"], "F");
  const std::string self = item["links"]["self"].get<std::string>();
  EXPECT_EQ(Get(self).body["id"], item["id"]);
  EXPECT_EQ(Get("/v1/notifications?status=PENDING").body["items"].size(), 0u);

  AwsAnswer retried = Rest("POST", self + "/retry");
  ASSERT_EQ(retried.status, 200) << retried.raw;
  EXPECT_EQ(retried.body["status"], "PENDING");
  EXPECT_EQ(retried.body["attempts"], 0);
  ASSERT_TRUE(WaitUntil([&] { return Get(self).body["status"] == "DEAD_LETTER"; }));
  EXPECT_EQ(receiver_.Count("/status/400"), 2u);
  EXPECT_EQ(Get("/v1/audit?action=RetryNotification").body["items"].size(), 1u);

  EXPECT_EQ(ProblemOf(Get("/v1/notifications/abc")),
            std::make_pair(400, std::string("InvalidPathParameter")));
  EXPECT_EQ(ProblemOf(Get("/v1/notifications/999")),
            std::make_pair(404, std::string("ResourceNotFound")));
  EXPECT_EQ(ProblemOf(Get("/v1/notifications?status=LOST")),
            std::make_pair(400, std::string("InvalidQueryParameter")));
}

TEST_F(RestNotifications, ViewersReadButOnlyManagersChangeSinksAndRules) {
  StackOptions options;
  options.auth.access_keys = {{"AKIDNOTIFYADMIN1", "admin-secret", "", Role::kAdmin},
                              {"AKIDNOTIFYVIEW01", "viewer-secret", "viewer", Role::kViewer}};
  Restart(options);
  auto viewer = [&](const std::string& method, std::string_view target, const Json& body = Json()) {
    return SignedAs(method, target, body, "AKIDNOTIFYVIEW01", "viewer-secret");
  };
  EXPECT_EQ(viewer("GET", "/v1/notification-sinks").status, 200);
  EXPECT_EQ(viewer("GET", "/v1/notification-rules").status, 200);
  EXPECT_EQ(viewer("GET", "/v1/notifications").status, 200);
  EXPECT_EQ(ProblemOf(viewer("PUT", "/v1/notification-sinks/x",
                             {{"type", "slack"}, {"url", kSecretUrl}})),
            std::make_pair(403, std::string("AccessDeniedException")));
  EXPECT_EQ(ProblemOf(viewer("DELETE", "/v1/notification-rules/cfg-all")),
            std::make_pair(403, std::string("AccessDeniedException")));
  AwsAnswer admin =
      SignedAs("PUT", "/v1/notification-sinks/x", {{"type", "slack"}, {"url", kSecretUrl}},
               "AKIDNOTIFYADMIN1", "admin-secret");
  EXPECT_EQ(admin.status, 201) << admin.raw;
}

}  // namespace
}  // namespace stepd::api::testing
