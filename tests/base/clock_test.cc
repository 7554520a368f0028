#include "stepd/base/clock.h"

#include <gtest/gtest.h>

namespace stepd {
namespace {

using std::chrono::seconds;

TEST(FakeClock, MovesOnlyWhenAdvanced) {
  FakeClock clock(TimePoint{seconds(100)});
  EXPECT_EQ(clock.Now(), TimePoint{seconds(100)});
  clock.Advance(seconds(5));
  EXPECT_EQ(clock.Now(), TimePoint{seconds(105)});
  clock.Set(TimePoint{seconds(1)});
  EXPECT_EQ(clock.Now(), TimePoint{seconds(1)});
}

TEST(SystemClock, DefaultIsSharedAndNearRealTime) {
  EXPECT_EQ(SystemClock::Default(), SystemClock::Default());
  auto delta = SystemClock::Default()->Now() - std::chrono::system_clock::now();
  EXPECT_LT(std::chrono::abs(delta), seconds(1));
}

}  // namespace
}  // namespace stepd
