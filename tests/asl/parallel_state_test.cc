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

}  // namespace
}  // namespace stepd::asl
