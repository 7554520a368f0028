#pragma once
// Test support for the REST API: the in-process stack of aws_testing.h with
// every REST answer checked against the OpenAPI document the API serves.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "api/aws_testing.h"
#include "api/openapi_testing.h"

namespace stepd::api::testing {

class RestTest : public ::testing::Test {
 protected:
  RestTest();

  // Sends a REST request and checks the answer (status, content type, body)
  // against the OpenAPI document: a mismatch fails the test.
  AwsAnswer Rest(std::string method, std::string_view target, const Json& body = Json(),
                 http::Headers headers = {});
  // Sends `raw_body` as is (malformed requests); checks only the answer.
  AwsAnswer RestRaw(std::string method, std::string_view target, std::string raw_body);
  AwsAnswer Get(std::string_view target) { return Rest("GET", target); }
  // GET `target` signed with SigV4 as access key `key_id` (for a stack_
  // with access keys configured), its answer checked as Rest()'s.
  AwsAnswer GetAs(std::string_view target, const std::string& key_id, const std::string& secret);
  AwsAnswer Post(std::string_view target, const Json& body = Json::object()) {
    return Rest("POST", target, body);
  }

  // A problem answer's status and code, comparable as a whole.
  static std::pair<int, std::string> ProblemOf(const AwsAnswer& answer);

  // Polls GET /v1/executions/{id} until its status is not RUNNING.
  Json WaitForEnd(std::string_view id);

  // Checks an answer against the OpenAPI document; returns it.
  AwsAnswer Checked(const std::string& method, std::string_view target, AwsAnswer answer);

  std::unique_ptr<AwsStack> stack_;
  const OpenApiDocument& openapi();
};

}  // namespace stepd::api::testing
