#include <gtest/gtest.h>

#include "stepd/asl/task_invoker.h"

namespace stepd::asl {
namespace {

const Json kMocks = Json::parse(R"({
  "StateMachines":{"sm":{"TestCases":{"happy":{"T":"R"}}}},
  "MockedResponses":{"R":{"0":{"Throw":{"Error":"E","Cause":"C"}},"1-2":{"Return":{"ok":true}}}}})");

AslResult<Json> Call(TaskInvoker& inv, const std::string& state) {
  std::optional<AslResult<Json>> out;
  TaskRequest req;
  req.state_name = state;
  req.resource = "arn:aws:states:::lambda:invoke";
  inv.Invoke(req, [&](AslResult<Json> r) { out = std::move(r); });
  return std::move(*out);
}

TEST(MockTaskInvoker, AnswersByInvocationRange) {
  auto inv = MockTaskInvoker::Create(kMocks, "sm", "happy");
  ASSERT_TRUE(inv.ok()) << inv.status().message();
  auto r0 = Call(*inv.value(), "T");
  ASSERT_FALSE(r0.ok());
  EXPECT_EQ(r0.error(), (AslError{"E", "C"}));
  EXPECT_EQ(Call(*inv.value(), "T").value(), (Json{{"ok", true}}));
  EXPECT_EQ(Call(*inv.value(), "T").value(), (Json{{"ok", true}}));
  EXPECT_EQ(Call(*inv.value(), "T").value(), (Json{{"ok", true}}));  // last entry repeats
}

TEST(MockTaskInvoker, UnmockedStateFailsNamingTheResource) {
  auto inv = MockTaskInvoker::Create(kMocks, "sm", "happy");
  ASSERT_TRUE(inv.ok());
  auto r = Call(*inv.value(), "Other");
  EXPECT_EQ(r.error(), (AslError{"States.TaskFailed",
                                 "No mocked response for state 'Other' (resource "
                                 "arn:aws:states:::lambda:invoke)"}));
}

TEST(MockTaskInvoker, RejectsUnknownTestCase) {
  auto inv = MockTaskInvoker::Create(kMocks, "sm", "nope");
  EXPECT_EQ(inv.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(inv.status().message(), "mock file: no test case \"nope\"");
}

TEST(NoTaskInvoker, FailsEveryTaskWithAClearCause) {
  NoTaskInvoker inv;
  auto r = Call(inv, "T");
  EXPECT_EQ(r.error().error, "States.TaskFailed");
  EXPECT_EQ(r.error().cause,
            "stepd run cannot call 'arn:aws:states:::lambda:invoke' for state 'T': no task "
            "executor offline; give a mock with --mocks");
}

}  // namespace
}  // namespace stepd::asl
