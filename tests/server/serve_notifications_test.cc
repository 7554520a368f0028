// Notifications through the real `stepd serve`: a config file with a Slack
// sink pointing at a loopback receiver, a failing workflow, the message the
// receiver got, and the secret webhook URL nowhere in the server's log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "http/target_server_testing.h"
#include "server/stepd_process_testing.h"
#include "stepd/base/json.h"
#include "stepd/http/client.h"

namespace stepd::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunningServer;
using testing::ScratchDir;

constexpr char kSecretPath[] = "/echo/services/T000/B000/SECRETHOOKTOKEN";

Json Call(const RunningServer& server, const std::string& method, const std::string& path,
          const std::string& target = "", const Json& input = Json()) {
  http::ClientRequest request;
  request.method = method;
  request.url = server.base_url() + path;
  if (!target.empty()) {
    request.headers.Add("X-Amz-Target", "AWSStepFunctions." + target);
    request.headers.Add("Content-Type", "application/x-amz-json-1.0");
    request.body = input.dump();
  }
  auto response = http::Fetch(request);
  if (!response.ok()) {
    ADD_FAILURE() << path << " " << target << ": " << response.status();
    return Json();
  }
  EXPECT_LT(response->status, 300) << path << " " << target << ": " << response->body;
  auto body = ParseJson(response->body);
  return body.ok() ? *body : Json();
}

TEST(ServeNotifications, AFailedExecutionReachesTheSlackReceiverAndTheSecretUrlIsNeverLogged) {
  http::testing::TargetServer receiver;
  ScratchDir dir;
  const std::string hook = receiver.Url(kSecretPath);
  const Json config = {
      {"notifications",
       {{"sinks", {{"ops", {{"type", "slack"}, {"url", hook}}}}},
        {"rules",
         {{"nightly-failures",
           {{"state_machines", {"nightly-*"}}, {"outcomes", {"FAILED"}}, {"sink", "ops"}}}}},
        {"console_url", "https://stepd.example.com"},
        {"poll_interval_ms", 50}}}};
  const std::string config_file = dir.Write("stepd.json", config.dump(2));
  auto server = RunningServer::Start(dir, {"--config", config_file, "--log-level", "debug"});
  ASSERT_NE(server, nullptr);

  const Json machine = Call(
      *server, "POST", "/", "CreateStateMachine",
      {{"name", "nightly-report"},
       {"roleArn", "arn:aws:iam::123456789012:role/stepd"},
       {"definition",
        R"({"StartAt":"Extract","States":{"Extract":{"Type":"Pass","Next":"Publish"},)"
        R"("Publish":{"Type":"Fail","Error":"Report.Empty","Cause":"no rows for 2026-12-01"}}})"}});
  const Json started = Call(*server, "POST", "/", "StartExecution",
                            {{"stateMachineArn", machine["stateMachineArn"]}, {"name", "run-1"}});
  const std::string arn = started.value("executionArn", "");
  ASSERT_FALSE(arn.empty());

  ASSERT_TRUE(receiver.WaitFor("/echo/services", 1, std::chrono::seconds(30)));
  const auto seen = receiver.Seen();
  ASSERT_EQ(seen.size(), 1u);
  const Json message = Json::parse(seen[0].body);
  EXPECT_THAT(message["text"].get<std::string>(),
              HasSubstr("execution run-1 of nightly-report FAILED: Report.Empty"));
  const std::string blocks = message["blocks"].dump();
  EXPECT_THAT(blocks, HasSubstr("*Failed state*\\nPublish"));
  EXPECT_THAT(blocks, HasSubstr("no rows for 2026-12-01"));
  EXPECT_THAT(blocks, HasSubstr("<https://stepd.example.com/console/#/executions/arn%3Aaws%3A"));

  // The outbox says DELIVERED; the sink is shown redacted.
  Json delivered;
  for (int i = 0; i < 200; ++i) {
    delivered = Call(*server, "GET", "/v1/notifications?status=DELIVERED");
    if (delivered["items"].size() == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(delivered["items"].size(), 1u) << delivered.dump();
  EXPECT_EQ(delivered["items"][0]["execution_arn"], arn);
  const Json sinks = Call(*server, "GET", "/v1/notification-sinks");
  EXPECT_EQ(sinks["items"][0]["source"], "config");
  EXPECT_THAT(sinks.dump(), Not(HasSubstr("SECRETHOOKTOKEN")));

  server->process().Signal(SIGTERM);
  EXPECT_EQ(server->process().Wait(std::chrono::seconds(30)), 0);
  const std::string log = server->process().Stderr() + server->process().Stdout();
  EXPECT_THAT(log, HasSubstr("notifications: 1 sink(s) and 1 rule(s)"));
  EXPECT_THAT(log, Not(HasSubstr("SECRETHOOKTOKEN")));
}

}  // namespace
}  // namespace stepd::server
