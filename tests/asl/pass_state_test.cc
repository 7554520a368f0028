#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "asl/asl_run_testing.h"

namespace stepd::asl {
namespace {

using ::testing::ElementsAre;
using testing::RunDefinition;

TEST(PassState, ResultIsPlacedAtResultPath) {
  auto r = RunDefinition(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},
      "ResultPath":"$.r","End":true}}})",
                         Json{{"in", true}});
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.output, (Json{{"in", true}, {"r", {{"x", 1}}}}));
  EXPECT_THAT(r.types, ElementsAre("ExecutionStarted", "PassStateEntered", "PassStateExited",
                                   "ExecutionSucceeded"));
}

TEST(PassState, ParametersReadInputAndContext) {
  auto r = RunDefinition(R"({"StartAt":"A","States":{"A":{"Type":"Pass",
      "Parameters":{"v.$":"$.v","name.$":"$$.State.Name","exec.$":"$$.Execution.Name","lit":2},
      "End":true}}})",
                         Json{{"v", "x"}});
  EXPECT_EQ(r.output, (Json{{"v", "x"}, {"name", "A"}, {"exec", "exec"}, {"lit", 2}}));
}

TEST(PassState, InputPathThatSelectsNothingFailsWithAwsCause) {
  auto r = RunDefinition(R"({"StartAt":"pass","States":{"pass":{"Type":"Pass",
      "InputPath":"$.NoSuchInputPath","End":true}}})",
                         Json::object());
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.error, "States.Runtime");
  EXPECT_EQ(r.error.cause,
            "An error occurred while executing the state 'pass' (entered at the event id #2). "
            "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']");
}

TEST(PassState, NullPathsDiscard) {
  auto r = RunDefinition(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,
      "ResultPath":null,"Next":"B"},"B":{"Type":"Pass","OutputPath":null,"End":true}}})",
                         Json{{"k", 1}});
  EXPECT_EQ(r.output, Json::object());
}

TEST(PassState, AssignSetsVariablesReadByLaterStates) {
  auto r = RunDefinition(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"x":1,"y.$":"$.in"},"Next":"B"},
      "B":{"Type":"Pass","Parameters":{"x.$":"$x","y.$":"$y"},"End":true}}})",
                         Json{{"in", "v"}});
  EXPECT_EQ(r.output, (Json{{"x", 1}, {"y", "v"}}));
  ASSERT_GE(r.events.size(), 3u);
  EXPECT_EQ(r.events[2].DetailsJson()["assignedVariables"], (Json{{"x", "1"}, {"y", "\"v\""}}));
}

TEST(PassState, JsonataOutputReadsStatesInputAndVariables) {
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"n":"{% $states.input.n * 2 %}"},"Next":"B"},
      "B":{"Type":"Pass","Output":{"n":"{% $n %}","name":"{% $states.context.State.Name %}",
        "sum":"{% $sum($states.input.list) %}","lit":"not {% an expression %}"},"End":true}}})",
                         Json{{"n", 21}, {"list", {1, 2, 3}}});
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.output,
            (Json{{"n", 42}, {"name", "B"}, {"sum", 6}, {"lit", "not {% an expression %}"}}));
}

TEST(PassState, JsonataWithoutOutputPassesItsInputOn) {
  auto r = RunDefinition(R"({"StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONata",
      "End":true}}})",
                         Json{{"k", 1}});
  EXPECT_EQ(r.output, (Json{{"k", 1}}));
}

TEST(PassState, JsonataAssignAndOutputBothSeeTheVariablesFromBeforeTheState) {
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"x":1},"Next":"B"},
      "B":{"Type":"Pass","Assign":{"x":"{% $x + 1 %}","old":"{% $x %}"},
        "Output":{"seen":"{% $x %}"},"Next":"C"},
      "C":{"Type":"Pass","Output":{"x":"{% $x %}","old":"{% $old %}"},"End":true}}})",
                         Json::object());
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.output, (Json{{"x", 2}, {"old", 1}}));
  // B's Output saw x = 1, B's exit event lists what it assigned.
  ASSERT_GE(r.events.size(), 5u);
  EXPECT_EQ(r.events[4].DetailsJson()["output"], "{\"seen\":1}");
}

TEST(PassState, JsonataUndefinedResultFailsWithAwsCauseAndEvaluationFailedEvent) {
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"State0","States":{
      "State0":{"Type":"Pass","Output":{"result":"{% $doesNotExist %}"},"End":true}}})",
                         Json::object());
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.error, "States.QueryEvaluationError");
  EXPECT_EQ(r.error.cause,
            "An error occurred while executing the state 'State0' (entered at the event id #2). "
            "The JSONata expression '$doesNotExist' specified for the field 'Output/result' "
            "returned nothing (undefined).");
  EXPECT_THAT(r.types, ElementsAre("ExecutionStarted", "PassStateEntered", "EvaluationFailed",
                                   "ExecutionFailed"));
  Json d = r.events[2].DetailsJson();
  EXPECT_EQ(d["location"], "Output/result");
  EXPECT_EQ(d["state"], "State0");
}

TEST(PassState, JsonataEvaluationErrorNamesTheJsonataCode) {
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
      "A":{"Type":"Pass","Output":"{% $states.input.s + 1 %}","End":true}}})",
                         Json{{"s", "text"}});
  EXPECT_EQ(r.error.error, "States.QueryEvaluationError");
  EXPECT_THAT(r.error.cause,
              ::testing::HasSubstr("The JSONata expression '$states.input.s + 1' specified for "
                                   "the field 'Output' threw an error during evaluation. T2001: "));
}

TEST(PassState, StepFunctionsJsonataFunctionsAreAvailable) {
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
      "A":{"Type":"Pass","Output":{
        "partition":"{% $partition([1,2,3,4,5], 2) %}",
        "range":"{% $range(0, 10, 5) %}",
        "hash":"{% $hash('abc', 'SHA-256') %}",
        "parse":"{% $parse('{\"a\":[1,true]}') %}",
        "uuid":"{% $length($uuid()) %}",
        "seeded":"{% $random(7) = $random(7) %}",
        "unit":"{% $random() >= 0 and $random() < 1 %}"},"End":true}}})",
                         Json::object());
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.error.cause;
  EXPECT_EQ(r.output["partition"], Json::parse("[[1,2],[3,4],[5]]"));
  EXPECT_EQ(r.output["range"], Json::parse("[0,5,10]"));
  EXPECT_EQ(r.output["hash"], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(r.output["parse"], Json::parse(R"({"a":[1,true]})"));
  EXPECT_EQ(r.output["uuid"], 36);
  EXPECT_EQ(r.output["seeded"], true);
  EXPECT_EQ(r.output["unit"], true);
}

}  // namespace
}  // namespace stepd::asl
