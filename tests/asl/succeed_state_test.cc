#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "asl/asl_run_testing.h"

namespace stepd::asl {
namespace {

using ::testing::ElementsAre;
using testing::RunDefinition;

TEST(SucceedState, EndsWithItsFilteredInput) {
  auto r = RunDefinition(R"({"StartAt":"S","States":{"S":{"Type":"Succeed","InputPath":"$.a",
      "OutputPath":"$.b"}}})",
                         Json{{"a", {{"b", 7}}}});
  EXPECT_EQ(r.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(r.output, 7);
  EXPECT_THAT(r.types, ElementsAre("ExecutionStarted", "SucceedStateEntered", "SucceedStateExited",
                                   "ExecutionSucceeded"));
}

}  // namespace
}  // namespace stepd::asl
