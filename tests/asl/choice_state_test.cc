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

}  // namespace
}  // namespace stepd::asl
