// StartExecution, StopExecution, DescribeExecution, ListExecutions and
// GetExecutionHistory through the AWS JSON API, on the durable engine.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "api/aws_testing.h"

namespace stepd::api::testing {
namespace {

std::set<std::string> Keys(const Json& object) {
  std::set<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.insert(it.key());
  return keys;
}

AwsErrorAnswer ExecutionDoesNotExist(const std::string& arn) {
  return StatesError("ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'");
}

class AwsExecutions : public ::testing::Test {
 protected:
  AwsAnswer Describe(const std::string& arn, const Json& extra = Json::object()) {
    Json input = {{"executionArn", arn}};
    input.update(extra);
    return stack_.Call("DescribeExecution", input);
  }
  AwsAnswer History(const std::string& arn, const Json& extra = Json::object()) {
    Json input = {{"executionArn", arn}};
    input.update(extra);
    return stack_.Call("GetExecutionHistory", input);
  }
  AwsStack stack_;
};

// --- StartExecution ---------------------------------------------------------------

TEST_F(AwsExecutions, StartAnswersTheExecutionArnAndStartDate) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  const double before = NowSeconds();
  AwsAnswer started =
      stack_.Call("StartExecution", {{"stateMachineArn", machine}, {"name", "first"}});
  const double after = NowSeconds();
  ASSERT_EQ(started.status, 200) << started.raw;
  EXPECT_EQ(Keys(started.body), (std::set<std::string>{"executionArn", "startDate"}));
  EXPECT_EQ(started.body["executionArn"], ExecutionArn("m", "first"));
  EXPECT_TRUE(IsEpochSecondsBetween(started.body["startDate"], before, after));
}

TEST_F(AwsExecutions, StartWithoutANameNamesTheExecutionWithAUuid) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  AwsAnswer started = stack_.Call("StartExecution", {{"stateMachineArn", machine}});
  ASSERT_EQ(started.status, 200) << started.raw;
  const std::string arn = started.body["executionArn"];
  const std::string prefix = ExecutionArn("m", "");
  ASSERT_EQ(arn.substr(0, prefix.size()), prefix);
  const std::string name = arn.substr(prefix.size());
  EXPECT_EQ(name.size(), 36u) << name;
  EXPECT_EQ(Describe(arn).body["name"], name);
}

TEST_F(AwsExecutions, StartOfAnUnknownMachineIsStateMachineDoesNotExist) {
  EXPECT_EQ(ErrorOf(stack_.Call("StartExecution", {{"stateMachineArn", MachineArn("nope")}})),
            StatesError("StateMachineDoesNotExist",
                        "State Machine Does Not Exist: '" + MachineArn("nope") + "'"));
}

TEST_F(AwsExecutions, StartRefusesAnInvalidName) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  EXPECT_EQ(ErrorOf(stack_.Call("StartExecution", {{"stateMachineArn", machine}, {"name", "a:b"}})),
            StatesError("InvalidName", "Invalid Name: 'a:b'"));
}

TEST_F(AwsExecutions, StartRefusesAnInputThatIsNotJson) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  EXPECT_EQ(ErrorOf(stack_.Call("StartExecution", {{"stateMachineArn", machine}, {"input", "{"}})),
            StatesError("InvalidExecutionInput",
                        "Invalid State Machine Execution Input: 'invalid JSON at byte 2: "
                        "[json.exception.parse_error.101] parse error at line 1, column 2: syntax "
                        "error while parsing object key - unexpected end of input; expected "
                        "string literal'"));
  for (const char* blank : {"", "  ", "\n\t"}) {
    EXPECT_EQ(
        ErrorOf(stack_.Call("StartExecution", {{"stateMachineArn", machine}, {"input", blank}})),
        StatesError("InvalidExecutionInput",
                    "Invalid State Machine Execution Input: 'Invalid execution input.'"))
        << "'" << blank << "'";
  }
}

// The fastest client there can be: it sends `retry` the moment the first
// answer reaches it (on the thread that delivers it) and waits there for the
// retry's answer.
class RetryOnAnswer : public http::testing::CapturingSink {
 public:
  RetryOnAnswer(const AwsStack* stack, http::Request retry)
      : stack_(stack), retry_(std::move(retry)) {}
  void OnResponse(http::Response response) override {
    retry_answer_ = stack_->Send(std::move(retry_), std::chrono::seconds(5));
    CapturingSink::OnResponse(std::move(response));
  }
  // Read once WaitDone() returned.
  const AwsAnswer& retry_answer() const { return retry_answer_; }

 private:
  const AwsStack* stack_;
  http::Request retry_;
  AwsAnswer retry_answer_;
};

