#include "stepd/asl/history.h"

#include <gtest/gtest.h>

namespace stepd::asl {
namespace {

TEST(HistoryEvent, RendersAwsShapeWithPayloadsAsJsonText) {
  HistoryEvent e;
  e.id = 2;
  e.previous_event_id = 1;
  e.timestamp = TimePoint(std::chrono::milliseconds(1500));
  e.type = "PassStateEntered";
  e.details_key = "stateEnteredEventDetails";
  e.details =
      EventDetails().String("name", "A").Payload("input", Json{{"a", 1}}, "inputDetails").Take();
  EXPECT_EQ(e.ToAwsJson(),
            Json::parse(R"({"timestamp":1.5,"type":"PassStateEntered","id":2,"previousEventId":1,
              "stateEnteredEventDetails":{"name":"A","input":"{\"a\":1}","inputDetails":{"truncated":false}}})"));
  std::string text;
  e.AppendAwsJson(&text);
  EXPECT_EQ(
      text,
      R"({"timestamp":1.5,"type":"PassStateEntered","id":2,"previousEventId":1,)"
      R"("stateEnteredEventDetails":{"name":"A","input":"{\"a\":1}","inputDetails":{"truncated":false}}})");
}

TEST(HistoryEvent, StringPayloadIsQuoted) {
  HistoryEvent e;
  e.type = "ExecutionSucceeded";
  e.details_key = "executionSucceededEventDetails";
  e.details = EventDetails().Payload("output", "hi").Take();
  EXPECT_EQ(e.ToAwsJson()["executionSucceededEventDetails"]["output"], "\"hi\"");
}

TEST(HistoryEvent, NoDetailsKeyMeansNoDetails) {
  HistoryEvent e;
  e.type = "MapStateSucceeded";
  EXPECT_EQ(e.ToAwsJson().size(), 4u);
  EXPECT_TRUE(e.DetailsJson().is_null());
}

TEST(EventDetails, PayloadTextRoundTripsQuotesBackslashesAndControlCharacters) {
  const Json payload = {{"q", "say \"hi\"\\ \n\t\x01 ü"}, {"n", 1.25}, {"a", {1, nullptr, true}}};
  Json d = Json::parse(EventDetails().Payload("input", payload).Take());
  EXPECT_EQ(Json::parse(d["input"].get<std::string>()), payload);
}

TEST(EventDetails, StringsAreEscaped) {
  Json d = Json::parse(EventDetails()
                           .String("cause", "line1\nline2 \"q\" \\ \x1f")
                           .Int("n", -3)
                           .Bool("b", true)
                           .Take());
  EXPECT_EQ(d, (Json{{"cause", "line1\nline2 \"q\" \\ \x1f"}, {"n", -3}, {"b", true}}));
}

TEST(EventDetails, InvalidUtf8InAPayloadIsReplacedNotThrown) {
  Json bad = std::string("\xff\xfe ok");
  Json d = Json::parse(EventDetails().Payload("output", bad).Take());
  EXPECT_NE(d["output"].get<std::string>().find("ok"), std::string::npos);
}

TEST(EventDetails, EmptyBuilderIsAnEmptyObject) { EXPECT_EQ(EventDetails().Take(), "{}"); }

}  // namespace
}  // namespace stepd::asl
