// Activities and their workers (CreateActivity, DeleteActivity,
// DescribeActivity, ListActivities, GetActivityTask, SendTask*) and tags
// (TagResource, UntagResource, ListTagsForResource) through the AWS JSON API.

#include <gtest/gtest.h>

#include <cctype>
#include <set>

#include "api/aws_testing.h"

namespace stepd::api::testing {
namespace {

std::set<std::string> Keys(const Json& object) {
  std::set<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.insert(it.key());
  return keys;
}

bool IsHexToken(const Json& token) {
  if (!token.is_string() || token.get<std::string>().size() != 64) return false;
  for (char c : token.get<std::string>()) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

AwsErrorAnswer ActivityDoesNotExist(const std::string& arn) {
  return StatesError("ActivityDoesNotExist", "Activity Does Not Exist: '" + arn + "'");
}

const AwsErrorAnswer kTaskTimedOut =
    StatesError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
const AwsErrorAnswer kInvalidToken = StatesError("InvalidToken", "Invalid Token: 'Invalid token'");

class AwsActivities : public ::testing::Test {
 protected:
  // The "work" activity, a machine whose one Task waits for it, and a
  // started execution of it whose task a worker took.
  struct Taken {
    std::string execution;
    Json task;
  };
  Taken StartAndTake(const std::string& name, const std::string& input = "{}") {
    if (!machine_created_) {
      stack_.CreateActivity("work");
      stack_.CreateMachine("m", kActivityDefinition);
      machine_created_ = true;
    }
    Taken taken;
    taken.execution = stack_.StartExecution(MachineArn("m"), name, input);
    taken.task = stack_.TakeTask(ActivityArn("work"));
    EXPECT_TRUE(IsHexToken(taken.task["taskToken"])) << taken.task.dump();
    return taken;
  }
  std::vector<std::string> EventTypes(const std::string& execution) {
    const AwsAnswer history = stack_.Call("GetExecutionHistory", {{"executionArn", execution}});
    std::vector<std::string> types;
    for (const Json& e : history.body["events"]) types.push_back(e["type"]);
    return types;
  }

  AwsStack stack_;
  bool machine_created_ = false;
};

// --- Activities ------------------------------------------------------------------

TEST_F(AwsActivities, CreateAnswersTheArnAndIsIdempotentByName) {
  const double before = NowSeconds();
  AwsAnswer created = stack_.Call("CreateActivity", {{"name", "review"}});
  const double after = NowSeconds();
  ASSERT_EQ(created.status, 200) << created.raw;
  EXPECT_EQ(Keys(created.body), (std::set<std::string>{"activityArn", "creationDate"}));
  EXPECT_EQ(created.body["activityArn"], ActivityArn("review"));
  EXPECT_TRUE(IsEpochSecondsBetween(created.body["creationDate"], before, after));

  AwsAnswer again = stack_.Call("CreateActivity", {{"name", "review"}});
  ASSERT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(again.body, created.body);
}

TEST_F(AwsActivities, DescribeShowsTheActivity) {
  AwsAnswer created = stack_.Call("CreateActivity", {{"name", "review"}});
  AwsAnswer described = stack_.Call("DescribeActivity", {{"activityArn", ActivityArn("review")}});
  ASSERT_EQ(described.status, 200) << described.raw;
  EXPECT_EQ(described.body, Json({{"activityArn", ActivityArn("review")},
                                  {"name", "review"},
                                  {"creationDate", created.body["creationDate"]}}));
  EXPECT_EQ(ErrorOf(stack_.Call("DescribeActivity", {{"activityArn", ActivityArn("nope")}})),
            ActivityDoesNotExist(ActivityArn("nope")));
}

TEST_F(AwsActivities, ListsActivitiesOldestFirstInPages) {
  for (const char* name : {"a", "b", "c"}) stack_.CreateActivity(name);
  AwsAnswer first = stack_.Call("ListActivities", {{"maxResults", 2}});
  ASSERT_EQ(first.status, 200) << first.raw;
  ASSERT_EQ(first.body["activities"].size(), 2u);
  EXPECT_EQ(Keys(first.body["activities"][0]),
            (std::set<std::string>{"activityArn", "name", "creationDate"}));
  EXPECT_EQ(first.body["activities"][0]["name"], "a");
  EXPECT_EQ(first.body["activities"][1]["name"], "b");
  AwsAnswer second =
      stack_.Call("ListActivities", {{"maxResults", 2}, {"nextToken", first.body["nextToken"]}});
  ASSERT_EQ(second.body["activities"].size(), 1u) << second.raw;
  EXPECT_EQ(second.body["activities"][0]["name"], "c");
  EXPECT_FALSE(second.body.contains("nextToken"));
  EXPECT_EQ(ErrorOf(stack_.Call("ListActivities", {{"nextToken", "made-up"}})), kInvalidToken);
}

TEST_F(AwsActivities, DeleteRemovesTheActivityAndSucceedsForAnUnknownOne) {
  stack_.CreateActivity("review");
  AwsAnswer deleted = stack_.Call("DeleteActivity", {{"activityArn", ActivityArn("review")}});
  ASSERT_EQ(deleted.status, 200) << deleted.raw;
  EXPECT_EQ(deleted.body, Json::object());
  EXPECT_EQ(ErrorOf(stack_.Call("DescribeActivity", {{"activityArn", ActivityArn("review")}})),
            ActivityDoesNotExist(ActivityArn("review")));
  EXPECT_EQ(stack_.Call("DeleteActivity", {{"activityArn", ActivityArn("review")}}).status, 200);
}

// --- Workers ---------------------------------------------------------------------------

TEST_F(AwsActivities, GetActivityTaskOfAnUnknownActivityIsActivityDoesNotExist) {
  EXPECT_EQ(ErrorOf(stack_.Call("GetActivityTask", {{"activityArn", ActivityArn("nope")}})),
            ActivityDoesNotExist(ActivityArn("nope")));
  EXPECT_EQ(ErrorOf(stack_.Call("GetActivityTask", {{"activityArn", MachineArn("m")}})),
            StatesError("InvalidArn",
                        "Invalid Arn: 'Resource type not valid in this context: stateMachine'"));
}

TEST_F(AwsActivities, AQueuedTaskIsHandedOutWithItsInput) {
  Taken taken = StartAndTake("e", R"({"doc":7})");
  EXPECT_EQ(Keys(taken.task), (std::set<std::string>{"taskToken", "input"}));
  EXPECT_EQ(taken.task["input"], R"({"doc":7})");
}

// The poll waits without a thread: with one API thread, other calls are
// answered while it waits, and the task it gets comes from a start sent
// after it.
TEST_F(AwsActivities, ALongPollWaitsWithoutHoldingTheApisThread) {
  StackOptions options;
  options.api.threads = 1;
  AwsStack stack(options);
  const std::string activity = stack.CreateActivity("work");
  const std::string machine = stack.CreateMachine("m", kActivityDefinition);

  auto poll = stack.SendAsync(AwsStack::Request(
      "GetActivityTask", Json{{"activityArn", activity}, {"workerName", "w1"}}.dump()));
  AwsAnswer described = stack.Send(
      AwsStack::Request("DescribeStateMachine", Json{{"stateMachineArn", machine}}.dump()),
      std::chrono::seconds(5));
  EXPECT_EQ(described.status, 200) << described.raw;
  EXPECT_FALSE(poll->WaitDone(std::chrono::milliseconds(0)));

  const std::string execution = stack.StartExecution(machine, "e", R"({"late":true})");
  ASSERT_TRUE(poll->WaitDone(std::chrono::seconds(10)));
  AwsAnswer task = AwsStack::Read(poll->Get());
  ASSERT_EQ(task.status, 200) << task.raw;
  EXPECT_TRUE(IsHexToken(task.body["taskToken"])) << task.raw;
  EXPECT_EQ(task.body["input"], R"({"late":true})");
}

TEST_F(AwsActivities, AWaitingPollIsAnsweredWithoutATaskWhenTheQueueStops) {
  const std::string activity = stack_.CreateActivity("work");
  auto poll = stack_.SendAsync(
      AwsStack::Request("GetActivityTask", Json{{"activityArn", activity}}.dump()));
  EXPECT_FALSE(poll->WaitDone(std::chrono::milliseconds(0)));
  stack_.activities().Stop();
  ASSERT_TRUE(poll->WaitDone(std::chrono::seconds(10)));
  AwsAnswer answer = AwsStack::Read(poll->Get());
  EXPECT_EQ(answer.status, 200) << answer.raw;
  EXPECT_EQ(answer.body, Json::object());
}

TEST_F(AwsActivities, SendTaskSuccessEndsTheExecutionWithTheWorkersOutput) {
  Taken taken = StartAndTake("e");
  AwsAnswer sent = stack_.Call("SendTaskSuccess", {{"taskToken", taken.task["taskToken"]},
                                                   {"output", R"({"approved":true})"}});
  ASSERT_EQ(sent.status, 200) << sent.raw;
  EXPECT_EQ(sent.body, Json::object());
  Json ended = stack_.WaitForEnd(taken.execution);
  EXPECT_EQ(ended["status"], "SUCCEEDED");
  EXPECT_EQ(ended["output"], R"({"approved":true})");
  EXPECT_EQ(EventTypes(taken.execution),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                                      "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                                      "ExecutionSucceeded"}));
  Json started =
      stack_.Call("GetExecutionHistory", {{"executionArn", taken.execution}}).body["events"][3];
  EXPECT_EQ(started["activityStartedEventDetails"], Json({{"workerName", "test-worker"}}));
}

TEST_F(AwsActivities, SendTaskFailureFailsTheExecutionWithTheWorkersError) {
  Taken taken = StartAndTake("e");
  AwsAnswer sent = stack_.Call("SendTaskFailure", {{"taskToken", taken.task["taskToken"]},
                                                   {"error", "Rejected"},
                                                   {"cause", "not good enough"}});
  ASSERT_EQ(sent.status, 200) << sent.raw;
  EXPECT_EQ(sent.body, Json::object());
  Json ended = stack_.WaitForEnd(taken.execution);
  EXPECT_EQ(ended["status"], "FAILED");
  EXPECT_EQ(ended["error"], "Rejected");
  EXPECT_EQ(ended["cause"], "not good enough");
}

TEST_F(AwsActivities, SendTaskHeartbeatOfATaskInProgress) {
  Taken taken = StartAndTake("e");
  AwsAnswer beat = stack_.Call("SendTaskHeartbeat", {{"taskToken", taken.task["taskToken"]}});
  ASSERT_EQ(beat.status, 200) << beat.raw;
  EXPECT_EQ(beat.body, Json::object());
  EXPECT_EQ(stack_.Call("DescribeExecution", {{"executionArn", taken.execution}}).body["status"],
            "RUNNING");
}

TEST_F(AwsActivities, ASpentTokenIsTaskTimedOut) {
  Taken taken = StartAndTake("e");
  const Json token = taken.task["taskToken"];
  ASSERT_EQ(stack_.Call("SendTaskSuccess", {{"taskToken", token}, {"output", "{}"}}).status, 200);
  EXPECT_EQ(ErrorOf(stack_.Call("SendTaskSuccess", {{"taskToken", token}, {"output", "{}"}})),
            kTaskTimedOut);
  EXPECT_EQ(ErrorOf(stack_.Call("SendTaskFailure", {{"taskToken", token}})), kTaskTimedOut);
  EXPECT_EQ(ErrorOf(stack_.Call("SendTaskHeartbeat", {{"taskToken", token}})), kTaskTimedOut);
  EXPECT_EQ(stack_.WaitForEnd(taken.execution)["status"], "SUCCEEDED");
}

TEST_F(AwsActivities, TheTokenOfAStoppedExecutionIsTaskTimedOut) {
  Taken taken = StartAndTake("e");
  ASSERT_EQ(stack_.Call("StopExecution", {{"executionArn", taken.execution}}).status, 200);
  EXPECT_EQ(ErrorOf(stack_.Call("SendTaskHeartbeat", {{"taskToken", taken.task["taskToken"]}})),
            kTaskTimedOut);
  EXPECT_EQ(ErrorOf(stack_.Call("SendTaskSuccess",
                                {{"taskToken", taken.task["taskToken"]}, {"output", "{}"}})),
            kTaskTimedOut);
  EXPECT_EQ(stack_.Call("DescribeExecution", {{"executionArn", taken.execution}}).body["status"],
            "ABORTED");
}

TEST_F(AwsActivities, AMadeUpTokenIsInvalidToken) {
  for (const std::string& token : {std::string(64, 'a'), std::string("not-a-token")}) {
    EXPECT_EQ(ErrorOf(stack_.Call("SendTaskSuccess", {{"taskToken", token}, {"output", "{}"}})),
              kInvalidToken)
        << token;
    EXPECT_EQ(ErrorOf(stack_.Call("SendTaskFailure", {{"taskToken", token}})), kInvalidToken);
    EXPECT_EQ(ErrorOf(stack_.Call("SendTaskHeartbeat", {{"taskToken", token}})), kInvalidToken);
  }
}

TEST_F(AwsActivities, SendTaskSuccessRefusesAnOutputThatIsNotJson) {
  Taken taken = StartAndTake("e");
  EXPECT_EQ(ErrorOf(stack_.Call("SendTaskSuccess",
                                {{"taskToken", taken.task["taskToken"]}, {"output", "{"}})),
            StatesError("InvalidOutput",
                        "Invalid Output: 'invalid JSON at byte 2: [json.exception.parse_error.101] "
                        "parse error at line 1, column 2: syntax error while parsing object key - "
                        "unexpected end of input; expected string literal'"));
  // The task still waits for a valid answer.
  EXPECT_EQ(stack_
                .Call("SendTaskSuccess",
                      {{"taskToken", taken.task["taskToken"]}, {"output", R"("fine")"}})
                .status,
            200);
  EXPECT_EQ(stack_.WaitForEnd(taken.execution)["output"], R"("fine")");
}

// --- Tags --------------------------------------------------------------------------------------

Json Tags(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  Json tags = Json::array();
  for (const auto& [key, value] : pairs) tags.push_back({{"key", key}, {"value", value}});
  return tags;
}

TEST_F(AwsActivities, TagResourceMergesAndReplacesValues) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  AwsAnswer tagged = stack_.Call(
      "TagResource", {{"resourceArn", machine}, {"tags", Tags({{"team", "a"}, {"env", "dev"}})}});
  ASSERT_EQ(tagged.status, 200) << tagged.raw;
  EXPECT_EQ(tagged.body, Json::object());
  ASSERT_EQ(stack_
                .Call("TagResource",
                      {{"resourceArn", machine}, {"tags", Tags({{"env", "prod"}, {"cost", "42"}})}})
                .status,
            200);
  EXPECT_EQ(stack_.Call("ListTagsForResource", {{"resourceArn", machine}}).body,
            Json({{"tags", Tags({{"team", "a"}, {"env", "prod"}, {"cost", "42"}})}}));
}

TEST_F(AwsActivities, UntagResourceRemovesKeysAndIgnoresUnknownOnes) {
  const std::string activity = stack_.CreateActivity("review");
  ASSERT_EQ(stack_
                .Call("TagResource",
                      {{"resourceArn", activity}, {"tags", Tags({{"a", "1"}, {"b", "2"}})}})
                .status,
            200);
  AwsAnswer untagged =
      stack_.Call("UntagResource", {{"resourceArn", activity}, {"tagKeys", {"a", "never-set"}}});
  ASSERT_EQ(untagged.status, 200) << untagged.raw;
  EXPECT_EQ(untagged.body, Json::object());
  EXPECT_EQ(stack_.Call("ListTagsForResource", {{"resourceArn", activity}}).body,
            Json({{"tags", Tags({{"b", "2"}})}}));
}

TEST_F(AwsActivities, AResourceHasAtMostFiftyTags) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  Json fifty = Json::array();
  for (int i = 0; i < 50; ++i) fifty.push_back({{"key", "k" + std::to_string(i)}, {"value", "v"}});
  ASSERT_EQ(stack_.Call("TagResource", {{"resourceArn", machine}, {"tags", fifty}}).status, 200);
  // Replacing a value keeps fifty.
  ASSERT_EQ(
      stack_.Call("TagResource", {{"resourceArn", machine}, {"tags", Tags({{"k0", "w"}})}}).status,
      200);
  EXPECT_EQ(ErrorOf(stack_.Call("TagResource",
                                {{"resourceArn", machine}, {"tags", Tags({{"one-more", "x"}})}})),
            StatesError("TooManyTags", "Too many tags: '" + machine +
                                           "' would have 51 tags; at most 50 are allowed"));
  Json listed = stack_.Call("ListTagsForResource", {{"resourceArn", machine}}).body["tags"];
  EXPECT_EQ(listed.size(), 50u);
  EXPECT_EQ(listed[0], Json({{"key", "k0"}, {"value", "w"}}));
}

TEST_F(AwsActivities, TagsOfAnUnknownResourceAreResourceNotFound) {
  for (const std::string& arn : {MachineArn("nope"), ActivityArn("nope")}) {
    const AwsErrorAnswer expected =
        StatesError("ResourceNotFound", "Resource not found: '" + arn + "'");
    EXPECT_EQ(ErrorOf(stack_.Call("TagResource", {{"resourceArn", arn}, {"tags", Tags({})}})),
              expected);
    EXPECT_EQ(ErrorOf(stack_.Call("UntagResource", {{"resourceArn", arn}, {"tagKeys", {"a"}}})),
              expected);
    EXPECT_EQ(ErrorOf(stack_.Call("ListTagsForResource", {{"resourceArn", arn}})), expected);
  }
}

TEST_F(AwsActivities, OnlyStateMachinesAndActivitiesHaveTags) {
  EXPECT_EQ(ErrorOf(stack_.Call("ListTagsForResource", {{"resourceArn", ExecutionArn("m", "e")}})),
            StatesError("InvalidArn",
                        "Invalid Arn: 'Resource type not valid in this context: execution'"));
}

TEST_F(AwsActivities, TagRequestsNeedTheirLists) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  EXPECT_EQ(ErrorOf(stack_.Call("TagResource", {{"resourceArn", machine}})),
            ValidationError("1 validation error detected: Value null at 'tags' failed to satisfy "
                            "constraint: Member must not be null"));
  EXPECT_EQ(ErrorOf(stack_.Call("UntagResource", {{"resourceArn", machine}})),
            ValidationError("1 validation error detected: Value null at 'tagKeys' failed to "
                            "satisfy constraint: Member must not be null"));
  EXPECT_EQ(ErrorOf(stack_.Call("UntagResource", {{"resourceArn", machine}, {"tagKeys", {3}}})),
            PlainError(400, "SerializationException", "Expected strings in 'tagKeys', got 3"));
}

}  // namespace
}  // namespace stepd::api::testing
