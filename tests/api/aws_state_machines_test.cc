// CreateStateMachine, UpdateStateMachine, DeleteStateMachine,
// DescribeStateMachine, ListStateMachines, DescribeStateMachineForExecution,
// ValidateStateMachineDefinition through the AWS JSON API.

#include <gtest/gtest.h>

#include <set>

#include "api/aws_testing.h"

namespace stepd::api::testing {
namespace {

std::set<std::string> Keys(const Json& object) {
  std::set<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.insert(it.key());
  return keys;
}

Json CreateInput(const std::string& name, const std::string& definition) {
  return {{"name", name}, {"definition", definition}, {"roleArn", kRoleArn}};
}

AwsErrorAnswer DoesNotExist(const std::string& arn) {
  return StatesError("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + arn + "'");
}

AwsErrorAnswer BeingDeleted(const std::string& arn) {
  return StatesError("StateMachineDeleting", "State Machine Is Being Deleted: '" + arn + "'");
}

constexpr char kOtherPass[] =
    R"({"Comment":"v2","StartAt":"P","States":{"P":{"Type":"Pass","Result":2,"End":true}}})";

class AwsStateMachines : public ::testing::Test {
 protected:
  AwsAnswer Describe(const std::string& arn) {
    return stack_.Call("DescribeStateMachine", {{"stateMachineArn", arn}});
  }
  AwsStack stack_;
};

// --- CreateStateMachine -------------------------------------------------------------

TEST_F(AwsStateMachines, CreateAnswersTheArnAndCreationDateInEpochSeconds) {
  const double before = NowSeconds();
  AwsAnswer created = stack_.Call("CreateStateMachine", CreateInput("orders", kPassDefinition));
  const double after = NowSeconds();
  ASSERT_EQ(created.status, 200) << created.raw;
  EXPECT_EQ(Keys(created.body), (std::set<std::string>{"stateMachineArn", "creationDate"}));
  EXPECT_EQ(created.body["stateMachineArn"], MachineArn("orders"));
  EXPECT_TRUE(IsEpochSecondsBetween(created.body["creationDate"], before, after));
}

TEST_F(AwsStateMachines, DescribeShowsANewMachineWithDefaultConfigurationsAndNoRevision) {
  AwsAnswer created = stack_.Call("CreateStateMachine", CreateInput("orders", kPassDefinition));
  AwsAnswer described = Describe(MachineArn("orders"));
  ASSERT_EQ(described.status, 200) << described.raw;
  EXPECT_EQ(described.body,
            Json({{"stateMachineArn", MachineArn("orders")},
                  {"name", "orders"},
                  {"status", "ACTIVE"},
                  {"definition", kPassDefinition},
                  {"roleArn", kRoleArn},
                  {"type", "STANDARD"},
                  {"creationDate", created.body["creationDate"]},
                  {"loggingConfiguration", {{"level", "OFF"}, {"includeExecutionData", false}}},
                  {"tracingConfiguration", {{"enabled", false}}}}));
}

TEST_F(AwsStateMachines, DescribeWithMetadataOnlyLeavesTheDefinitionOut) {
  stack_.CreateMachine("orders", kPassDefinition);
  AwsAnswer described =
      stack_.Call("DescribeStateMachine",
                  {{"stateMachineArn", MachineArn("orders")}, {"includedData", "METADATA_ONLY"}});
  ASSERT_EQ(described.status, 200) << described.raw;
  EXPECT_EQ(described.body["definition"], "{}");
}

TEST_F(AwsStateMachines, DescribeOfAnUnknownMachineIsStateMachineDoesNotExist) {
  EXPECT_EQ(ErrorOf(Describe(MachineArn("nope"))), DoesNotExist(MachineArn("nope")));
}

TEST_F(AwsStateMachines, CreateIsIdempotentIgnoringRoleAndTags) {
  AwsAnswer first = stack_.Call("CreateStateMachine", CreateInput("orders", kPassDefinition));
  Json again = CreateInput("orders", kPassDefinition);
  again["roleArn"] = "arn:aws:iam::123456789012:role/another";
  again["tags"] = {{{"key", "k"}, {"value", "v"}}};
  AwsAnswer second = stack_.Call("CreateStateMachine", again);
  ASSERT_EQ(second.status, 200) << second.raw;
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(Describe(MachineArn("orders")).body["roleArn"], kRoleArn);
}

TEST_F(AwsStateMachines, CreateOfATakenNameWithAnotherDefinitionTypeOrLoggingIsRefused) {
  stack_.CreateMachine("orders", kPassDefinition);
  const AwsErrorAnswer exists = StatesError(
      "StateMachineAlreadyExists", "State Machine Already Exists: '" + MachineArn("orders") + "'");
  EXPECT_EQ(ErrorOf(stack_.Call("CreateStateMachine", CreateInput("orders", kOtherPass))), exists);
  Json express = CreateInput("orders", kPassDefinition);
  express["type"] = "EXPRESS";
  EXPECT_EQ(ErrorOf(stack_.Call("CreateStateMachine", express)), exists);
  Json traced = CreateInput("orders", kPassDefinition);
  traced["tracingConfiguration"] = {{"enabled", true}};
  EXPECT_EQ(ErrorOf(stack_.Call("CreateStateMachine", traced)), exists);
}

TEST_F(AwsStateMachines, CreateRefusesAnInvalidDefinitionWithTheCompilersDiagnostics) {
  EXPECT_EQ(ErrorOf(stack_.Call("CreateStateMachine", CreateInput("m", "{}"))),
            StatesError("InvalidDefinition",
                        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields "
                        "are required: [StartAt, States] at /'"));
  EXPECT_EQ(ErrorOf(Describe(MachineArn("m"))), DoesNotExist(MachineArn("m")));
}

TEST_F(AwsStateMachines, CreateOfAnExpressMachine) {
  Json input = CreateInput("fast", kPassDefinition);
  input["type"] = "EXPRESS";
  ASSERT_EQ(stack_.Call("CreateStateMachine", input).status, 200);
  EXPECT_EQ(Describe(MachineArn("fast")).body["type"], "EXPRESS");
  EXPECT_EQ(ErrorOf(stack_.Call("ListExecutions", {{"stateMachineArn", MachineArn("fast")}})),
            StatesError("StateMachineTypeNotSupported",
                        "This operation is not supported by this type of state machine"));
}

TEST_F(AwsStateMachines, KeepsLoggingAndTracingConfigurations) {
  const Json destinations = {
      {{"cloudWatchLogsLogGroup",
        {{"logGroupArn", "arn:aws:logs:us-east-1:123456789012:log-group:sfn:*"}}}}};
  Json input = CreateInput("logged", kPassDefinition);
  input["loggingConfiguration"] = {{"level", "ERROR"}, {"destinations", destinations}};
  input["tracingConfiguration"] = {{"enabled", true}};
  AwsAnswer created = stack_.Call("CreateStateMachine", input);
  ASSERT_EQ(created.status, 200) << created.raw;
  AwsAnswer described = Describe(MachineArn("logged"));
  EXPECT_EQ(
      described.body["loggingConfiguration"],
      Json({{"level", "ERROR"}, {"includeExecutionData", false}, {"destinations", destinations}}));
  EXPECT_EQ(described.body["tracingConfiguration"], Json({{"enabled", true}}));
}

TEST_F(AwsStateMachines, RefusesALoggingLevelWithoutExactlyOneDestination) {
  Json input = CreateInput("logged", kPassDefinition);
  input["loggingConfiguration"] = {{"level", "ALL"}};
  EXPECT_EQ(
      ErrorOf(stack_.Call("CreateStateMachine", input)),
      StatesError("InvalidLoggingConfiguration",
                  "Invalid Logging Configuration: Must specify exactly one Log Destination."));
  input["loggingConfiguration"] = {{"level", "ALL"}, {"destinations", {{{"x", 1}}}}};
  EXPECT_EQ(ErrorOf(stack_.Call("CreateStateMachine", input)),
            StatesError("InvalidLoggingConfiguration",
                        "Invalid Logging Configuration: each destination must be "
                        "{\"cloudWatchLogsLogGroup\": {\"logGroupArn\": \"...\"}}"));
}

TEST_F(AwsStateMachines, RefusesAnUnknownLoggingLevelInAwsWords) {
  Json input = CreateInput("logged", kPassDefinition);
  input["loggingConfiguration"] = {{"level", "LOUD"}};
  EXPECT_EQ(ErrorOf(stack_.Call("CreateStateMachine", input)),
            ValidationError("1 validation error detected: Value 'LOUD' at "
                            "'loggingConfiguration.level' failed to satisfy constraint: Member "
                            "must satisfy enum value set: [ALL, ERROR, FATAL, OFF]"));
}

TEST_F(AwsStateMachines, AVersionDescriptionNeedsPublish) {
  Json input = CreateInput("m", kPassDefinition);
  input["versionDescription"] = "first";
  EXPECT_EQ(ErrorOf(stack_.Call("CreateStateMachine", input)),
            ValidationError("Version description can only be set when publish is true"));
  input["publish"] = true;
  AwsAnswer created = stack_.Call("CreateStateMachine", input);
  ASSERT_EQ(created.status, 200) << created.raw;
  EXPECT_EQ(created.body["stateMachineVersionArn"], MachineArn("m") + ":1");
}

// --- UpdateStateMachine ---------------------------------------------------------------

TEST_F(AwsStateMachines, UpdateNeedsSomethingToChange) {
  stack_.CreateMachine("m", kPassDefinition);
  EXPECT_EQ(ErrorOf(stack_.Call("UpdateStateMachine", {{"stateMachineArn", MachineArn("m")}})),
            StatesError("MissingRequiredParameter",
                        "Either the definition, the role ARN, the LoggingConfiguration, or the "
                        "TracingConfiguration must be specified"));
}

TEST_F(AwsStateMachines, UpdateOfAnUnknownMachineIsStateMachineDoesNotExist) {
  EXPECT_EQ(ErrorOf(stack_.Call("UpdateStateMachine",
                                {{"stateMachineArn", MachineArn("nope")}, {"roleArn", kRoleArn}})),
            DoesNotExist(MachineArn("nope")));
}

TEST_F(AwsStateMachines, UpdateAnswersANewRevisionThatDescribeThenShows) {
  stack_.CreateMachine("m", kPassDefinition);
  const double before = NowSeconds();
  AwsAnswer updated = stack_.Call(
      "UpdateStateMachine", {{"stateMachineArn", MachineArn("m")}, {"definition", kOtherPass}});
  const double after = NowSeconds();
  ASSERT_EQ(updated.status, 200) << updated.raw;
  EXPECT_EQ(Keys(updated.body), (std::set<std::string>{"updateDate", "revisionId"}));
  EXPECT_TRUE(IsEpochSecondsBetween(updated.body["updateDate"], before, after));
  ASSERT_TRUE(updated.body["revisionId"].is_string());
  EXPECT_EQ(updated.body["revisionId"].get<std::string>().size(), 36u);  // a UUID

  AwsAnswer described = Describe(MachineArn("m"));
  EXPECT_EQ(described.body["definition"], kOtherPass);
  EXPECT_EQ(described.body["revisionId"], updated.body["revisionId"]);
  EXPECT_EQ(described.body["roleArn"], kRoleArn);
}

TEST_F(AwsStateMachines, AnUpdateThatChangesNothingKeepsTheRevision) {
  stack_.CreateMachine("m", kPassDefinition);
  const Json change = {{"stateMachineArn", MachineArn("m")}, {"definition", kOtherPass}};
  AwsAnswer first = stack_.Call("UpdateStateMachine", change);
  AwsAnswer same = stack_.Call("UpdateStateMachine", change);
  ASSERT_EQ(same.status, 200) << same.raw;
  EXPECT_EQ(same.body, first.body);
  AwsAnswer other = stack_.Call(
      "UpdateStateMachine",
      {{"stateMachineArn", MachineArn("m")}, {"tracingConfiguration", {{"enabled", true}}}});
  ASSERT_EQ(other.status, 200) << other.raw;
  EXPECT_NE(other.body["revisionId"], first.body["revisionId"]);
  EXPECT_EQ(Describe(MachineArn("m")).body["tracingConfiguration"], Json({{"enabled", true}}));
}

TEST_F(AwsStateMachines, UpdateRefusesAnInvalidDefinitionAndChangesNothing) {
  stack_.CreateMachine("m", kPassDefinition);
  EXPECT_EQ(ErrorOf(stack_.Call("UpdateStateMachine",
                                {{"stateMachineArn", MachineArn("m")}, {"definition", "{}"}})),
            StatesError("InvalidDefinition",
                        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields "
                        "are required: [StartAt, States] at /'"));
  AwsAnswer described = Describe(MachineArn("m"));
  EXPECT_EQ(described.body["definition"], kPassDefinition);
  EXPECT_FALSE(described.body.contains("revisionId"));
}

TEST_F(AwsStateMachines, ExecutionsKeepTheRevisionTheyStartedWith) {
  const std::string machine = stack_.CreateMachine("m", kWaitDefinition);
  const std::string old_run = stack_.StartExecution(machine, "old");
  AwsAnswer updated = stack_.Call("UpdateStateMachine",
                                  {{"stateMachineArn", machine}, {"definition", kPassDefinition}});
  ASSERT_EQ(updated.status, 200) << updated.raw;
  const std::string new_run = stack_.StartExecution(machine, "new");

  AwsAnswer old_machine =
      stack_.Call("DescribeStateMachineForExecution", {{"executionArn", old_run}});
  ASSERT_EQ(old_machine.status, 200) << old_machine.raw;
  EXPECT_EQ(old_machine.body["definition"], kWaitDefinition);
  EXPECT_NE(old_machine.body["revisionId"], updated.body["revisionId"]);

  AwsAnswer new_machine =
      stack_.Call("DescribeStateMachineForExecution", {{"executionArn", new_run}});
  ASSERT_EQ(new_machine.status, 200) << new_machine.raw;
  EXPECT_EQ(new_machine.body,
            Json({{"stateMachineArn", machine},
                  {"name", "m"},
                  {"definition", kPassDefinition},
                  {"roleArn", kRoleArn},
                  {"updateDate", updated.body["updateDate"]},
                  {"loggingConfiguration", {{"level", "OFF"}, {"includeExecutionData", false}}},
                  {"tracingConfiguration", {{"enabled", false}}},
                  {"revisionId", updated.body["revisionId"]}}));
  EXPECT_EQ(stack_.WaitForEnd(new_run)["status"], "SUCCEEDED");
}

TEST_F(AwsStateMachines, DescribeForExecutionOfAnUnknownExecution) {
  const std::string arn = ExecutionArn("m", "nope");
  EXPECT_EQ(ErrorOf(stack_.Call("DescribeStateMachineForExecution", {{"executionArn", arn}})),
            StatesError("ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'"));
}

// --- DeleteStateMachine ------------------------------------------------------------------

TEST_F(AwsStateMachines, DeleteOfAnUnknownMachineSucceeds) {
  AwsAnswer deleted = stack_.Call("DeleteStateMachine", {{"stateMachineArn", MachineArn("nope")}});
  EXPECT_EQ(deleted.status, 200) << deleted.raw;
  EXPECT_EQ(deleted.body, Json::object());
}

TEST_F(AwsStateMachines, DeleteOfAnIdleMachineRemovesItAtOnce) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  EXPECT_EQ(stack_.WaitForEnd(stack_.StartExecution(machine, "done"))["status"], "SUCCEEDED");
  ASSERT_EQ(stack_.Call("DeleteStateMachine", {{"stateMachineArn", machine}}).status, 200);
  EXPECT_EQ(ErrorOf(Describe(machine)), DoesNotExist(machine));
  EXPECT_EQ(stack_.Call("ListStateMachines").body, Json::parse(R"({"stateMachines":[]})"));
  // The name is free again.
  EXPECT_EQ(stack_.Call("CreateStateMachine", CreateInput("m", kOtherPass)).status, 200);
}

TEST_F(AwsStateMachines, AMachineWithARunningExecutionIsDeletingUntilItEnds) {
  const std::string activity = stack_.CreateActivity("work");
  const std::string machine = stack_.CreateMachine("m", kActivityDefinition);
  const std::string execution = stack_.StartExecution(machine, "e");
  const Json task = stack_.TakeTask(activity);
  ASSERT_TRUE(task.contains("taskToken")) << task.dump();

  ASSERT_EQ(stack_.Call("DeleteStateMachine", {{"stateMachineArn", machine}}).status, 200);
  AwsAnswer deleting = Describe(machine);
  ASSERT_EQ(deleting.status, 200) << deleting.raw;
  EXPECT_EQ(deleting.body["status"], "DELETING");
  EXPECT_EQ(ErrorOf(stack_.Call("StartExecution", {{"stateMachineArn", machine}})),
            BeingDeleted(machine));
  EXPECT_EQ(ErrorOf(stack_.Call("UpdateStateMachine",
                                {{"stateMachineArn", machine}, {"definition", kPassDefinition}})),
            BeingDeleted(machine));

  ASSERT_EQ(
      stack_.Call("SendTaskSuccess", {{"taskToken", task["taskToken"]}, {"output", "{}"}}).status,
      200);
  EXPECT_TRUE(WaitUntil([&] { return Describe(machine).status == 400; }));
  EXPECT_EQ(ErrorOf(Describe(machine)), DoesNotExist(machine));
  EXPECT_EQ(stack_.Call("ListStateMachines").body, Json::parse(R"({"stateMachines":[]})"));
}

// AWS's CreateStateMachine answers StateMachineDeleting for the name of a
// machine being deleted.
TEST_F(AwsStateMachines, CreateWithTheNameOfAMachineBeingDeletedIsStateMachineDeleting) {
  const std::string machine = stack_.CreateMachine("m", kWaitDefinition);
  stack_.StartExecution(machine, "e");
  ASSERT_EQ(stack_.Call("DeleteStateMachine", {{"stateMachineArn", machine}}).status, 200);
  EXPECT_EQ(ErrorOf(stack_.Call("CreateStateMachine", CreateInput("m", kWaitDefinition))),
            BeingDeleted(machine));
}

// "A state machine is deleted only when all its executions are completed":
// once the last one ended, the name is free, whether or not anyone looked at
// the machine in between.
TEST_F(AwsStateMachines, TheNameIsFreeOnceTheLastExecutionOfADeletedMachineEnded) {
  const std::string machine = stack_.CreateMachine("m", kWaitDefinition);
  const std::string execution = stack_.StartExecution(machine, "e");
  ASSERT_EQ(stack_.Call("DeleteStateMachine", {{"stateMachineArn", machine}}).status, 200);
  ASSERT_EQ(stack_.Call("StopExecution", {{"executionArn", execution}}).status, 200);

  AwsAnswer created = stack_.Call("CreateStateMachine", CreateInput("m", kPassDefinition));
  EXPECT_EQ(created.status, 200) << created.raw;
}

TEST_F(AwsStateMachines, ADeletedMachineWhoseLastExecutionEndedDoesNotExistForStarts) {
  const std::string machine = stack_.CreateMachine("m", kWaitDefinition);
  const std::string execution = stack_.StartExecution(machine, "e");
  ASSERT_EQ(stack_.Call("DeleteStateMachine", {{"stateMachineArn", machine}}).status, 200);
  ASSERT_EQ(stack_.Call("StopExecution", {{"executionArn", execution}}).status, 200);

  EXPECT_EQ(ErrorOf(stack_.Call("StartExecution", {{"stateMachineArn", machine}})),
            DoesNotExist(machine));
}

// --- ListStateMachines ---------------------------------------------------------------------

TEST_F(AwsStateMachines, ListsMachinesOldestFirstInPages) {
  std::vector<Json> created;
  for (int i = 0; i < 5; ++i) {
    created.push_back(
        stack_.Call("CreateStateMachine", CreateInput("m" + std::to_string(i), kPassDefinition))
            .body);
  }
  std::vector<Json> listed;
  std::string token;
  int pages = 0;
  do {
    Json input = {{"maxResults", 2}};
    if (!token.empty()) input["nextToken"] = token;
    AwsAnswer page = stack_.Call("ListStateMachines", input);
    ASSERT_EQ(page.status, 200) << page.raw;
    ++pages;
    EXPECT_LE(page.body["stateMachines"].size(), 2u);
    for (const Json& item : page.body["stateMachines"]) listed.push_back(item);
    token = page.body.value("nextToken", "");
    ASSERT_LE(pages, 3);
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(listed.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(listed[i], Json({{"stateMachineArn", MachineArn("m" + std::to_string(i))},
                               {"name", "m" + std::to_string(i)},
                               {"type", "STANDARD"},
                               {"creationDate", created[i]["creationDate"]}}));
  }
}

TEST_F(AwsStateMachines, ListRefusesATokenItDidNotIssue) {
  EXPECT_EQ(ErrorOf(stack_.Call("ListStateMachines", {{"nextToken", "made-up"}})),
            StatesError("InvalidToken", "Invalid Token: 'Invalid token'"));
}

// --- ValidateStateMachineDefinition ----------------------------------------------------------

// Three errors: a missing transition, a StartAt naming no state, and so an
// unreachable state.
constexpr char kBroken[] = R"({"StartAt":"X","States":{"P":{"Type":"Pass"}}})";

const Json kBrokenDiagnostics = Json::parse(R"([
  {"severity":"ERROR","code":"SCHEMA_VALIDATION_FAILED",
   "message":"No transition found: exactly one of these fields is required: [End, Next]",
   "location":"/States/P"},
  {"severity":"ERROR","code":"MISSING_TRANSITION_TARGET","message":"Missing 'Next' target: X",
   "location":"/StartAt"},
  {"severity":"ERROR","code":"MISSING_TRANSITION_TARGET","message":"State \"P\" is not reachable.",
   "location":"/States/P"}])");

TEST_F(AwsStateMachines, ValidateAnswersOkForAValidDefinition) {
  AwsAnswer answer =
      stack_.Call("ValidateStateMachineDefinition", {{"definition", kPassDefinition}});
  ASSERT_EQ(answer.status, 200) << answer.raw;
  EXPECT_EQ(answer.body, Json::parse(R"({"result":"OK","diagnostics":[],"truncated":false})"));
}

TEST_F(AwsStateMachines, ValidateAnswersFailWithEveryDiagnostic) {
  AwsAnswer answer = stack_.Call("ValidateStateMachineDefinition", {{"definition", kBroken}});
  ASSERT_EQ(answer.status, 200) << answer.raw;
  EXPECT_EQ(answer.body,
            Json({{"result", "FAIL"}, {"diagnostics", kBrokenDiagnostics}, {"truncated", false}}));
}

TEST_F(AwsStateMachines, ValidateWithSeverityWarningStillListsErrors) {
  AwsAnswer answer = stack_.Call("ValidateStateMachineDefinition",
                                 {{"definition", kBroken}, {"severity", "WARNING"}});
  ASSERT_EQ(answer.status, 200) << answer.raw;
  EXPECT_EQ(answer.body["diagnostics"], kBrokenDiagnostics);
  EXPECT_EQ(ErrorOf(stack_.Call("ValidateStateMachineDefinition",
                                {{"definition", kBroken}, {"severity", "INFO"}})),
            ValidationError("1 validation error detected: Value 'INFO' at 'severity' failed to "
                            "satisfy constraint: Member must satisfy enum value set: [ERROR, "
                            "WARNING]"));
}

TEST_F(AwsStateMachines, ValidateTruncatesToMaxResults) {
  AwsAnswer two =
      stack_.Call("ValidateStateMachineDefinition", {{"definition", kBroken}, {"maxResults", 2}});
  ASSERT_EQ(two.status, 200) << two.raw;
  EXPECT_EQ(two.body["diagnostics"], Json({kBrokenDiagnostics[0], kBrokenDiagnostics[1]}));
  EXPECT_EQ(two.body["truncated"], true);
  EXPECT_EQ(two.body["result"], "FAIL");

  AwsAnswer three =
      stack_.Call("ValidateStateMachineDefinition", {{"definition", kBroken}, {"maxResults", 3}});
  EXPECT_EQ(three.body["diagnostics"], kBrokenDiagnostics);
  EXPECT_EQ(three.body["truncated"], false);

  EXPECT_EQ(ErrorOf(stack_.Call("ValidateStateMachineDefinition",
                                {{"definition", kBroken}, {"maxResults", 101}})),
            ValidationError("1 validation error detected: Value '101' at 'maxResults' failed to "
                            "satisfy constraint: Member must have value less than or equal to "
                            "100"));
}

TEST_F(AwsStateMachines, ValidateChecksTheRulesOfTheGivenType) {
  const std::string definition =
      R"({"StartAt":"T","States":{"T":{"Type":"Task",)"
      R"("Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",)"
      R"("Parameters":{"FunctionName":"f","Payload":{"token.$":"$$.Task.Token"}},"End":true}}})";
  AwsAnswer standard = stack_.Call("ValidateStateMachineDefinition", {{"definition", definition}});
  EXPECT_EQ(standard.body["result"], "OK") << standard.raw;
  AwsAnswer express = stack_.Call("ValidateStateMachineDefinition",
                                  {{"definition", definition}, {"type", "EXPRESS"}});
  EXPECT_EQ(express.body["result"], "FAIL") << express.raw;
  ASSERT_EQ(express.body["diagnostics"].size(), 1u) << express.raw;
  EXPECT_EQ(express.body["diagnostics"][0]["location"], "/States/T/Resource");
}

}  // namespace
}  // namespace stepd::api::testing