// SDKs retry a StartExecution whose answer they did not see; a retry of the
// same name and input must get the same execution back, however soon after
// the first answer it comes.
TEST_F(AwsExecutions, StartIsIdempotentForTheSameNameAndInputWhileRunning) {
  const std::string machine = stack_.CreateMachine("m", kWaitDefinition);
  const std::string body =
      Json{{"stateMachineArn", machine}, {"name", "once"}, {"input", R"({"n":1})"}}.dump();
  auto sink = std::make_shared<RetryOnAnswer>(&stack_, AwsStack::Request("StartExecution", body));
  stack_.SendTo(AwsStack::Request("StartExecution", body), sink);
  ASSERT_TRUE(sink->WaitDone(std::chrono::seconds(10)));
  AwsAnswer first = AwsStack::Read(sink->Get());
  ASSERT_EQ(first.status, 200) << first.raw;
  EXPECT_EQ(first.body["executionArn"], ExecutionArn("m", "once"));
  EXPECT_EQ(sink->retry_answer().status, 200) << sink->retry_answer().raw;
  EXPECT_EQ(sink->retry_answer().body, first.body);

  // And later, while it runs.
  AwsAnswer later = stack_.CallRaw("StartExecution", body);
  EXPECT_EQ(later.status, 200) << later.raw;
  EXPECT_EQ(later.body, first.body);
}

TEST_F(AwsExecutions, StartOfARunningNameWithAnotherInputIsExecutionAlreadyExists) {
  const std::string machine = stack_.CreateMachine("m", kWaitDefinition);
  const std::string arn = stack_.StartExecution(machine, "once", R"({"n":1})");
  EXPECT_EQ(ErrorOf(stack_.Call(
                "StartExecution",
                {{"stateMachineArn", machine}, {"name", "once"}, {"input", R"({"n":2})"}})),
            StatesError("ExecutionAlreadyExists", "Execution Already Exists: '" + arn + "'"));
}

TEST_F(AwsExecutions, AFinishedExecutionsNameCannotBeStartedAgain) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  const std::string arn = stack_.StartExecution(machine, "once", R"({"n":1})");
  EXPECT_EQ(stack_.WaitForEnd(arn)["status"], "SUCCEEDED");
  EXPECT_EQ(ErrorOf(stack_.Call(
                "StartExecution",
                {{"stateMachineArn", machine}, {"name", "once"}, {"input", R"({"n":1})"}})),
            StatesError("ExecutionAlreadyExists", "Execution Already Exists: '" + arn + "'"));
}

// --- DescribeExecution ---------------------------------------------------------------

TEST_F(AwsExecutions, DescribeOfASucceededExecution) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  AwsAnswer started = stack_.Call(
      "StartExecution", {{"stateMachineArn", machine}, {"name", "ok"}, {"input", R"({"a":1})"}});
  const std::string arn = started.body["executionArn"];
  ASSERT_EQ(stack_.WaitForEnd(arn)["status"], "SUCCEEDED");
  const double after = NowSeconds();

  Json described = Describe(arn).body;
  ASSERT_TRUE(described.contains("stopDate")) << described.dump();
  EXPECT_TRUE(IsEpochSecondsBetween(described["stopDate"], started.body["startDate"], after));
  described.erase("stopDate");
  EXPECT_EQ(described,
            Json({{"executionArn", arn},
                  {"stateMachineArn", machine},
                  {"name", "ok"},
                  {"status", "SUCCEEDED"},
                  {"startDate", started.body["startDate"]},
                  {"input", R"({"a":1})"},
                  {"inputDetails", {{"included", true}}},
                  {"output", R"({"a":1})"},
                  {"outputDetails", {{"included", true}}},
                  {"redriveCount", 0},
                  {"redriveStatus", "NOT_REDRIVABLE"},
                  {"redriveStatusReason", "Execution is SUCCEEDED and cannot be redriven"}}));
}

TEST_F(AwsExecutions, DescribeOfAFailedExecutionHasItsErrorAndCause) {
  const std::string machine = stack_.CreateMachine("f", kFailDefinition);
  const std::string arn = stack_.StartExecution(machine, "bad");
  Json described = stack_.WaitForEnd(arn);
  EXPECT_EQ(described["status"], "FAILED");
  EXPECT_EQ(described["error"], "Boom");
  EXPECT_EQ(described["cause"], "it broke");
  EXPECT_EQ(described["redriveCount"], 0);
  EXPECT_TRUE(described["stopDate"].is_number());
  EXPECT_FALSE(described.contains("output"));
  EXPECT_FALSE(described.contains("outputDetails"));
}

