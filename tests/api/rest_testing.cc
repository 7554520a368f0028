#include "api/rest_testing.h"

namespace stepd::api::testing {

RestTest::RestTest() : stack_(std::make_unique<AwsStack>()) {}

const OpenApiDocument& RestTest::openapi() {
  static const OpenApiDocument* const kDocument = [] {
    StatusOr<Json> parsed = ParseJson(RestApi::OpenApiDocument());
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    StatusOr<OpenApiDocument> doc = OpenApiDocument::Parse(parsed.ok() ? *parsed : Json::object());
    EXPECT_TRUE(doc.ok()) << doc.status();
    return new OpenApiDocument(std::move(doc).value());
  }();
  return *kDocument;
}

AwsAnswer RestTest::Rest(std::string method, std::string_view target, const Json& body,
                         http::Headers headers) {
  const std::string path(target.substr(0, target.find('?')));
  if (!body.is_null()) {
    EXPECT_TRUE(openapi().CheckRequest(method, path, "application/json", body))
        << method << " " << target;
  }
  return Checked(method, target,
                 stack_->Rest(method, target, body.is_null() ? std::string() : body.dump(),
                              std::move(headers)));
}

AwsAnswer RestTest::GetAs(std::string_view target, const std::string& key_id,
                          const std::string& secret) {
  // The headers an AWS request is signed over, on a REST request.
  const http::Request aws = AwsStack::Request("Rest", "");
  http::Request request =
      http::MakeRequest("GET", target, "",
                        {{"Host", std::string(*aws.headers.Get("Host"))},
                         {"X-Amz-Date", std::string(*aws.headers.Get("X-Amz-Date"))},
                         {"X-Amz-Target", "rest"}});
  AwsStack::Sign(&request, key_id, secret);
  return Checked("GET", target, stack_->Send(std::move(request)));
}

AwsAnswer RestTest::RestRaw(std::string method, std::string_view target, std::string raw_body) {
  return Checked(method, target, stack_->Rest(method, target, std::move(raw_body)));
}

AwsAnswer RestTest::Checked(const std::string& method, std::string_view target, AwsAnswer answer) {
  const std::string path(target.substr(0, target.find('?')));
  auto type = answer.headers.Get("Content-Type");
  const std::string_view content_type = type ? *type : std::string_view();
  if (content_type == "application/x-ndjson") {
    // JSON lines: each line against the media type's schema.
    size_t start = 0;
    while (start < answer.raw.size()) {
      const size_t end = answer.raw.find('\n', start);
      StatusOr<Json> line = ParseJson(answer.raw.substr(start, end - start));
      EXPECT_TRUE(line.ok()) << "line at byte " << start << " is not JSON";
      if (line.ok()) {
        EXPECT_TRUE(openapi().CheckAnswer(method, path, answer.status, content_type, &*line))
            << method << " " << target;
      }
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return answer;
  }
  EXPECT_TRUE(openapi().CheckAnswer(method, path, answer.status, content_type,
                                    answer.raw.empty() ? nullptr : &answer.body))
      << method << " " << target << " -> " << answer.status << " " << answer.raw;
  return answer;
}

std::pair<int, std::string> RestTest::ProblemOf(const AwsAnswer& answer) {
  return {answer.status, answer.body.is_object() ? answer.body.value("code", "") : ""};
}

Json RestTest::WaitForEnd(std::string_view id) {
  Json last;
  WaitUntil([&] {
    last = stack_->Rest("GET", "/v1/executions/" + std::string(id)).body;
    return last.is_object() && last.value("status", "RUNNING") != "RUNNING";
  });
  return last;
}

}  // namespace stepd::api::testing
