#include "stepd/http/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "stepd/http/testing.h"

namespace stepd::http {
namespace {

using testing::Dispatch;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

Handler Echo(std::string name) {
  return [name](const Request& request, Responder responder) {
    std::string body = name;
    for (const auto& [k, v] : request.path_params) body += " " + k + "=" + v;
    responder.Send(Response::Text(200, body));
  };
}

TEST(Router, MatchesTemplateAndDecodesPathParams) {
  Router router;
  router.Add("GET", "/v1/executions/{arn}", Echo("describe"));
  router.Add("GET", "/looker/actions/{name}/form", Echo("form"));
  auto r = Dispatch(router, MakeRequest("GET", "/v1/executions/arn%3Aaws%3Astates%3Ax%2Fy"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "describe arn=arn:aws:states:x/y");
  r = Dispatch(router, MakeRequest("GET", "/looker/actions/my%20action/form?x=1"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "form name=my action");
}

TEST(Router, UnknownPathIs404) {
  Router router;
  router.Add("GET", "/v1/executions/{arn}", Echo("describe"));
  for (const char* target : {"/v1/executions", "/v1/executions/", "/v1/executions/a/b", "/nope"}) {
    auto r = Dispatch(router, MakeRequest("GET", target));
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_THAT(r.body, HasSubstr("no route for")) << target;
    EXPECT_EQ(r.headers.Get("Content-Type"), "application/json");
  }
}

TEST(Router, KnownPathWithWrongMethodIs405WithAllow) {
  Router router;
  router.Add("GET", "/v1/state-machines", Echo("list"));
  router.Add("POST", "/v1/state-machines", Echo("create"));
  auto r = Dispatch(router, MakeRequest("DELETE", "/v1/state-machines"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.Get("Allow"), "GET, POST");
  EXPECT_EQ(r.body, R"({"message":"method DELETE not allowed"})");
}

TEST(Router, PredicateOnHeadersSelectsAmongRoutesOnOnePath) {
  Router router;
  router.Add("POST", "/", Echo("sfn"),
             {.predicate = HeaderHasPrefix("X-Amz-Target", "AWSStepFunctions.")});
  router.Add("POST", "/", Echo("events"),
             {.predicate = HeaderHasPrefix("X-Amz-Target", "AWSEvents.")});
  auto r = Dispatch(router, MakeRequest("POST", "/", "{}",
                                        {{"x-amz-target", "AWSStepFunctions.StartExecution"}}));
  EXPECT_EQ(r.body, "sfn");
  r = Dispatch(router,
               MakeRequest("POST", "/", "{}", {{"X-Amz-Target", "AWSEvents.CreateConnection"}}));
  EXPECT_EQ(r.body, "events");
  r = Dispatch(router, MakeRequest("POST", "/", "{}", {{"X-Amz-Target", "Other.Thing"}}));
  EXPECT_EQ(r.status, 404);
  r = Dispatch(router, MakeRequest("POST", "/", "{}"));
  EXPECT_EQ(r.status, 404);
}

TEST(Router, RestParameterTakesTheRemainingSegments) {
  Router router;
  router.Add("GET", "/console/{file...}", Echo("console"));
  auto r = Dispatch(router, MakeRequest("GET", "/console/assets/app.js"));
  EXPECT_EQ(r.body, "console file=assets/app.js");
  EXPECT_EQ(Dispatch(router, MakeRequest("GET", "/console/")).status, 404);
  EXPECT_EQ(Dispatch(router, MakeRequest("GET", "/console")).status, 404);
}

TEST(Router, FirstAddedRouteWins) {
  Router router;
  router.Add("GET", "/v1/executions/list", Echo("literal"));
  router.Add("GET", "/v1/executions/{arn}", Echo("param"));
  EXPECT_EQ(Dispatch(router, MakeRequest("GET", "/v1/executions/list")).body, "literal");
  EXPECT_EQ(Dispatch(router, MakeRequest("GET", "/v1/executions/other")).body, "param arn=other");
}

TEST(Router, FindReportsRouteOptions) {
  Router router;
  router.Add(
      "PUT", "/upload", Echo("u"),
      {.body_limit_bytes = 10, .body_to_file = true, .read_timeout = std::chrono::minutes(10)});
  router.Add("GET", "/plain", Echo("p"));
  Router::Match match = router.Find(MakeRequest("PUT", "/upload"));
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.status, 200);
  EXPECT_EQ(match.route->options.body_limit_bytes, 10u);
  EXPECT_TRUE(match.route->options.body_to_file);
  EXPECT_EQ(match.route->options.read_timeout, std::chrono::minutes(10));
  match = router.Find(MakeRequest("GET", "/plain"));
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->options.read_timeout, std::chrono::milliseconds(0));  // the server's
}

TEST(Router, DeferredAnswerFromAnotherThreadIsCaptured) {
  Router router;
  std::thread worker;
  router.Add("GET", "/later", [&worker](const Request&, Responder responder) {
    worker = std::thread([responder] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      responder.Send(Response::Text(202, "later"));
    });
  });
  auto r = Dispatch(router, MakeRequest("GET", "/later"));
  worker.join();
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "later");
}

TEST(Router, DroppedResponderAnswers500) {
  Router router;
  router.Add("GET", "/forgot", [](const Request&, Responder) {});
  auto r = Dispatch(router, MakeRequest("GET", "/forgot"));
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(r.abandoned);
}

TEST(Router, HandlerExceptionAnswers500) {
  Router router;
  router.Add("GET", "/throws", [](const Request&, Responder) { throw std::runtime_error("boom"); });
  auto r = Dispatch(router, MakeRequest("GET", "/throws"));
  EXPECT_EQ(r.status, 500);
  EXPECT_FALSE(r.abandoned);
  EXPECT_EQ(r.body, R"({"message":"internal error"})");
}

TEST(Router, OnlyTheFirstAnswerCounts) {
  Router router;
  bool second_accepted = true;
  router.Add("GET", "/twice", [&](const Request&, Responder responder) {
    EXPECT_TRUE(responder.Send(Response::Text(200, "one")));
    second_accepted = responder.Send(Response::Text(500, "two"));
    EXPECT_FALSE(responder.StartStream(200).valid());
  });
  auto r = Dispatch(router, MakeRequest("GET", "/twice"));
  EXPECT_EQ(r.body, "one");
  EXPECT_FALSE(second_accepted);
}

TEST(Router, StreamedAnswerIsCapturedChunkByChunk) {
  Router router;
  router.Add("GET", "/stream", [](const Request&, Responder responder) {
    Stream stream = responder.StartStream(200, {{"Content-Type", "text/plain"}});
    stream.Write("a");
    stream.Write("");
    stream.Write("bc");
    stream.Finish();
    EXPECT_FALSE(stream.Write("late"));
  });
  auto r = Dispatch(router, MakeRequest("GET", "/stream"));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.streamed);
  EXPECT_TRUE(r.stream_finished);
  EXPECT_THAT(r.chunks, ElementsAre("a", "bc"));
  EXPECT_EQ(r.body, "abc");
}

TEST(Router, QueryAndPathParamsReachTheHandler) {
  Router router;
  router.Add(
      "GET", "/v1/executions/{arn}/history", [](const Request& request, Responder responder) {
        responder.Send(
            Response::Text(200, std::string(request.PathParam("arn")) + "|" +
                                    std::string(request.QueryParam("reverseOrder").value_or("-"))));
      });
  EXPECT_EQ(
      Dispatch(router, MakeRequest("GET", "/v1/executions/e1/history?reverseOrder=true")).body,
      "e1|true");
}

}  // namespace
}  // namespace stepd::http