TEST_F(AwsExecutions, DescribeOfARunningExecution) {
  const std::string machine = stack_.CreateMachine("w", kWaitDefinition);
  AwsAnswer started = stack_.Call(
      "StartExecution",
      {{"stateMachineArn", machine}, {"name", "r"}, {"traceHeader", "Root=1-5e1b4151-5ac6c58f"}});
  AwsAnswer described = Describe(started.body["executionArn"]);
  ASSERT_EQ(described.status, 200) << described.raw;
  EXPECT_EQ(described.body,
            Json({{"executionArn", ExecutionArn("w", "r")},
                  {"stateMachineArn", machine},
                  {"name", "r"},
                  {"status", "RUNNING"},
                  {"startDate", started.body["startDate"]},
                  {"input", "{}"},
                  {"inputDetails", {{"included", true}}},
                  {"traceHeader", "Root=1-5e1b4151-5ac6c58f"},
                  {"redriveCount", 0},
                  {"redriveStatus", "NOT_REDRIVABLE"},
                  {"redriveStatusReason", "Execution is RUNNING and cannot be redriven"}}));
}

TEST_F(AwsExecutions, DescribeWithMetadataOnlyLeavesInputAndOutputOut) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  const std::string arn = stack_.StartExecution(machine, "ok", R"({"secret":1})");
  stack_.WaitForEnd(arn);
  AwsAnswer described = Describe(arn, {{"includedData", "METADATA_ONLY"}});
  ASSERT_EQ(described.status, 200) << described.raw;
  EXPECT_FALSE(described.body.contains("input"));
  EXPECT_FALSE(described.body.contains("output"));
  EXPECT_EQ(described.body["inputDetails"], Json({{"included", false}}));
  EXPECT_EQ(described.body["outputDetails"], Json({{"included", false}}));
}

TEST_F(AwsExecutions, DescribeOfAnUnknownExecutionIsExecutionDoesNotExist) {
  EXPECT_EQ(ErrorOf(Describe(ExecutionArn("m", "nope"))),
            ExecutionDoesNotExist(ExecutionArn("m", "nope")));
}

// --- StopExecution ----------------------------------------------------------------------

TEST_F(AwsExecutions, StopAbortsARunningExecutionWithItsErrorAndCause) {
  const std::string machine = stack_.CreateMachine("w", kWaitDefinition);
  const std::string arn = stack_.StartExecution(machine, "r");
  const double before = NowSeconds();
  AwsAnswer stopped = stack_.Call("StopExecution",
                                  {{"executionArn", arn}, {"error", "Halt"}, {"cause", "by hand"}});
  const double after = NowSeconds();
  ASSERT_EQ(stopped.status, 200) << stopped.raw;
  EXPECT_EQ(Keys(stopped.body), (std::set<std::string>{"stopDate"}));
  EXPECT_TRUE(IsEpochSecondsBetween(stopped.body["stopDate"], before, after));

  Json described = Describe(arn).body;
  EXPECT_EQ(described["status"], "ABORTED");
  EXPECT_EQ(described["stopDate"], stopped.body["stopDate"]);
  EXPECT_EQ(described["error"], "Halt");
  EXPECT_EQ(described["cause"], "by hand");
  EXPECT_EQ(described["redriveStatus"], "REDRIVABLE");

  Json events = History(arn, {{"reverseOrder", true}, {"maxResults", 1}}).body["events"];
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "ExecutionAborted");
  EXPECT_EQ(events[0]["executionAbortedEventDetails"],
            Json({{"error", "Halt"}, {"cause", "by hand"}}));
}

TEST_F(AwsExecutions, StopOfAFinishedExecutionAnswersItsStopDateAndChangesNothing) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  const std::string arn = stack_.StartExecution(machine, "done");
  Json ended = stack_.WaitForEnd(arn);
  ASSERT_EQ(ended["status"], "SUCCEEDED");
  AwsAnswer stopped = stack_.Call("StopExecution", {{"executionArn", arn}, {"error", "Late"}});
  ASSERT_EQ(stopped.status, 200) << stopped.raw;
  EXPECT_EQ(stopped.body, Json({{"stopDate", ended["stopDate"]}}));
  EXPECT_EQ(Describe(arn).body, ended);
}

TEST_F(AwsExecutions, StopOfAnUnknownExecutionIsExecutionDoesNotExist) {
  stack_.CreateMachine("m", kPassDefinition);
  EXPECT_EQ(ErrorOf(stack_.Call("StopExecution", {{"executionArn", ExecutionArn("m", "nope")}})),
            ExecutionDoesNotExist(ExecutionArn("m", "nope")));
}

// --- ListExecutions -------------------------------------------------------------------------

