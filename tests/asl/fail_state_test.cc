#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "asl/asl_run_testing.h"

namespace stepd::asl {
namespace {

using testing::RunDefinition;

TEST(FailState, EndsTheExecutionWithErrorAndCause) {
  auto r = RunDefinition(R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}})",
                         Json::object());
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error, (AslError{"E", "C"}));
  ASSERT_EQ(r.types.size(), 3u);
  EXPECT_EQ(r.types[1], "FailStateEntered");
  EXPECT_EQ(r.types[2], "ExecutionFailed");
  EXPECT_EQ(r.events[2].DetailsJson(), (Json{{"error", "E"}, {"cause", "C"}}));
}

TEST(FailState, ReadsErrorPathAndCausePath) {
  auto r = RunDefinition(R"js({"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e",
      "CausePath":"States.Format('n={}', $.n)"}}})js",
                         Json{{"e", "Boom"}, {"n", 3}});
  EXPECT_EQ(r.error, (AslError{"Boom", "n=3"}));
}

TEST(FailState, MissingCausePathIsARuntimeError) {
  auto r = RunDefinition(R"({"StartAt":"fail","States":{"fail":{"Type":"Fail","CausePath":"$.NoSuchCausePath"}}})",
                         Json{{"a", 1}});
  EXPECT_EQ(r.error.error, "States.Runtime");
  EXPECT_EQ(r.error.cause,
            "An error occurred while executing the state 'fail' (entered at the event id #2). The "
            "JSONPath '$.NoSuchCausePath' specified for the field 'CausePath' could not be found in "
            "the input '{\"a\":1}'");
}

TEST(FailState, JsonataErrorAndCauseExpressions) {
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"F","States":{
      "F":{"Type":"Fail","Error":"{% 'E.' & $states.input.code %}","Cause":"literal cause"}}})",
                         Json{{"code", "Bad"}});
  EXPECT_EQ(r.error.error, "E.Bad");
  EXPECT_EQ(r.error.cause, "literal cause");
  auto n = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"F","States":{
      "F":{"Type":"Fail","Cause":"{% $states.input.n %}"}}})",
                         Json{{"n", 1}});
  EXPECT_EQ(n.error.error, "States.QueryEvaluationError");
  EXPECT_THAT(n.error.cause, ::testing::HasSubstr("Expected 'string', but was 'number'"));
}

}  // namespace
}  // namespace stepd::asl
