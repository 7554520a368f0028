// State machine versions and aliases through the AWS JSON API:
// PublishStateMachineVersion, ListStateMachineVersions,
// DeleteStateMachineVersion, the *StateMachineAlias operations, publish on
// Create/UpdateStateMachine, and executions started through a version or an
// alias.

#include <gtest/gtest.h>

#include <set>

#include "api/aws_testing.h"

namespace stepd::api::testing {
namespace {

// Ends with {"v": N}: which version ran is visible in the output.
std::string Returning(int n) {
  return R"({"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"v":)" + std::to_string(n) +
         R"(},"End":true}}})";
}

std::string VersionArn(const std::string& machine, int version) {
  return MachineArn(machine) + ":" + std::to_string(version);
}

Json Route(const std::string& version_arn, int weight) {
  return {{"stateMachineVersionArn", version_arn}, {"weight", weight}};
}

class AwsVersions : public ::testing::Test {
 protected:
  // Creates machine "m" returning {"v":1} and publishes it as version 1.
  void SetUp() override { stack_.CreateMachine("m", Returning(1)); }

  AwsAnswer Publish(const Json& extra = Json::object()) {
    Json input = {{"stateMachineArn", MachineArn("m")}};
    input.update(extra);
    return stack_.Call("PublishStateMachineVersion", input);
  }
  // Changes m's definition to return {"v":n}.
  std::string Update(int n) {
    AwsAnswer updated = stack_.Call(
        "UpdateStateMachine", {{"stateMachineArn", MachineArn("m")}, {"definition", Returning(n)}});
    EXPECT_EQ(updated.status, 200) << updated.raw;
    return updated.body.value("revisionId", "");
  }
  AwsAnswer CreateAlias(const std::string& name, const Json& routing) {
    return stack_.Call("CreateStateMachineAlias",
                       {{"name", name}, {"routingConfiguration", routing}});
  }
  // Starts through `arn` and waits for the end: the execution described.
  Json Run(const std::string& arn, const std::string& name) {
    return stack_.WaitForEnd(stack_.StartExecution(arn, name));
  }
  std::vector<std::string> ListedExecutions(const std::string& arn) {
    AwsAnswer listed = stack_.Call("ListExecutions", {{"stateMachineArn", arn}});
    EXPECT_EQ(listed.status, 200) << listed.raw;
    std::vector<std::string> names;
    for (const Json& e : listed.body["executions"]) names.push_back(e["name"]);
    return names;
  }