TEST_F(AwsExecutions, ListFiltersByStatus) {
  const std::string machine = stack_.CreateMachine("w", kWaitDefinition);
  const std::string running = stack_.StartExecution(machine, "running");
  const std::string stopped = stack_.StartExecution(machine, "stopped");
  ASSERT_EQ(stack_.Call("StopExecution", {{"executionArn", stopped}}).status, 200);

  auto names = [&](const char* status) {
    AwsAnswer listed =
        stack_.Call("ListExecutions", {{"stateMachineArn", machine}, {"statusFilter", status}});
    EXPECT_EQ(listed.status, 200) << listed.raw;
    std::vector<std::string> out;
    for (const Json& item : listed.body["executions"]) out.push_back(item["name"]);
    return out;
  };
  EXPECT_EQ(names("RUNNING"), std::vector<std::string>{"running"});
  EXPECT_EQ(names("ABORTED"), std::vector<std::string>{"stopped"});
  EXPECT_EQ(names("SUCCEEDED"), std::vector<std::string>{});
}

TEST_F(AwsExecutions, ListItemsHaveTheExecutionListItemShape) {
  const std::string machine = stack_.CreateMachine("w", kWaitDefinition);
  AwsAnswer started = stack_.Call("StartExecution", {{"stateMachineArn", machine}, {"name", "a"}});
  const std::string arn = started.body["executionArn"];
  AwsAnswer running = stack_.Call("ListExecutions", {{"stateMachineArn", machine}});
  ASSERT_EQ(running.status, 200) << running.raw;
  EXPECT_EQ(running.body, Json({{"executions",
                                 {{{"executionArn", arn},
                                   {"stateMachineArn", machine},
                                   {"name", "a"},
                                   {"status", "RUNNING"},
                                   {"startDate", started.body["startDate"]},
                                   {"redriveCount", 0}}}}}));
  AwsAnswer stopped = stack_.Call("StopExecution", {{"executionArn", arn}});
  Json item = stack_.Call("ListExecutions", {{"stateMachineArn", machine}}).body["executions"][0];
  EXPECT_EQ(item["status"], "ABORTED");
  EXPECT_EQ(item["stopDate"], stopped.body["stopDate"]);
}

TEST_F(AwsExecutions, ListPagesNewestFirstWithNextToken) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  std::vector<std::string> started;
  for (int i = 0; i < 5; ++i) {
    started.push_back(stack_.StartExecution(machine, "e" + std::to_string(i)));
  }
  std::vector<std::string> listed;
  std::string token;
  int pages = 0;
  do {
    Json input = {{"stateMachineArn", machine}, {"maxResults", 2}};
    if (!token.empty()) input["nextToken"] = token;
    AwsAnswer page = stack_.Call("ListExecutions", input);
    ASSERT_EQ(page.status, 200) << page.raw;
    ++pages;
    EXPECT_LE(page.body["executions"].size(), 2u);
    for (const Json& item : page.body["executions"]) listed.push_back(item["executionArn"]);
    token = page.body.value("nextToken", "");
    ASSERT_LE(pages, 3);
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(listed, std::vector<std::string>(started.rbegin(), started.rend()));
}

TEST_F(AwsExecutions, ListRefusesATokenItDidNotIssue) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  EXPECT_EQ(ErrorOf(stack_.Call("ListExecutions",
                                {{"stateMachineArn", machine}, {"nextToken", "made-up"}})),
            StatesError("InvalidToken", "Invalid Token: 'Invalid token'"));
}

TEST_F(AwsExecutions, ListNeedsExactlyOneOfStateMachineArnAndMapRunArn) {
  const AwsErrorAnswer expected =
      ValidationError("Exactly one of stateMachineArn and mapRunArn must be given");
  EXPECT_EQ(ErrorOf(stack_.Call("ListExecutions")), expected);
  EXPECT_EQ(ErrorOf(stack_.Call("ListExecutions",
                                {{"stateMachineArn", MachineArn("m")},
                                 {"mapRunArn", std::string(kArnPrefix) + "mapRun:m/r"}})),
            expected);
}

TEST_F(AwsExecutions, ListOfAnUnknownMachineIsStateMachineDoesNotExist) {
  EXPECT_EQ(ErrorOf(stack_.Call("ListExecutions", {{"stateMachineArn", MachineArn("nope")}})),
            StatesError("StateMachineDoesNotExist",
                        "State Machine Does Not Exist: '" + MachineArn("nope") + "'"));
}

TEST_F(AwsExecutions, ListFiltersThatCannotMatchAnythingHere) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  stack_.WaitForEnd(stack_.StartExecution(machine, "e"));
  EXPECT_EQ(ErrorOf(stack_.Call("ListExecutions", {{"stateMachineArn", machine},
                                                   {"statusFilter", "PENDING_REDRIVE"}})),
            ValidationError("statusFilter PENDING_REDRIVE can only be used with a mapRunArn"));
  AwsAnswer redriven =
      stack_.Call("ListExecutions", {{"stateMachineArn", machine}, {"redriveFilter", "REDRIVEN"}});
  EXPECT_EQ(redriven.body, Json::parse(R"({"executions":[]})"));
  AwsAnswer not_redriven = stack_.Call(
      "ListExecutions", {{"stateMachineArn", machine}, {"redriveFilter", "NOT_REDRIVEN"}});
  EXPECT_EQ(not_redriven.body["executions"].size(), 1u);
}

