// Rules shared by every Store implementation: page sizes and tokens, the
// event-id continuity check behind CommitTransition's exactly-once promise.

#include "../../src/store/store_checks.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace stepd::store::internal {
namespace {

TEST(PageSize, DefaultsToOneHundredAndRefusesOutOfRange) {
  EXPECT_EQ(PageSize("Op", PageRequest{}).value(), 100);
  EXPECT_EQ(PageSize("Op", PageRequest{1000, ""}).value(), 1000);
  EXPECT_EQ(PageSize("Op", PageRequest{-1, ""}).status(),
            InvalidArgumentError("Op: max_results must be between 1 and 1000, got -1"));
}

TEST(PageToken, RoundTripsAndRefusesForeignOrMalformedTokens) {
  const std::string token = EncodePageToken(TokenKind::kExecutions, 42);
  PagePosition position = DecodePageToken("Op", TokenKind::kExecutions, {0, token}).value();
  EXPECT_TRUE(position.has_position);
  EXPECT_EQ(position.position, 42);
  EXPECT_FALSE(DecodePageToken("Op", TokenKind::kExecutions, {}).value().has_position);
  for (std::string bad : {token.substr(0, 2), std::string("e.-1"), std::string("e.12x"),
                          std::string("e.99999999999999999999"), std::string("x")}) {
    EXPECT_EQ(DecodePageToken("Op", TokenKind::kExecutions, {0, bad}).status(),
              InvalidArgumentError("Op: invalid pagination token '" + bad + "'"));
  }
  EXPECT_FALSE(DecodePageToken("Op", TokenKind::kHistory, {0, token}).ok());
}

TEST(NamePageToken, RoundTripsAnyNameAndRefusesForeignOrMalformedTokens) {
  for (std::string name : {std::string("prod"), std::string("a.b:c d"), std::string("\xff\x01")}) {
    const std::string token = EncodeNamePageToken(TokenKind::kAliases, name);
    EXPECT_EQ(DecodeNamePageToken("Op", TokenKind::kAliases, {0, token}).value(), name);
  }
  EXPECT_EQ(DecodeNamePageToken("Op", TokenKind::kAliases, {}).value(), "");
  const std::string token = EncodeNamePageToken(TokenKind::kAliases, "prod");
  for (std::string bad : {std::string("n."), token.substr(0, token.size() - 1), std::string("n.7x"),
                          std::string("n.7G"), std::string("v.70")}) {
    EXPECT_EQ(DecodeNamePageToken("Op", TokenKind::kAliases, {0, bad}).status(),
              InvalidArgumentError("Op: invalid pagination token '" + bad + "'"));
  }
  EXPECT_FALSE(DecodePageToken("Op", TokenKind::kVersions, {0, token}).ok());
}

TEST(TimeIdPageToken, RoundTripsAnyTimeAndIdAndRefusesForeignOrMalformedTokens) {
  for (const auto& [time_ms, id] : std::vector<std::pair<int64_t, std::string>>{
           {0, "dlv-1"}, {1700000000000, "a.b:c d"}, {-5, "\xff"}, {INT64_MAX, "x"}}) {
    const std::string token = EncodeTimeIdPageToken(TokenKind::kLookerDeliveries, time_ms, id);
    TimeIdPosition got =
        DecodeTimeIdPageToken("Op", TokenKind::kLookerDeliveries, {0, token}).value();
    EXPECT_TRUE(got.has_position);
    EXPECT_EQ(got.time_ms, time_ms);
    EXPECT_EQ(got.id, id);
  }
  EXPECT_FALSE(DecodeTimeIdPageToken("Op", TokenKind::kLookerDeliveries, {}).value().has_position);
  EXPECT_EQ(EncodeTimeIdPageToken(TokenKind::kLookerDeliveries, 12, "ab"), "l.12.6162");
  for (std::string bad :
       {std::string("l."), std::string("l.12"), std::string("l.12."), std::string("l..6162"),
        std::string("l.1x.6162"), std::string("l.12.616"), std::string("l.12.61g2"),
        std::string("l.99999999999999999999.61"), std::string("c.12.6162")}) {
    EXPECT_EQ(DecodeTimeIdPageToken("Op", TokenKind::kLookerDeliveries, {0, bad}).status(),
              InvalidArgumentError("Op: invalid pagination token '" + bad + "'"));
  }
}

TEST(CheckTransitionEvents, AcceptsOnlyTheNextIdAndTellsARetryFromAGap) {
  Transition t;
  t.execution_arn = "arn:e";
  t.events = {HistoryEventRecord{5, 4, "T", 0, "{}"}};
  EXPECT_EQ(CheckTransitionEvents(t, 4), Status::OK());
  EXPECT_EQ(CheckTransitionEvents(t, 5).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(CheckTransitionEvents(t, 9).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(CheckTransitionEvents(t, 3),
            FailedPreconditionError("CommitTransition: execution 'arn:e' continues at event id "
                                    "4, got 5"));
  t.events.clear();
  EXPECT_EQ(CheckTransitionEvents(t, 3), Status::OK());
}

TEST(ValidateTransition, RefusesEventsWithoutType) {
  Transition t;
  t.execution_arn = "arn:e";
  t.events = {HistoryEventRecord{1, 0, "", 0, "{}"}};
  EXPECT_EQ(ValidateTransition(t), InvalidArgumentError("CommitTransition: event 1 has no type"));
}

}  // namespace
}  // namespace stepd::store::internal