  AwsStack stack_;
};

// --- Publishing ---------------------------------------------------------------------

TEST_F(AwsVersions, PublishNumbersVersionsFromOneAndAnswersAnUnchangedRevisionWithItsVersion) {
  const double before = NowSeconds();
  AwsAnswer first = Publish();
  ASSERT_EQ(first.status, 200) << first.raw;
  EXPECT_EQ(first.body["stateMachineVersionArn"], VersionArn("m", 1));
  EXPECT_TRUE(IsEpochSecondsBetween(first.body["creationDate"], before, NowSeconds()));
  AwsAnswer again = Publish();
  EXPECT_EQ(again.body, first.body);  // the same version, not a new one
  Update(2);
  EXPECT_EQ(Publish().body["stateMachineVersionArn"], VersionArn("m", 2));
}

TEST_F(AwsVersions, PublishWithAStaleRevisionIdIsAConflict) {
  const std::string old_revision = Update(2);
  const std::string current = Update(3);
  AwsAnswer stale = Publish({{"revisionId", old_revision}});
  EXPECT_EQ(
      ErrorOf(stale),
      StatesError("ConflictException",
                  "Failed to publish the State Machine version for "
                  "revision " +
                      old_revision + ". The current State Machine revision is " + current + "."));
  EXPECT_EQ(Publish({{"revisionId", current}}).status, 200);
}

TEST_F(AwsVersions, UpdateWithPublishAnswersTheVersionItMade) {
  AwsAnswer updated = stack_.Call("UpdateStateMachine", {{"stateMachineArn", MachineArn("m")},
                                                         {"definition", Returning(2)},
                                                         {"publish", true},
                                                         {"versionDescription", "second"}});
  ASSERT_EQ(updated.status, 200) << updated.raw;
  EXPECT_EQ(updated.body["stateMachineVersionArn"], VersionArn("m", 1));
  AwsAnswer version =
      stack_.Call("DescribeStateMachine", {{"stateMachineArn", VersionArn("m", 1)}});
  ASSERT_EQ(version.status, 200) << version.raw;
  EXPECT_EQ(version.body["description"], "second");
  EXPECT_EQ(version.body["revisionId"], updated.body["revisionId"]);
  EXPECT_EQ(version.body["definition"], Returning(2));
}

TEST_F(AwsVersions, AVersionKeepsItsDefinitionAndRoleWhenTheMachineChanges) {
  ASSERT_EQ(Publish({{"description", "the first"}}).status, 200);
  ASSERT_EQ(stack_
                .Call("UpdateStateMachine", {{"stateMachineArn", MachineArn("m")},
                                             {"definition", Returning(2)},
                                             {"roleArn", "arn:aws:iam::123456789012:role/other"}})
                .status,
            200);
  AwsAnswer version =
      stack_.Call("DescribeStateMachine", {{"stateMachineArn", VersionArn("m", 1)}});
  ASSERT_EQ(version.status, 200) << version.raw;
  EXPECT_EQ(version.body["stateMachineArn"], VersionArn("m", 1));
  EXPECT_EQ(version.body["name"], "m");
  EXPECT_EQ(version.body["definition"], Returning(1));
  EXPECT_EQ(version.body["roleArn"], kRoleArn);
  EXPECT_EQ(version.body["description"], "the first");
  EXPECT_EQ(version.body["status"], "ACTIVE");
  AwsAnswer machine = stack_.Call("DescribeStateMachine", {{"stateMachineArn", MachineArn("m")}});
  EXPECT_EQ(machine.body["definition"], Returning(2));
}

TEST_F(AwsVersions, VersionsAreListedNewestFirstPageByPage) {
  for (int n = 2; n <= 4; ++n) {
    ASSERT_EQ(Publish().status, 200);
    Update(n);
  }
  AwsAnswer first = stack_.Call("ListStateMachineVersions",
                                {{"stateMachineArn", MachineArn("m")}, {"maxResults", 2}});
  ASSERT_EQ(first.status, 200) << first.raw;
  ASSERT_EQ(first.body["stateMachineVersions"].size(), 2u);
  EXPECT_EQ(first.body["stateMachineVersions"][0]["stateMachineVersionArn"], VersionArn("m", 3));
  EXPECT_EQ(first.body["stateMachineVersions"][1]["stateMachineVersionArn"], VersionArn("m", 2));
  ASSERT_TRUE(first.body.contains("nextToken"));
  AwsAnswer second =
      stack_.Call("ListStateMachineVersions", {{"stateMachineArn", MachineArn("m")},
                                               {"maxResults", 2},
                                               {"nextToken", first.body["nextToken"]}});
  ASSERT_EQ(second.body["stateMachineVersions"].size(), 1u);
  EXPECT_EQ(second.body["stateMachineVersions"][0]["stateMachineVersionArn"], VersionArn("m", 1));
  EXPECT_FALSE(second.body.contains("nextToken"));
}

TEST_F(AwsVersions, AVersionAnAliasRoutesToCannotBeDeleted) {
  ASSERT_EQ(Publish().status, 200);
  ASSERT_EQ(CreateAlias("prod", Json::array({Route(VersionArn("m", 1), 100)})).status, 200);
  EXPECT_EQ(ErrorOf(stack_.Call("DeleteStateMachineVersion",
                                {{"stateMachineVersionArn", VersionArn("m", 1)}})),
            StatesError("ConflictException",
                        "Version to be deleted must not be referenced by an alias. Current list "
                        "of aliases referencing this version: [" +
                            MachineArn("m") + ":prod]"));
  ASSERT_EQ(
      stack_.Call("DeleteStateMachineAlias", {{"stateMachineAliasArn", MachineArn("m") + ":prod"}})
          .status,
      200);
  for (int i = 0; i < 2; ++i) {  // deleting what is gone succeeds too
    AwsAnswer deleted =
        stack_.Call("DeleteStateMachineVersion", {{"stateMachineVersionArn", VersionArn("m", 1)}});
    EXPECT_EQ(deleted.status, 200) << deleted.raw;
  }
  EXPECT_EQ(ErrorOf(stack_.Call("DescribeStateMachine", {{"stateMachineArn", VersionArn("m", 1)}})),
            StatesError("StateMachineDoesNotExist",
                        "State Machine Does Not Exist: '" + VersionArn("m", 1) + "'"));
  // Numbers are never reused.
  Update(2);
  EXPECT_EQ(Publish().body["stateMachineVersionArn"], VersionArn("m", 2));
}

// --- Executions of versions ---------------------------------------------------------------

TEST_F(AwsVersions, AStartThroughAVersionRunsItsDefinitionAndIsListedByIt) {
  ASSERT_EQ(Publish().status, 200);
  Update(2);
  Json versioned = Run(VersionArn("m", 1), "through-v1");
  EXPECT_EQ(versioned["status"], "SUCCEEDED");
  EXPECT_EQ(versioned["output"], R"({"v":1})");
  EXPECT_EQ(versioned["stateMachineArn"], MachineArn("m"));
  EXPECT_EQ(versioned["stateMachineVersionArn"], VersionArn("m", 1));
  EXPECT_FALSE(versioned.contains("stateMachineAliasArn"));
  Json current = Run(MachineArn("m"), "unversioned");
  EXPECT_EQ(current["output"], R"({"v":2})");
  EXPECT_FALSE(current.contains("stateMachineVersionArn"));
  // Its executions run under the machine's name.
  EXPECT_EQ(versioned["executionArn"], ExecutionArn("m", "through-v1"));
  EXPECT_EQ(ListedExecutions(VersionArn("m", 1)), std::vector<std::string>{"through-v1"});
  EXPECT_EQ(ListedExecutions(MachineArn("m")),
            (std::vector<std::string>{"unversioned", "through-v1"}));
  AwsAnswer for_execution = stack_.Call("DescribeStateMachineForExecution",
                                        {{"executionArn", versioned["executionArn"]}});
  EXPECT_EQ(for_execution.body["definition"], Returning(1));
}

TEST_F(AwsVersions, StartsThroughAnUnknownVersionOrAliasFindNoStateMachine) {
  for (const std::string& arn : {VersionArn("m", 7), MachineArn("m") + ":nope"}) {
    EXPECT_EQ(
        ErrorOf(stack_.Call("StartExecution", {{"stateMachineArn", arn}})),
        StatesError("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + arn + "'"));
    EXPECT_EQ(ErrorOf(stack_.Call("ListExecutions", {{"stateMachineArn", arn}})),
              StatesError("ResourceNotFound", "Resource not found: '" + arn + "'"));
  }
}

// --- Aliases --------------------------------------------------------------------------------

TEST_F(AwsVersions, AnAliasRoutesEveryStartToAVersionWeighted100) {
  ASSERT_EQ(Publish().status, 200);
  Update(2);
  ASSERT_EQ(Publish().status, 200);
  AwsAnswer created = CreateAlias(
      "prod", Json::array({Route(VersionArn("m", 1), 100), Route(VersionArn("m", 2), 0)}));
  ASSERT_EQ(created.status, 200) << created.raw;
  const std::string alias = MachineArn("m") + ":prod";
  EXPECT_EQ(created.body["stateMachineAliasArn"], alias);
  for (int i = 0; i < 10; ++i) {
    Json e = Run(alias, "run-" + std::to_string(i));
    EXPECT_EQ(e["output"], R"({"v":1})");
    EXPECT_EQ(e["stateMachineVersionArn"], VersionArn("m", 1));
    EXPECT_EQ(e["stateMachineAliasArn"], alias);
  }
  EXPECT_EQ(ListedExecutions(alias).size(), 10u);
}

TEST_F(AwsVersions, AFiftyFiftyAliasRunsBothVersions) {
  ASSERT_EQ(Publish().status, 200);
  Update(2);
  ASSERT_EQ(Publish().status, 200);
  ASSERT_EQ(CreateAlias("canary",
                        Json::array({Route(VersionArn("m", 1), 50), Route(VersionArn("m", 2), 50)}))
                .status,
            200);
  std::multiset<std::string> outputs;
  // All 40 on one side happens with probability 2^-39.
  for (int i = 0; i < 40; ++i) {
    outputs.insert(Run(MachineArn("m") + ":canary", "c" + std::to_string(i))["output"]);
  }
  EXPECT_GT(outputs.count(R"({"v":1})"), 0u);
  EXPECT_GT(outputs.count(R"({"v":2})"), 0u);
  EXPECT_EQ(outputs.size(), 40u);
}

TEST_F(AwsVersions, AnAliasIsDescribedUpdatedListedAndDeleted) {
  ASSERT_EQ(Publish().status, 200);
  Update(2);
  ASSERT_EQ(Publish().status, 200);
  const std::string alias = MachineArn("m") + ":prod";
  ASSERT_EQ(stack_
                .Call("CreateStateMachineAlias",
                      {{"name", "prod"},
                       {"description", "live traffic"},
                       {"routingConfiguration", Json::array({Route(VersionArn("m", 1), 100)})}})
                .status,
            200);
  AwsAnswer described = stack_.Call("DescribeStateMachineAlias", {{"stateMachineAliasArn", alias}});
  ASSERT_EQ(described.status, 200) << described.raw;
  EXPECT_EQ(described.body["name"], "prod");
  EXPECT_EQ(described.body["description"], "live traffic");
  EXPECT_EQ(described.body["routingConfiguration"], Json::array({Route(VersionArn("m", 1), 100)}));

  const Json shifted = Json::array({Route(VersionArn("m", 1), 10), Route(VersionArn("m", 2), 90)});
  AwsAnswer updated = stack_.Call("UpdateStateMachineAlias", {{"stateMachineAliasArn", alias},
                                                              {"routingConfiguration", shifted}});
  ASSERT_EQ(updated.status, 200) << updated.raw;
  described = stack_.Call("DescribeStateMachineAlias", {{"stateMachineAliasArn", alias}});
  EXPECT_EQ(described.body["routingConfiguration"], shifted);
  EXPECT_EQ(described.body["description"], "live traffic");

  ASSERT_EQ(CreateAlias("beta", Json::array({Route(VersionArn("m", 2), 100)})).status, 200);
  AwsAnswer listed = stack_.Call("ListStateMachineAliases", {{"stateMachineArn", MachineArn("m")}});
  ASSERT_EQ(listed.status, 200) << listed.raw;
  ASSERT_EQ(listed.body["stateMachineAliases"].size(), 2u);
  EXPECT_EQ(listed.body["stateMachineAliases"][0]["stateMachineAliasArn"],
            MachineArn("m") + ":beta");
  EXPECT_EQ(listed.body["stateMachineAliases"][1]["stateMachineAliasArn"], alias);

  ASSERT_EQ(stack_.Call("DeleteStateMachineAlias", {{"stateMachineAliasArn", alias}}).status, 200);
  EXPECT_EQ(ErrorOf(stack_.Call("DescribeStateMachineAlias", {{"stateMachineAliasArn", alias}})),
            StatesError("ResourceNotFound", "Resource not found: '" + alias + "'"));
  EXPECT_EQ(ErrorOf(stack_.Call("DeleteStateMachineAlias", {{"stateMachineAliasArn", alias}})),
            StatesError("ResourceNotFound", "Resource not found: '" + alias + "'"));
}

TEST_F(AwsVersions, CreatingAnAliasAgainIsIdempotentOnlyWithTheSameRouting) {
  ASSERT_EQ(Publish().status, 200);
  Update(2);
  ASSERT_EQ(Publish().status, 200);
  AwsAnswer first = CreateAlias("prod", Json::array({Route(VersionArn("m", 1), 100)}));
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(CreateAlias("prod", Json::array({Route(VersionArn("m", 1), 100)})).body, first.body);
  EXPECT_EQ(ErrorOf(CreateAlias("prod", Json::array({Route(VersionArn("m", 2), 100)}))).type,
            std::string(kStatesNs) + "ConflictException");
}

TEST_F(AwsVersions, AnAliasMustRouteToOneOrTwoExistingVersionsOfOneMachineSummingTo100) {
  ASSERT_EQ(Publish().status, 200);
  Update(2);
  ASSERT_EQ(Publish().status, 200);
  stack_.CreateMachine("other", Returning(9));
  ASSERT_EQ(
      stack_.Call("PublishStateMachineVersion", {{"stateMachineArn", MachineArn("other")}}).status,
      200);
  EXPECT_EQ(ErrorOf(CreateAlias(
                "a", Json::array({Route(VersionArn("m", 1), 60), Route(VersionArn("m", 2), 30)}))),
            ValidationError("Sum of routing configuration weights must be 100, got 90"));
  EXPECT_EQ(
      ErrorOf(CreateAlias(
          "a", Json::array({Route(VersionArn("m", 1), 50), Route(VersionArn("m", 1), 50)}))),
      ValidationError("Routing configuration must contain distinct state machine version ARNs"));
  EXPECT_EQ(
      ErrorOf(CreateAlias(
          "a", Json::array({Route(VersionArn("m", 1), 50), Route(VersionArn("other", 1), 50)}))),
      ValidationError("Routing configuration must contain state machine version ARNs of one state "
                      "machine"));
  EXPECT_EQ(ErrorOf(CreateAlias(
                "a", Json::array({Route(VersionArn("m", 1), 40), Route(VersionArn("m", 2), 40),
                                  Route(VersionArn("other", 1), 20)}))),
            ValidationError("1 validation error detected: Value at 'routingConfiguration' failed "
                            "to satisfy constraint: Member must have length between 1 and 2"));
  EXPECT_EQ(ErrorOf(CreateAlias("a", Json::array({Route(VersionArn("m", 9), 100)}))),
            StatesError("ResourceNotFound", "Resource not found: '" + VersionArn("m", 9) + "'"));
  EXPECT_EQ(
      ErrorOf(CreateAlias("a", Json::array({Route(MachineArn("m"), 100)}))),
      ValidationError("Invalid Arn: '" + MachineArn("m") + "' is not a state machine version ARN"));
  EXPECT_EQ(ErrorOf(CreateAlias("123", Json::array({Route(VersionArn("m", 1), 100)}))),
            ValidationError("1 validation error detected: Value '123' at 'name' failed to satisfy "
                            "constraint: Member must satisfy regular expression pattern: "
                            "^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$"));
  // Nothing was created by the refused requests.
  AwsAnswer listed = stack_.Call("ListStateMachineAliases", {{"stateMachineArn", MachineArn("m")}});
  EXPECT_EQ(listed.body["stateMachineAliases"], Json::array());
}

TEST_F(AwsVersions, UpdateAndDeleteOfAMachineRefuseVersionAndAliasArns) {
  ASSERT_EQ(Publish().status, 200);
  const std::string expected_suffix =
      "' is a version or alias ARN; this operation takes a state "
      "machine ARN";
  EXPECT_EQ(ErrorOf(stack_.Call("UpdateStateMachine", {{"stateMachineArn", VersionArn("m", 1)},
                                                       {"definition", Returning(5)}})),
            ValidationError("Invalid Arn: '" + VersionArn("m", 1) + expected_suffix));
  EXPECT_EQ(ErrorOf(stack_.Call("DeleteStateMachine", {{"stateMachineArn", VersionArn("m", 1)}})),
            ValidationError("Invalid Arn: '" + VersionArn("m", 1) + expected_suffix));
  EXPECT_EQ(
      ErrorOf(stack_.Call("PublishStateMachineVersion", {{"stateMachineArn", VersionArn("m", 1)}})),
      ValidationError("Invalid Arn: '" + VersionArn("m", 1) + expected_suffix));
  // The version is untouched.
  EXPECT_EQ(stack_.Call("DescribeStateMachine", {{"stateMachineArn", VersionArn("m", 1)}})
                .body["definition"],
            Returning(1));
}

TEST_F(AwsVersions, DeletingTheMachineTakesItsVersionsAndAliases) {
  ASSERT_EQ(Publish().status, 200);
  ASSERT_EQ(CreateAlias("prod", Json::array({Route(VersionArn("m", 1), 100)})).status, 200);
  ASSERT_EQ(stack_.Call("DeleteStateMachine", {{"stateMachineArn", MachineArn("m")}}).status, 200);
  EXPECT_EQ(
      ErrorOf(stack_.Call("ListStateMachineVersions", {{"stateMachineArn", MachineArn("m")}})),
      StatesError("StateMachineDoesNotExist",
                  "State Machine Does Not Exist: '" + MachineArn("m") + "'"));
  EXPECT_EQ(ErrorOf(stack_.Call("DescribeStateMachineAlias",
                                {{"stateMachineAliasArn", MachineArn("m") + ":prod"}})),
            StatesError("ResourceNotFound", "Resource not found: '" + MachineArn("m") + ":prod'"));
  // A new machine of the same name numbers its versions afresh.
  stack_.CreateMachine("m", Returning(3));
  EXPECT_EQ(Publish().body["stateMachineVersionArn"], VersionArn("m", 1));
}

}  // namespace
}  // namespace stepd::api::testing