// --- RedriveExecution ---------------------------------------------------------------

// A Pass then a Task of activity "work": the worker decides how it ends.
constexpr char kPrepThenWork[] =
    R"({"StartAt":"Prep","States":{"Prep":{"Type":"Pass","Result":{"rows":3},"ResultPath":"$.prep","Next":"Work"},)"
    R"("Work":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:work","End":true}}})";

std::vector<std::string> EventTypes(const Json& history) {
  std::vector<std::string> types;
  for (const Json& e : history["events"]) types.push_back(e["type"]);
  return types;
}

TEST_F(AwsExecutions, RedriveRunsAFailedExecutionAgainFromTheStateThatFailed) {
  const std::string activity = stack_.CreateActivity("work");
  const std::string machine = stack_.CreateMachine("m", kPrepThenWork);
  const std::string arn = stack_.StartExecution(machine, "e", R"({"job":1})");
  Json task = stack_.TakeTask(activity);
  ASSERT_TRUE(task.contains("taskToken"));
  ASSERT_EQ(stack_.Call("SendTaskFailure", {{"taskToken", task["taskToken"]},
                                            {"error", "Export.Failed"},
                                            {"cause", "disk full"}})
                .status,
            200);
  Json failed = stack_.WaitForEnd(arn);
  ASSERT_EQ(failed["status"], "FAILED");
  EXPECT_EQ(failed["redriveCount"], 0);
  EXPECT_EQ(failed["redriveStatus"], "REDRIVABLE");
  EXPECT_FALSE(failed.contains("redriveStatusReason"));

  const double before = NowSeconds();
  AwsAnswer redriven = stack_.Call("RedriveExecution", {{"executionArn", arn}});
  ASSERT_EQ(redriven.status, 200) << redriven.raw;
  EXPECT_EQ(Keys(redriven.body), (std::set<std::string>{"redriveDate"}));
  EXPECT_TRUE(IsEpochSecondsBetween(redriven.body["redriveDate"], before, NowSeconds()));

  AwsAnswer running = Describe(arn);
  EXPECT_EQ(running.body["status"], "RUNNING");
  EXPECT_EQ(running.body["redriveCount"], 1);
  EXPECT_EQ(running.body["redriveDate"], redriven.body["redriveDate"]);
  EXPECT_EQ(running.body["redriveStatus"], "NOT_REDRIVABLE");
  EXPECT_EQ(running.body["redriveStatusReason"], "Execution is RUNNING and cannot be redriven");
  EXPECT_FALSE(running.body.contains("stopDate"));
  EXPECT_FALSE(running.body.contains("error"));

  // The Task runs again with the input it had; Prep does not run again.
  Json again = stack_.TakeTask(activity);
  ASSERT_TRUE(again.contains("taskToken"));
  EXPECT_EQ(Json::parse(again["input"].get<std::string>()),
            Json::parse(R"({"job":1,"prep":{"rows":3}})"));
  ASSERT_EQ(stack_.Call("SendTaskSuccess", {{"taskToken", again["taskToken"]},
                                            {"output", R"({"exported":true})"}})
                .status,
            200);
  Json done = stack_.WaitForEnd(arn);
  EXPECT_EQ(done["status"], "SUCCEEDED");
  EXPECT_EQ(done["output"], R"({"exported":true})");
  EXPECT_EQ(done["redriveCount"], 1);
  EXPECT_EQ(done["redriveStatusReason"], "Execution is SUCCEEDED and cannot be redriven");

  Json history = History(arn).body;
  std::vector<std::string> types = EventTypes(history);
  auto failed_at = std::find(types.begin(), types.end(), "ExecutionFailed");
  ASSERT_NE(failed_at, types.end());
  ASSERT_LT(failed_at + 2, types.end());
  EXPECT_EQ(*(failed_at + 1), "ExecutionRedriven");
  EXPECT_EQ(*(failed_at + 2), "TaskStateEntered");
  EXPECT_EQ(std::count(types.begin(), types.end(), "PassStateEntered"), 1);
  const Json& redrive_event = history["events"][failed_at - types.begin() + 1];
  EXPECT_EQ(redrive_event["executionRedrivenEventDetails"], Json({{"redriveCount", 1}}));

  AwsAnswer listed =
      stack_.Call("ListExecutions", {{"stateMachineArn", machine}, {"redriveFilter", "REDRIVEN"}});
  ASSERT_EQ(listed.body["executions"].size(), 1u);
  EXPECT_EQ(listed.body["executions"][0]["redriveCount"], 1);
  EXPECT_EQ(listed.body["executions"][0]["redriveDate"], redriven.body["redriveDate"]);
  EXPECT_EQ(stack_
                .Call("ListExecutions",
                      {{"stateMachineArn", machine}, {"redriveFilter", "NOT_REDRIVEN"}})
                .body["executions"]
                .size(),
            0u);
}

