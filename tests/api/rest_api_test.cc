// What every REST route shares: the OpenAPI document covers each route,
// errors are problem details, credentials and readiness are checked first.

#include <set>

#include "api/rest_testing.h"

namespace stepd::api::testing {
namespace {

class RestApiTest : public RestTest {};

TEST_F(RestApiTest, TheOpenApiDocumentDeclaresEveryRouteAndNothingElse) {
  std::set<std::pair<std::string, std::string>> routes;
  for (const http::Router::Route& r : stack_->router().routes()) {
    if (r.path_template.rfind("/v1/", 0) == 0) routes.insert({r.method, r.path_template});
  }
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [method, path] : openapi().Operations()) {
    // /v1/artifacts belongs to the Looker hub, which this stack does not run.
    if (path.rfind("/v1/artifacts/", 0) == 0) continue;
    documented.insert({method, path});
  }
  EXPECT_EQ(routes, documented);
  EXPECT_GE(routes.size(), 32u);
}

TEST_F(RestApiTest, TheDocumentIsServedAsJson) {
  AwsAnswer doc = Get("/v1/openapi.json");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body["openapi"], "3.0.3");
  EXPECT_TRUE(doc.body["paths"].contains("/v1/executions/{id}/restart"));
}

TEST_F(RestApiTest, AnUnknownPathOrMethodIsNotAServerError) {
  EXPECT_EQ(stack_->Rest("GET", "/v1/nothing-here").status, 404);
  AwsAnswer method = stack_->Rest("PATCH", "/v1/executions");
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(method.headers.Get("Allow").value_or(""), "GET");
}

TEST(RestApiAuth, WithoutACredentialEveryRouteIs401ProblemWithBearerChallenge) {
  StackOptions options;
  options.auth.access_keys.push_back(
      {"AKIDEXAMPLE000001", "secret-secret-secret", "ops", Role::kOperator});
  AwsStack stack(options);
  for (const char* target :
       {"/v1/executions", "/v1/state-machines", "/v1/audit", "/v1/openapi.json"}) {
    AwsAnswer answer = stack.Rest("GET", target);
    EXPECT_EQ(answer.status, 401) << target;
    EXPECT_EQ(answer.headers.Get("WWW-Authenticate").value_or(""), "Bearer") << target;
    EXPECT_EQ(answer.headers.Get("Content-Type").value_or(""), "application/problem+json");
    EXPECT_EQ(answer.body.value("type", ""), "urn:stepd:problem:unauthorized");
  }
}

TEST(RestApiLifecycle, BeforeAttachTheApiAnswers503WithRetryAfter) {
  StackOptions options;
  options.attach = false;
  AwsStack stack(options);
  AwsAnswer answer = stack.Rest("GET", "/v1/executions");
  EXPECT_EQ(answer.status, 503);
  EXPECT_EQ(answer.headers.Get("Retry-After").value_or(""), "1");
  EXPECT_EQ(answer.body.value("code", ""), "ServiceUnavailable");
  stack.Attach();
  EXPECT_EQ(stack.Rest("GET", "/v1/executions").status, 200);
}

}  // namespace
}  // namespace stepd::api::testing
