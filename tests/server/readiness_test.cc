#include "stepd/server/readiness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace stepd::server {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(Readiness, IsReadyOnlyOnceEveryConditionIsDone) {
  Readiness readiness({"database", "migrations", "recovery"});
  EXPECT_FALSE(readiness.ready());
  EXPECT_THAT(readiness.Pending(), ElementsAre("database", "migrations", "recovery"));
  EXPECT_TRUE(readiness.MarkDone("migrations"));
  EXPECT_TRUE(readiness.MarkDone("database"));
  EXPECT_FALSE(readiness.ready());
  EXPECT_THAT(readiness.Pending(), ElementsAre("recovery"));
  EXPECT_TRUE(readiness.MarkDone("recovery"));
  EXPECT_TRUE(readiness.ready());
  EXPECT_THAT(readiness.Pending(), IsEmpty());
}

TEST(Readiness, IgnoresUnknownConditions) {
  Readiness readiness({"database"});
  EXPECT_FALSE(readiness.MarkDone("cache"));
  EXPECT_FALSE(readiness.ready());
}

TEST(Readiness, IsNotReadyOnceShuttingDown) {
  Readiness readiness({"database"});
  readiness.MarkDone("database");
  readiness.MarkShuttingDown();
  EXPECT_FALSE(readiness.ready());
  EXPECT_TRUE(readiness.shutting_down());
}

}  // namespace
}  // namespace stepd::server