TEST_F(AwsExecutions, RedriveOfAnAbortedExecutionResumesItAndCountsEachRedrive) {
  const std::string machine = stack_.CreateMachine("m", kWaitDefinition);
  const std::string arn = stack_.StartExecution(machine, "e");
  auto parked = [&](int times) {
    return WaitUntil([&] {
      std::vector<std::string> types = EventTypes(History(arn).body);
      return std::count(types.begin(), types.end(), "WaitStateEntered") == times;
    });
  };
  ASSERT_TRUE(parked(1));
  for (int round = 1; round <= 2; ++round) {
    ASSERT_EQ(stack_.Call("StopExecution", {{"executionArn", arn}}).status, 200);
    ASSERT_EQ(stack_.WaitForEnd(arn)["status"], "ABORTED");
    AwsAnswer redriven = stack_.Call("RedriveExecution", {{"executionArn", arn}});
    ASSERT_EQ(redriven.status, 200) << redriven.raw;
    AwsAnswer running = Describe(arn);
    EXPECT_EQ(running.body["status"], "RUNNING");
    EXPECT_EQ(running.body["redriveCount"], round);
    // Parked in its Wait again before the next stop.
    ASSERT_TRUE(parked(round + 1)) << History(arn).raw;
  }
  std::vector<std::string> types = EventTypes(History(arn).body);
  EXPECT_EQ(std::count(types.begin(), types.end(), "WaitStateEntered"), 3);
  EXPECT_EQ(std::count(types.begin(), types.end(), "ExecutionRedriven"), 2);
}

TEST_F(AwsExecutions, RedriveOfAFailStateFailsAgainAndStaysRedrivable) {
  const std::string machine = stack_.CreateMachine("m", kFailDefinition);
  const std::string arn = stack_.StartExecution(machine, "e");
  ASSERT_EQ(stack_.WaitForEnd(arn)["status"], "FAILED");
  ASSERT_EQ(stack_.Call("RedriveExecution", {{"executionArn", arn}}).status, 200);
  ASSERT_TRUE(WaitUntil([&] { return Describe(arn).body["status"] == "FAILED"; }));
  AwsAnswer described = Describe(arn);
  EXPECT_EQ(described.body["redriveCount"], 1);
  EXPECT_EQ(described.body["error"], "Boom");
  EXPECT_EQ(described.body["redriveStatus"], "REDRIVABLE");
}

TEST_F(AwsExecutions, RedriveRefusesWhatAwsRefuses) {
  const std::string machine = stack_.CreateMachine("m", kWaitDefinition);
  const std::string running = stack_.StartExecution(machine, "running");
  EXPECT_EQ(ErrorOf(stack_.Call("RedriveExecution", {{"executionArn", running}})),
            StatesError("ExecutionNotRedrivable", "Execution is RUNNING and cannot be redriven"));
  const std::string pass = stack_.CreateMachine("p", kPassDefinition);
  const std::string succeeded = stack_.StartExecution(pass, "ok");
  stack_.WaitForEnd(succeeded);
  EXPECT_EQ(ErrorOf(stack_.Call("RedriveExecution", {{"executionArn", succeeded}})),
            StatesError("ExecutionNotRedrivable", "Execution is SUCCEEDED and cannot be redriven"));
  const std::string unknown = ExecutionArn("m", "nope");
  EXPECT_EQ(ErrorOf(stack_.Call("RedriveExecution", {{"executionArn", unknown}})),
            ExecutionDoesNotExist(unknown));
  EXPECT_EQ(ErrorOf(stack_.Call("RedriveExecution", {{"executionArn", "not-an-arn"}})).type,
            std::string(kStatesNs) + "InvalidArn");
  EXPECT_EQ(ErrorOf(stack_.Call("RedriveExecution", Json::object())).type,
            std::string(kValidateNs) + "ValidationException");
  // Nothing was harmed: the running execution still runs.
  EXPECT_EQ(Describe(running).body["status"], "RUNNING");
}

// --- GetExecutionHistory ----------------------------------------------------------------------

// --- StartSyncExecution ------------------------------------------------------------

