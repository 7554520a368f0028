#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "asl/asl_run_testing.h"

namespace stepd::asl {
namespace {

using testing::RunDefinition;

TEST(ParallelState, ResultIsTheArrayOfBranchOutputs) {
  auto r = RunDefinition(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
      "Parameters":{"v.$":"$.v"},
      "Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
                  {"StartAt":"B","States":{"B":{"Type":"Pass","Result":2,"End":true}}}]}}})",
                         Json{{"v", 1}});
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.output, (Json::array({{{"v", 1}}, 2})));
  EXPECT_EQ(r.types[1], "ParallelStateEntered");
  EXPECT_EQ(r.types[2], "ParallelStateStarted");
  EXPECT_EQ(r.types[r.types.size() - 2], "ParallelStateExited");
}

TEST(ParallelState, AFailingBranchFailsTheState) {
  auto r = RunDefinition(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
      "Branches":[{"StartAt":"A","States":{"A":{"Type":"Fail","Error":"FailureType","Cause":"c"}}},
                  {"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":10,"End":true}}}]}}})",
                         Json::object());
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error, (AslError{"FailureType", "c"}));
  EXPECT_EQ(r.types[r.types.size() - 2], "ParallelStateFailed");
}

TEST(ParallelState, BranchesReadButDoNotLeakVariables) {
  auto r = RunDefinition(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"outer":1},"Next":"P"},
      "P":{"Type":"Parallel","Next":"C",
           "Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Assign":{"inner":2},
               "Parameters":{"o.$":"$outer"},"End":true}}}]},
      "C":{"Type":"Pass","Parameters":{"o.$":"$outer","r.$":"$"},"End":true}}})",
                         Json::object());
  EXPECT_EQ(r.output, (Json{{"o", 1}, {"r", Json::array({{{"o", 1}}})}}));
}

TEST(ParallelState, BranchesReadOuterVariablesButCannotAssignThem) {
  auto r = RunDefinition(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"x":1},"Next":"P"},
      "P":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"R","States":{"R":{"Type":"Pass","Parameters":{"seen.$":"$x"},"Next":"W"},
                                 "W":{"Type":"Pass","Assign":{"x":2},"End":true}}}]}}})",
                         Json::object());
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.error, "States.Runtime");
  EXPECT_THAT(r.error.cause, ::testing::HasSubstr("The variable 'x' belongs to an outer scope"));
  EXPECT_THAT(r.error.cause, ::testing::HasSubstr("executing the state 'W'"));
}

TEST(ParallelState, BranchVariablesStayInsideTheBranch) {
  auto r = RunDefinition(R"({"StartAt":"P","States":{
      "P":{"Type":"Parallel","Next":"After","Branches":[
        {"StartAt":"W","States":{"W":{"Type":"Pass","Assign":{"inner":1},"Next":"R"},
                                 "R":{"Type":"Pass","Parameters":{"v.$":"$inner"},"End":true}}}]},
      "After":{"Type":"Pass","Assign":{"inner":"outer"},"Next":"Read"},
      "Read":{"Type":"Pass","Parameters":{"branch.$":"$[0].v","now.$":"$inner"},"End":true}}})",
                         Json::object());
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.error.cause;
  EXPECT_EQ(r.output, (Json{{"branch", 1}, {"now", "outer"}}));
}

TEST(ParallelState, JsonataArgumentsFeedEveryBranch) {
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Parallel",
      "Arguments":{"x":"{% $states.input.x %}"},
      "Branches":[
        {"StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input.x + 1 %}","End":true}}},
        {"StartAt":"B","States":{"B":{"Type":"Pass","Output":"{% $states.input.x * 10 %}","End":true}}}],
      "Output":"{% $sum($states.result) %}","End":true}}})",
                         Json{{"x", 2}, {"ignored", true}});
  ASSERT_EQ(r.status, ExecutionStatus::kSucceeded) << r.error.cause;
  EXPECT_EQ(r.output, 23);
}

}  // namespace
}  // namespace stepd::asl
