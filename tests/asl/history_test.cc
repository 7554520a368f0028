#include <gtest/gtest.h>

#include "stepd/asl/history.h"

namespace stepd::asl {
namespace {

TEST(HistoryEvent, RendersAwsShapeWithPayloadsAsJsonText) {
  HistoryEvent e;
  e.id = 2;
  e.previous_event_id = 1;
  e.timestamp = TimePoint(std::chrono::milliseconds(1500));
  e.type = "PassStateEntered";
  e.details_key = "stateEnteredEventDetails";
  e.details = {{"name", "A"}, {"input", {{"a", 1}}}, {"inputDetails", PayloadDetails()}};
  EXPECT_EQ(e.ToAwsJson(),
            Json::parse(R"({"timestamp":1.5,"type":"PassStateEntered","id":2,"previousEventId":1,
              "stateEnteredEventDetails":{"name":"A","input":"{\"a\":1}","inputDetails":{"truncated":false}}})"));
}

TEST(HistoryEvent, StringPayloadIsQuoted) {
  HistoryEvent e;
  e.type = "ExecutionSucceeded";
  e.details_key = "executionSucceededEventDetails";
  e.details = {{"output", "hi"}};
  EXPECT_EQ(e.ToAwsJson()["executionSucceededEventDetails"]["output"], "\"hi\"");
}

TEST(HistoryEvent, NoDetailsKeyMeansNoDetails) {
  HistoryEvent e;
  e.type = "MapStateSucceeded";
  EXPECT_EQ(e.ToAwsJson().size(), 4u);
}

}  // namespace
}  // namespace stepd::asl
