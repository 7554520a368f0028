#include "stepd/http/message.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace stepd::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(Headers, LooksUpNamesCaseInsensitively) {
  Headers headers{{"Content-Type", "text/plain"},
                  {"x-amz-target", "AWSStepFunctions.StartExecution"}};
  EXPECT_EQ(headers.Get("content-type"), "text/plain");
  EXPECT_EQ(headers.Get("X-Amz-Target"), "AWSStepFunctions.StartExecution");
  EXPECT_FALSE(headers.Get("Authorization").has_value());
}

TEST(Headers, SetReplacesEveryFieldOfTheName) {
  Headers headers;
  headers.Add("Vary", "a");
  headers.Add("vary", "b");
  EXPECT_THAT(headers.GetAll("VARY"), ElementsAre("a", "b"));
  headers.Set("Vary", "c");
  EXPECT_THAT(headers.GetAll("vary"), ElementsAre("c"));
  headers.Remove("VARY");
  EXPECT_TRUE(headers.empty());
}

TEST(AcceptsMediaType, NamesTheTypeWithAQualityAboveZeroInAnyAcceptField) {
  auto accepts = [](std::vector<std::string> fields, std::string_view type) {
    Headers headers;
    for (std::string& f : fields) headers.Add("Accept", std::move(f));
    return AcceptsMediaType(headers, type);
  };
  const std::string chromium =
      "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";
  EXPECT_TRUE(accepts({chromium}, "text/html"));
  EXPECT_TRUE(accepts({"application/json", " TEXT/HTML ; q=0.5"}, "text/html"));
  EXPECT_TRUE(accepts({"application/x-ndjson"}, "application/x-ndjson"));
  EXPECT_FALSE(accepts({}, "text/html"));
  EXPECT_FALSE(accepts({"*/*"}, "text/html"));
  EXPECT_FALSE(accepts({"text/*"}, "text/html"));
  EXPECT_FALSE(accepts({"text/htmlx, xtext/html"}, "text/html"));
  EXPECT_FALSE(accepts({"text/html;q=0"}, "text/html"));
  EXPECT_FALSE(accepts({"text/html; Q=0.000"}, "text/html"));
  EXPECT_TRUE(accepts({"text/html;q=0, text/html;q=0.1"}, "text/html"));
  EXPECT_FALSE(accepts({"application/json;q=0.9, application/x-ndjson;q=0"}, "application/x-ndjson"));
}

TEST(ParseTarget, SplitsPathAndDecodesQueryInOrder) {
  Request request;
  ASSERT_TRUE(ParseTarget("/v1/executions/arn%3Ax?maxResults=10&name=a%20b&name=c", &request).ok());
  EXPECT_EQ(request.path, "/v1/executions/arn%3Ax");
  EXPECT_THAT(request.query,
              ElementsAre(Pair("maxResults", "10"), Pair("name", "a b"), Pair("name", "c")));
  EXPECT_EQ(request.QueryParam("name"), "a b");
  EXPECT_FALSE(request.QueryParam("missing").has_value());
}

TEST(ParseTarget, RejectsTargetsThatAreNotOriginForm) {
  Request request;
  EXPECT_EQ(ParseTarget("no-slash", &request), InvalidArgumentError("malformed request target"));
  EXPECT_EQ(ParseTarget("/a b", &request), InvalidArgumentError("malformed request target"));
  EXPECT_EQ(ParseTarget("/a%zz", &request), InvalidArgumentError("malformed request target"));
}

TEST(MakeRequest, FillsPathQueryBodyAndRequestId) {
  Request request = MakeRequest("POST", "/x?y=1", "body", {{"A", "b"}});
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/x");
  EXPECT_EQ(request.QueryParam("y"), "1");
  EXPECT_EQ(request.body, "body");
  EXPECT_EQ(request.body_size, 4u);
  EXPECT_EQ(request.headers.Get("a"), "b");
  EXPECT_TRUE(IsValidRequestId(request.request_id));
}

TEST(RequestId, AcceptsPrintableAsciiUpTo128Characters) {
  EXPECT_TRUE(IsValidRequestId("abc-123_XYZ.{}"));
  EXPECT_TRUE(IsValidRequestId(std::string(128, 'a')));
  EXPECT_FALSE(IsValidRequestId(std::string(129, 'a')));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId("has space"));
  EXPECT_FALSE(IsValidRequestId("tab\there"));
  EXPECT_FALSE(IsValidRequestId("caf\xc3\xa9"));
}

TEST(RequestId, GeneratesDistinctHexIds) {
  std::string a = NewRequestId(), b = NewRequestId();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

TEST(Response, JsonAndTextSetContentType) {
  EXPECT_EQ(Response::Json(201, "{}").headers.Get("Content-Type"), "application/json");
  Response text = Response::Text(200, "hi");
  EXPECT_EQ(text.headers.Get("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(text.body, "hi");
  EXPECT_EQ(ReasonPhrase(413), "Content Too Large");
  EXPECT_EQ(ReasonPhrase(299), "");
}

}  // namespace
}  // namespace stepd::http
