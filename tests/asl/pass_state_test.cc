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

}  // namespace
}  // namespace stepd::asl