TEST_F(AwsExecutions, StartSyncAnswersAnExpressExecutionAsItEnded) {
  stack_.CreateMachine("fast",
                       R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,)"
                       R"("Next":"P"},"P":{"Type":"Pass","Result":{"done":true},"End":true}}})",
                       {{"type", "EXPRESS"}});
  const double before = NowSeconds();
  AwsAnswer ran = stack_.Call("StartSyncExecution", {{"stateMachineArn", MachineArn("fast")},
                                                     {"name", "once"},
                                                     {"input", R"({"n":1})"},
                                                     {"traceHeader", "Root=1-abc"}});
  const double after = NowSeconds();
  ASSERT_EQ(ran.status, 200) << ran.raw;
  const std::string arn = ran.body["executionArn"];
  EXPECT_EQ(arn.rfind(std::string(kArnPrefix) + "express:fast:once:", 0), 0u) << arn;
  EXPECT_EQ(ran.body["stateMachineArn"], MachineArn("fast"));
  EXPECT_EQ(ran.body["name"], "once");
  EXPECT_EQ(ran.body["status"], "SUCCEEDED");
  EXPECT_EQ(ran.body["input"], R"({"n":1})");
  EXPECT_EQ(ran.body["output"], R"({"done":true})");
  EXPECT_EQ(ran.body["traceHeader"], "Root=1-abc");
  EXPECT_EQ(ran.body["inputDetails"], Json({{"included", true}}));
  EXPECT_TRUE(IsEpochSecondsBetween(ran.body["startDate"], before, after));
  EXPECT_GE(ran.body["stopDate"].get<double>() - ran.body["startDate"].get<double>(), 0.99);
  EXPECT_GE(ran.body["billingDetails"]["billedDurationInMilliseconds"].get<int>(), 1000);
  // Beyond AWS: the EXPRESS execution stays readable.
  EXPECT_EQ(stack_.Call("DescribeExecution", {{"executionArn", arn}}).body["status"], "SUCCEEDED");
  AwsAnswer history = stack_.Call("GetExecutionHistory", {{"executionArn", arn}});
  EXPECT_EQ(history.body["events"].back()["type"], "ExecutionSucceeded");
}

TEST_F(AwsExecutions, StartSyncOfAFailingExpressMachineAnswersItsErrorAndNoOutput) {
  stack_.CreateMachine("broken", kFailDefinition, {{"type", "EXPRESS"}});
  AwsAnswer ran = stack_.Call("StartSyncExecution", {{"stateMachineArn", MachineArn("broken")},
                                                     {"includedData", "METADATA_ONLY"}});
  ASSERT_EQ(ran.status, 200) << ran.raw;
  EXPECT_EQ(ran.body["status"], "FAILED");
  EXPECT_EQ(ran.body["error"], "Boom");
  EXPECT_EQ(ran.body["cause"], "it broke");
  EXPECT_FALSE(ran.body.contains("output"));
  EXPECT_FALSE(ran.body.contains("input"));
  EXPECT_EQ(ran.body["inputDetails"], Json({{"included", false}}));
}

TEST_F(AwsExecutions, ExpressNamesMayRepeatEachStartIsItsOwnExecution) {
  stack_.CreateMachine("fast", kPassDefinition, {{"type", "EXPRESS"}});
  AwsAnswer first = stack_.Call("StartSyncExecution",
                                {{"stateMachineArn", MachineArn("fast")}, {"name", "same"}});
  AwsAnswer second =
      stack_.Call("StartExecution", {{"stateMachineArn", MachineArn("fast")}, {"name", "same"}});
  ASSERT_EQ(first.status, 200) << first.raw;
  ASSERT_EQ(second.status, 200) << second.raw;
  EXPECT_NE(first.body["executionArn"], second.body["executionArn"]);
  EXPECT_EQ(stack_.WaitForEnd(second.body["executionArn"])["status"], "SUCCEEDED");
}

TEST_F(AwsExecutions, StartSyncOfAStandardMachineIsNotSupported) {
  stack_.CreateMachine("slow", kPassDefinition);
  EXPECT_EQ(ErrorOf(stack_.Call("StartSyncExecution", {{"stateMachineArn", MachineArn("slow")}})),
            StatesError("StateMachineTypeNotSupported",
                        "This operation is not supported by this type of state machine"));
  EXPECT_EQ(ErrorOf(stack_.Call("StartSyncExecution", {{"stateMachineArn", MachineArn("none")}})),
            StatesError("StateMachineDoesNotExist",
                        "State Machine Does Not Exist: '" + MachineArn("none") + "'"));
}

