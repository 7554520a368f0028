// Nested executions (arn:aws:states:::states:startExecution) through the AWS
// API of the real `stepd serve`, killed (SIGKILL) while a parent waits for
// its child and started again on the same database.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <thread>

#include "server/stepd_process_testing.h"
#include "stepd/base/json.h"
#include "stepd/http/client.h"

namespace stepd::server {
namespace {

using testing::RunningServer;
using testing::ScratchDir;

// An AWS JSON API call to `server`; the answer's body.
Json Aws(const RunningServer& server, const std::string& operation, const Json& input) {
  http::ClientRequest request;
  request.method = "POST";
  request.url = server.base_url() + "/";
  request.headers.Add("X-Amz-Target", "AWSStepFunctions." + operation);
  request.headers.Add("Content-Type", "application/x-amz-json-1.0");
  request.body = input.dump();
  auto response = http::Fetch(request);
  if (!response.ok()) {
    ADD_FAILURE() << operation << ": " << response.status();
    return Json();
  }
  EXPECT_EQ(response->status, 200) << operation << ": " << response->body;
  auto body = ParseJson(response->body);
  return body.ok() ? *body : Json();
}

Json ExecutionsOf(const RunningServer& server, const std::string& machine_arn) {
  return Aws(server, "ListExecutions", {{"stateMachineArn", machine_arn}})["executions"];
}

// Polls (real time, up to 60 s) until `done` holds for what DescribeExecution answers.
Json WaitFor(const RunningServer& server, const std::string& arn,
             const std::function<bool(const Json&)>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  Json described;
  do {
    described = Aws(server, "DescribeExecution", {{"executionArn", arn}});
    if (done(described)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return described;
}

TEST(ServeNested, AParentKilledWhileItWaitsFindsItsChildAgainAfterTheRestart) {
  ScratchDir dir;
  auto server = RunningServer::Start(dir);
  ASSERT_NE(server, nullptr);
  const std::string role = "arn:aws:iam::123456789012:role/r";
  const Json child_definition = {
      {"StartAt", "Hold"},
      {"States",
       {{"Hold", {{"Type", "Wait"}, {"Seconds", 2}, {"Next", "Done"}}},
        {"Done", {{"Type", "Pass"}, {"Parameters", {{"got.$", "$.order"}}}, {"End", true}}}}}};
  const std::string child = Aws(*server, "CreateStateMachine",
                                {{"name", "child"},
                                 {"definition", child_definition.dump()},
                                 {"roleArn", role}})["stateMachineArn"];
  const Json parent_definition = {
      {"StartAt", "Nest"},
      {"States",
       {{"Nest",
         {{"Type", "Task"},
          {"Resource", "arn:aws:states:::states:startExecution.sync:2"},
          {"Parameters", {{"StateMachineArn", child}, {"Input", {{"order.$", "$.order"}}}}},
          {"End", true}}}}}};
  const std::string parent = Aws(*server, "CreateStateMachine",
                                 {{"name", "parent"},
                                  {"definition", parent_definition.dump()},
                                  {"roleArn", role}})["stateMachineArn"];
  const std::string run =
      Aws(*server, "StartExecution",
          {{"stateMachineArn", parent}, {"input", R"({"order":42})"}})["executionArn"];
  // The child's start is durable once it is listed; then stepd dies.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (ExecutionsOf(*server, child).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(ExecutionsOf(*server, child).size(), 1u);
  server->process().Signal(SIGKILL);
  server->process().Wait(std::chrono::seconds(10));
  server.reset();

  server = RunningServer::Start(dir);
  ASSERT_NE(server, nullptr);
  Json done = WaitFor(*server, run, [](const Json& d) { return d["status"] != "RUNNING"; });
  ASSERT_EQ(done["status"], "SUCCEEDED") << done.dump();
  Json children = ExecutionsOf(*server, child);
  ASSERT_EQ(children.size(), 1u) << children.dump();
  Json output = Json::parse(done["output"].get<std::string>());
  EXPECT_EQ(output["ExecutionArn"], children[0]["executionArn"]);
  EXPECT_EQ(output["Output"], Json::parse(R"({"got":42})"));
  EXPECT_EQ(children[0]["status"], "SUCCEEDED");
}

}  // namespace
}  // namespace stepd::server
