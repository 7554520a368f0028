// Bad input from the network, end to end: the real `stepd serve` on
// 127.0.0.1 port 0 with a SQLite file gets bodies no client should send
// (JSON nested 100,000 deep, numbers beyond a double, invalid UTF-8, JSON
// that is not an object), through the AWS API and the REST API. Each gets a
// 4xx naming the problem; the server keeps serving and what it stored is
// unchanged.
#include <gtest/gtest.h>

#include <string>

#include "server/stepd_process_testing.h"
#include "stepd/base/json.h"
#include "stepd/http/client.h"

namespace stepd::server {
namespace {

using testing::RunningServer;
using testing::ScratchDir;

struct Answer {
  int status = -1;
  std::string body;
};

Answer Send(const RunningServer& server, const std::string& method, const std::string& path,
            const std::string& body, const std::string& target = "") {
  http::ClientRequest request;
  request.method = method;
  request.url = server.base_url() + path;
  if (!target.empty()) {
    request.headers.Add("X-Amz-Target", "AWSStepFunctions." + target);
    request.headers.Add("Content-Type", "application/x-amz-json-1.0");
  } else {
    request.headers.Add("Content-Type", "application/json");
  }
  request.body = body;
  http::ClientOptions options;
  options.timeout = std::chrono::seconds(30);
  auto response = http::Fetch(request, options);
  if (!response.ok()) return {};
  return {response->status, response->body};
}

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

class ServeBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = RunningServer::Start(dir_);
    ASSERT_NE(server_, nullptr);
    const Json definition = {{"StartAt", "P"},
                             {"States", {{"P", {{"Type", "Pass"}, {"End", true}}}}}};
    Answer created = Send(*server_, "POST", "/",
                          Json{{"name", "m"},
                               {"definition", definition.dump()},
                               {"roleArn", "arn:aws:iam::123456789012:role/r"}}
                              .dump(),
                          "CreateStateMachine");
    ASSERT_EQ(created.status, 200) << created.body;
    Answer started = Send(*server_, "POST", "/",
                          Json{{"stateMachineArn", kMachine}, {"name", "kept"}}.dump(),
                          "StartExecution");
    ASSERT_EQ(started.status, 200) << started.body;
  }

  // The server still answers, and still holds the execution SetUp started
  // (and `more` started since).
  void ExpectStillServingAndUnharmed(size_t more = 0) {
    Answer health = Send(*server_, "GET", "/healthz", "");
    EXPECT_EQ(health.status, 200);
    Answer listed = Send(*server_, "POST", "/", Json{{"stateMachineArn", kMachine}}.dump(),
                         "ListExecutions");
    ASSERT_EQ(listed.status, 200) << listed.body;
    const Json executions = Json::parse(listed.body)["executions"];
    ASSERT_EQ(executions.size(), 1 + more);
    EXPECT_EQ(executions.back()["name"], "kept");
  }

  static constexpr char kMachine[] = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
  ScratchDir dir_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(ServeBadInput, DeeplyNestedJsonBodiesAreRefusedWithA400) {
  const std::string deep = Nested(100'000);
  for (const std::string& body :
       {deep, "{\"stateMachineArn\": " + deep + "}", "{\"a\":" + std::string(100'000, '{')}) {
    Answer aws = Send(*server_, "POST", "/", body, "StartExecution");
    EXPECT_EQ(aws.status, 400) << aws.body.substr(0, 300);
    EXPECT_NE(aws.body.find("SerializationException"), std::string::npos) << aws.body.substr(0, 300);
    Answer rest = Send(*server_, "POST", "/v1/state-machines/m/executions", body);
    EXPECT_EQ(rest.status, 400) << rest.body.substr(0, 300);
  }
  ExpectStillServingAndUnharmed();
}

TEST_F(ServeBadInput, DeeplyNestedExecutionInputAndDefinitionAreRefusedWithA400) {
  // As a JSON string inside a well-formed request: the inner document is
  // parsed by the operation itself.
  Answer input = Send(*server_, "POST", "/",
                      Json{{"stateMachineArn", kMachine}, {"input", Nested(100'000)}}.dump(),
                      "StartExecution");
  EXPECT_EQ(input.status, 400) << input.body.substr(0, 300);
  EXPECT_NE(input.body.find("InvalidExecutionInput"), std::string::npos) << input.body.substr(0, 300);
  Answer definition = Send(*server_, "POST", "/",
                           Json{{"name", "deep"},
                                {"definition", "{\"StartAt\":" + Nested(100'000) + "}"},
                                {"roleArn", "arn:aws:iam::123456789012:role/r"}}
                               .dump(),
                           "CreateStateMachine");
  EXPECT_EQ(definition.status, 400) << definition.body.substr(0, 300);
  EXPECT_NE(definition.body.find("InvalidDefinition"), std::string::npos)
      << definition.body.substr(0, 300);
  Answer rest = Send(*server_, "POST", "/v1/state-machines/m/executions",
                     Json{{"name", "deep"}, {"input", Json::parse(Nested(500))}}.dump());
  EXPECT_EQ(rest.status / 100, 2) << "500 levels is within the limit: " << rest.body;
  ExpectStillServingAndUnharmed(/*more=*/1);
}

TEST_F(ServeBadInput, NumbersBeyondADoubleAndInvalidUtf8AreRefusedWithA400) {
  for (const std::string& body :
       {std::string(R"({"stateMachineArn": 1e400})"),
        std::string("{\"stateMachineArn\": \"") + kMachine + "\", \"input\": \"[1e400]\"}",
        std::string("{\"stateMachineArn\": \"\xff\xfe\"}"),
        std::string("{\"stateMachineArn\": \"") + kMachine + "\", \"input\": \"{\\\"a\\\": \\\"\xc3\\\"}\"}",
        std::string("[]"), std::string("\"just a string\""), std::string(""),
        std::string("{\"stateMachineArn\": \"") + kMachine + "\", \"name\": 5}"}) {
    Answer aws = Send(*server_, "POST", "/", body, "StartExecution");
    EXPECT_EQ(aws.status, 400) << body << " -> " << aws.body;
    if (body.empty()) continue;  // The REST API starts an execution on {} when there is no body.
    Answer rest = Send(*server_, "POST", "/v1/state-machines/m/executions", body);
    EXPECT_EQ(rest.status / 100, 4) << body << " -> " << rest.body;
  }
  ExpectStillServingAndUnharmed();
}

}  // namespace
}  // namespace stepd::server
