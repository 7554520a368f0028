#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "asl/asl_run_testing.h"

namespace stepd::asl {
namespace {

using testing::MustCompile;
using testing::RunDefinition;
using testing::TestInfo;
using testing::TestStart;

TEST(WaitState, ParksUntilItsTimeInsteadOfSleeping) {
  auto m = MustCompile(R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}})");
  auto e = Execution::Start(m, TestInfo(), Json::object(), TestStart());
  EXPECT_EQ(e->Step(TestStart()).kind, StepResult::Kind::kProgress);  // enters and parks
  StepResult blocked = e->Step(TestStart());
  EXPECT_EQ(blocked.kind, StepResult::Kind::kBlocked);
  ASSERT_TRUE(blocked.wake_at.has_value());
  EXPECT_EQ(*blocked.wake_at, TestStart() + std::chrono::seconds(30));
  EXPECT_EQ(e->Step(TestStart() + std::chrono::seconds(29)).kind, StepResult::Kind::kBlocked);
  EXPECT_EQ(e->Step(TestStart() + std::chrono::seconds(30)).kind, StepResult::Kind::kFinished);
  EXPECT_EQ(e->status(), ExecutionStatus::kSucceeded);
}

TEST(WaitState, FakeClockRunFinishesAtOnceWithTheVirtualDelay) {
  auto r = RunDefinition(R"({"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}})",
                         Json{{"s", 3600}});
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.elapsed, std::chrono::seconds(3600));
  EXPECT_EQ(r.types[1], "WaitStateEntered");
  EXPECT_EQ(r.types[2], "WaitStateExited");
}

TEST(WaitState, SecondsPathMustBeALong) {
  auto r = RunDefinition(R"({"StartAt":"WaitState","States":{"WaitState":{"Type":"Wait",
      "SecondsPath":"$.input.waitSeconds","End":true}}})",
                         Json{{"input", {{"waitSeconds", 1.5}}}});
  EXPECT_EQ(r.status, ExecutionStatus::kFailed);
  EXPECT_EQ(r.error.cause,
            "An error occurred while executing the state 'WaitState' (entered at the event id #2). "
            "The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == 1.5");
}

TEST(WaitState, TimestampWithoutOffsetFailsAtRunTime) {
  auto r = RunDefinition(R"({"StartAt":"WaitState","States":{"WaitState":{"Type":"Wait",
      "Timestamp":"2016-12-05T21:29:29","End":true}}})",
                         Json::object());
  EXPECT_EQ(r.error.cause,
            "An error occurred while executing the state 'WaitState' (entered at the event id #2). "
            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format "
            "string: 2016-12-05T21:29:29");
}

TEST(WaitState, TimestampInThePastDoesNotWait) {
  auto r = RunDefinition(R"({"StartAt":"W","States":{"W":{"Type":"Wait",
      "Timestamp":"2016-12-05T21:29:29Z","End":true}}})",
                         Json{{"a", 1}});
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.elapsed, Duration::zero());
  EXPECT_EQ(r.output, (Json{{"a", 1}}));
}

TEST(WaitState, JsonataSecondsAndTimestampExpressions) {
  auto r = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"W","States":{
      "W":{"Type":"Wait","Seconds":"{% $states.input.s * 2 %}","End":true}}})",
                         Json{{"s", 5}});
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.elapsed, std::chrono::seconds(10));
  EXPECT_EQ(r.output, (Json{{"s", 5}}));
  auto bad = RunDefinition(R"({"QueryLanguage":"JSONata","StartAt":"W","States":{
      "W":{"Type":"Wait","Timestamp":"{% $states.input.t %}","End":true}}})",
                           Json{{"t", "2016-13-05T21:29:29Z"}});
  EXPECT_EQ(bad.error.error, "States.QueryEvaluationError");
  EXPECT_EQ(bad.error.cause,
            "An error occurred while executing the state 'W' (entered at the event id #2). The "
            "Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format "
            "string: 2016-13-05T21:29:29Z");
}

}  // namespace
}  // namespace stepd::asl
