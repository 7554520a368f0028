#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "asl/asl_run_testing.h"

namespace stepd::asl {
namespace {

using testing::RunDefinition;

constexpr std::string_view kChoice = R"({"StartAt":"C","States":{
  "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"Big"}],
       "Default":"Small"},
  "Big":{"Type":"Pass","Result":"big","End":true},
  "Small":{"Type":"Pass","Result":"small","End":true}}})";

TEST(ChoiceState, TakesTheFirstMatchingRule) {
  auto r = RunDefinition(kChoice, Json{{"n", 5}});
  EXPECT_EQ(r.output, "big");
  EXPECT_EQ(r.types[1], "ChoiceStateEntered");
  EXPECT_EQ(r.types[2], "ChoiceStateExited");
}

TEST(ChoiceState, FallsToDefaultWhenNoRuleMatches) {
  auto r = RunDefinition(kChoice, Json{{"n", 0}});
  EXPECT_EQ(r.output, "small");
}

TEST(ChoiceState, FailsWithNoChoiceMatchedWithoutDefault) {
  auto r = RunDefinition(R"({"StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"E"}]},
      "E":{"Type":"Succeed"}}})",
                         Json{{"n", 2}});
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.error, "States.NoChoiceMatched");
}

TEST(ChoiceState, MatchedRuleAssignsItsVariables) {
  auto r = RunDefinition(R"({"StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"E",
           "Assign":{"picked.$":"$.n"}}],"Default":"E"},
      "E":{"Type":"Pass","Parameters":{"p.$":"$picked"},"End":true}}})",
                         Json{{"n", 1}});
  EXPECT_EQ(r.output, (Json{{"p", 1}}));
}

TEST(ChoiceState, OutputIsTheInputAfterOutputPath) {
  auto r = RunDefinition(R"({"StartAt":"C","States":{
      "C":{"Type":"Choice","OutputPath":"$.a","Choices":[{"Variable":"$.a","IsPresent":true,"Next":"E"}]},
      "E":{"Type":"Succeed"}}})",
                         Json{{"a", {{"b", 1}}}});
  EXPECT_EQ(r.output, (Json{{"b", 1}}));
}

TEST(ChoiceState, JsonataFirstTrueConditionWinsWithItsOutputAndAssign) {
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[
        {"Condition":"{% $states.input.n > 10 %}","Next":"Big"},
        {"Condition":"{% $states.input.n > 1 %}","Next":"Mid","Assign":{"why":"mid"},
         "Output":{"n":"{% $states.input.n %}"}}],
        "Default":"Small","Output":"default"},
      "Big":{"Type":"Fail","Error":"Big"},
      "Mid":{"Type":"Pass","Output":{"in":"{% $states.input %}","why":"{% $why %}"},"End":true},
      "Small":{"Type":"Pass","End":true}}})",
                         Json{{"n", 5}, {"other", true}});
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.error.cause;
  EXPECT_EQ(r.output, (Json{{"in", {{"n", 5}}}, {"why", "mid"}}));
  auto d = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Condition":false,"Next":"E"}],"Default":"E",
        "Output":"{% 'default for ' & $states.input.who %}"},
      "E":{"Type":"Succeed"}}})",
                         Json{{"who", "me"}});
  EXPECT_EQ(d.output, "default for me");
}

TEST(ChoiceState, JsonataConditionMustBeBoolean) {
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n %}","Next":"E"}],
        "Default":"E"},"E":{"Type":"Succeed"}}})",
                         Json{{"n", 5}});
  EXPECT_EQ(r.error.error, "States.QueryEvaluationError");
  EXPECT_THAT(r.error.cause, ::testing::HasSubstr("Expected 'boolean', but was 'number' for value: 5"));
}

}  // namespace
}  // namespace stepd::asl
