#include <gtest/gtest.h>

#include "stepd/asl/context_object.h"

namespace stepd::asl {
namespace {

TEST(ContextObject, FormatsTimesWithMilliseconds) {
  EXPECT_EQ(FormatIsoTimestamp(TimePoint(std::chrono::milliseconds(1700000000123))),
            "2023-11-14T22:13:20.123Z");
}

TEST(ContextObject, ParsesOffsetsAndFractions) {
  auto t = ParseIsoTimestamp("2016-03-14T01:59:00.5+01:00");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatIsoTimestamp(*t), "2016-03-14T00:59:00.500Z");
  EXPECT_FALSE(ParseIsoTimestamp("2016-12-05T21:29:29").has_value());
  EXPECT_FALSE(ParseIsoTimestamp("2016-13-05T21:29:29Z").has_value());
  EXPECT_FALSE(ParseIsoTimestamp("2016-12-05 21:29:29Z").has_value());
  EXPECT_FALSE(ParseIsoTimestamp("2015-02-29T00:00:00Z").has_value());
  EXPECT_TRUE(ParseIsoTimestamp("2016-02-29T00:00:00Z").has_value());
}

TEST(ContextObject, AddsTaskTokenAndMapItemOnlyWhenGiven) {
  ExecutionInfo e;
  e.name = "n";
  StateContextInfo s;
  s.state_name = "S";
  Json c = BuildContextObject(e, Json::object(), s);
  EXPECT_FALSE(c.contains("Task"));
  EXPECT_FALSE(c.contains("Map"));
  const Json idx = 3, val = "v";
  s.task_token = "tok";
  s.map_item_index = &idx;
  s.map_item_value = &val;
  s.retry_count = 1;
  c = BuildContextObject(e, Json::object(), s);
  EXPECT_EQ(c["Task"], (Json{{"Token", "tok"}}));
  EXPECT_EQ(c["Map"], (Json{{"Item", {{"Index", 3}, {"Value", "v"}}}}));
  EXPECT_EQ(c["State"]["RetryCount"], 1);
}

}  // namespace
}  // namespace stepd::asl