class AwsExecutionHistory : public AwsExecutions {
 protected:
  void SetUp() override {
    const std::string machine = stack_.CreateMachine("m", kPassDefinition);
    arn_ = stack_.StartExecution(machine, "e", R"({"a":1})");
    ASSERT_EQ(stack_.WaitForEnd(arn_)["status"], "SUCCEEDED");
  }
  static std::vector<int> Ids(const Json& events) {
    std::vector<int> ids;
    for (const Json& e : events) ids.push_back(e["id"]);
    return ids;
  }
  std::string arn_;
};

TEST_F(AwsExecutionHistory, ListsEveryEventWithAwsDetails) {
  const double after = NowSeconds();
  AwsAnswer history = History(arn_);
  ASSERT_EQ(history.status, 200) << history.raw;
  EXPECT_FALSE(history.body.contains("nextToken"));
  Json events = history.body["events"];
  for (Json& e : events) {
    EXPECT_TRUE(IsEpochSecondsBetween(e["timestamp"], after - 10, after)) << e.dump();
    e.erase("timestamp");
  }
  EXPECT_EQ(events, Json::parse(R"([
    {"type":"ExecutionStarted","id":1,"previousEventId":0,
     "executionStartedEventDetails":{"input":"{\"a\":1}","inputDetails":{"truncated":false},
       "roleArn":"arn:aws:iam::123456789012:role/stepd",
       "stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m"}},
    {"type":"PassStateEntered","id":2,"previousEventId":1,
     "stateEnteredEventDetails":{"name":"P","input":"{\"a\":1}","inputDetails":{"truncated":false}}},
    {"type":"PassStateExited","id":3,"previousEventId":2,
     "stateExitedEventDetails":{"name":"P","output":"{\"a\":1}","outputDetails":{"truncated":false}}},
    {"type":"ExecutionSucceeded","id":4,"previousEventId":3,
     "executionSucceededEventDetails":{"output":"{\"a\":1}","outputDetails":{"truncated":false}}}
  ])"));
}

TEST_F(AwsExecutionHistory, ReverseOrderListsNewestFirst) {
  AwsAnswer history = History(arn_, {{"reverseOrder", true}});
  EXPECT_EQ(Ids(history.body["events"]), (std::vector<int>{4, 3, 2, 1}));
}

TEST_F(AwsExecutionHistory, PagesWithNextTokenInEitherOrder) {
  AwsAnswer first = History(arn_, {{"maxResults", 3}});
  EXPECT_EQ(Ids(first.body["events"]), (std::vector<int>{1, 2, 3}));
  ASSERT_TRUE(first.body["nextToken"].is_string()) << first.raw;
  AwsAnswer second = History(arn_, {{"maxResults", 3}, {"nextToken", first.body["nextToken"]}});
  EXPECT_EQ(Ids(second.body["events"]), (std::vector<int>{4}));
  EXPECT_FALSE(second.body.contains("nextToken"));

  AwsAnswer newest = History(arn_, {{"maxResults", 3}, {"reverseOrder", true}});
  EXPECT_EQ(Ids(newest.body["events"]), (std::vector<int>{4, 3, 2}));
  AwsAnswer oldest = History(
      arn_, {{"maxResults", 3}, {"reverseOrder", true}, {"nextToken", newest.body["nextToken"]}});
  EXPECT_EQ(Ids(oldest.body["events"]), (std::vector<int>{1}));
}

TEST_F(AwsExecutionHistory, WithoutExecutionDataLeavesInputsAndOutputsOut) {
  Json events = History(arn_, {{"includeExecutionData", false}}).body["events"];
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0]["executionStartedEventDetails"],
            Json::parse(R"({"inputDetails":{"truncated":false},
                            "roleArn":"arn:aws:iam::123456789012:role/stepd",
                            "stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m"})"));
  EXPECT_EQ(events[1]["stateEnteredEventDetails"],
            Json::parse(R"({"name":"P","inputDetails":{"truncated":false}})"));
  EXPECT_EQ(events[2]["stateExitedEventDetails"],
            Json::parse(R"({"name":"P","outputDetails":{"truncated":false}})"));
  EXPECT_EQ(events[3]["executionSucceededEventDetails"],
            Json::parse(R"({"outputDetails":{"truncated":false}})"));
}

TEST_F(AwsExecutionHistory, RefusesATokenItDidNotIssue) {
  EXPECT_EQ(ErrorOf(History(arn_, {{"nextToken", "made-up"}})),
            StatesError("InvalidToken", "Invalid Token: 'Invalid token'"));
}

TEST_F(AwsExecutionHistory, OfAnUnknownExecutionIsExecutionDoesNotExist) {
  EXPECT_EQ(ErrorOf(History(ExecutionArn("m", "nope"))),
            ExecutionDoesNotExist(ExecutionArn("m", "nope")));
}

}  // namespace
}  // namespace stepd::api::testing
