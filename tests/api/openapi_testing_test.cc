// The OpenAPI checker the REST API's tests rely on: what it takes for a
// document, which operation a request maps to, and which answers and
// request bodies it refuses, with the message it gives.

#include "api/openapi_testing.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace stepd::api::testing {
namespace {

using Operations = std::vector<std::pair<std::string, std::string>>;

// Responses, the components they use, and a few templates that compete.
constexpr char kDocument[] = R"json({
  "openapi": "3.0.3",
  "info": {"title": "test", "version": "1"},
  "paths": {
    "/v1/executions": {
      "get": {"responses": {"200": {"description": "", "content": {"application/json":
          {"schema": {"$ref": "#/components/schemas/ExecutionList"}}}}}},
      "post": {
        "requestBody": {"content": {"application/json":
            {"schema": {"$ref": "#/components/schemas/Execution"}}}},
        "responses": {
          "201": {"$ref": "#/components/responses/Execution"},
          "4XX": {"$ref": "#/components/responses/Problem"}}}
    },
    "/v1/executions/{id}": {
      "get": {"responses": {
        "200": {"$ref": "#/components/responses/Execution"},
        "404": {"$ref": "#/components/responses/Problem"}}},
      "post": {"responses": {"200": {"$ref": "#/components/responses/Execution"}}},
      "delete": {"responses": {
        "204": {"description": "gone"},
        "default": {"$ref": "#/components/responses/Problem"}}}
    },
    "/v1/executions/latest": {
      "get": {"responses": {"200": {"$ref": "#/components/responses/Execution"}}}
    },
    "/v1/executions/{id}:stop": {
      "post": {"responses": {"200": {"$ref": "#/components/responses/Execution"}}}
    },
    "/v1/executions:stop": {
      "post": {"responses": {"204": {"description": "stopped"}}}
    },
    "/v1/shapes/{name}": {
      "get": {"responses": {"200": {"description": "", "content": {"application/json":
          {"schema": {"$ref": "#/components/schemas/Shape"}}}}}}
    },
    "/v1/trees/{name}": {
      "get": {"responses": {"200": {"description": "", "content": {"application/json":
          {"schema": {"$ref": "#/components/schemas/Node"}}}}}}
    },
    "/v1/loops": {
      "get": {"responses": {"200": {"description": "", "content": {"application/json":
          {"schema": {"$ref": "#/components/schemas/Loop"}}}}}}
    }
  },
  "components": {
    "responses": {
      "Execution": {"description": "", "content": {"application/json":
          {"schema": {"$ref": "#/components/schemas/Execution"}}}},
      "Problem": {"description": "", "content": {"application/problem+json":
          {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    },
    "schemas": {
      "Execution": {
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "status", "startedAt"],
        "properties": {
          "id": {"type": "string", "readOnly": true, "pattern": "^[a-z0-9-]+$",
                 "minLength": 2, "maxLength": 8},
          "status": {"type": "string", "enum": ["RUNNING", "SUCCEEDED", "FAILED"]},
          "startedAt": {"type": "string", "format": "date-time"},
          "stoppedAt": {"type": "string", "format": "date-time", "nullable": true},
          "attempts": {"type": "integer", "minimum": 0, "maximum": 10},
          "input": {"description": "anything"},
          "links": {"type": "array", "maxItems": 2,
                    "items": {"type": "string", "format": "uri-reference"}}
        }
      },
      "ExecutionList": {
        "type": "object",
        "required": ["items"],
        "properties": {
          "items": {"type": "array", "items": {"$ref": "#/components/schemas/Execution"}},
          "nextToken": {"type": "string"}
        }
      },
      "Problem": {
        "type": "object",
        "required": ["title", "status"],
        "properties": {"title": {"type": "string"}, "status": {"type": "integer"}}
      },
      "Shape": {"oneOf": [{"$ref": "#/components/schemas/Circle"},
                          {"$ref": "#/components/schemas/Square"}]},
      "Circle": {"type": "object", "required": ["radius"],
                 "properties": {"radius": {"type": "number"}}},
      "Square": {"type": "object", "required": ["side"],
                 "properties": {"side": {"type": "number"}}},
      "Node": {
        "type": "object",
        "required": ["name"],
        "properties": {
          "name": {"type": "string"},
          "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}
        }
      },
      "Loop": {"allOf": [{"$ref": "#/components/schemas/Loop"}]}
    }
  }
})json";

constexpr char kExecution[] =
    R"({"id": "ex-1", "status": "RUNNING", "startedAt": "2026-03-01T12:00:30Z"})";

Json JsonOf(std::string_view text) {
  StatusOr<Json> json = ParseJson(text);
  EXPECT_TRUE(json.ok()) << json.status();
  return json.ok() ? *json : Json();
}

StatusOr<OpenApiDocument> ParseText(std::string_view text) {
  return OpenApiDocument::Parse(JsonOf(text));
}

const OpenApiDocument& Doc() {
  static const OpenApiDocument doc = [] {
    StatusOr<OpenApiDocument> parsed = ParseText(kDocument);
    if (!parsed.ok()) {
      ADD_FAILURE() << parsed.status();
      std::abort();
    }
    return *parsed;
  }();
  return doc;
}

// The answer check for a JSON body given as text.
::testing::AssertionResult Answer(std::string_view method, std::string_view path, int status,
                                  std::string_view body,
                                  std::string_view content_type = "application/json") {
  const Json json = JsonOf(body);
  return Doc().CheckAnswer(method, path, status, content_type, &json);
}

// The message of a check expected to fail.
std::string Refusal(const ::testing::AssertionResult& result) {
  EXPECT_FALSE(result) << "the check passed";
  return result ? "" : result.message();
}

std::string ParseError(std::string_view text) {
  StatusOr<OpenApiDocument> parsed = ParseText(text);
  EXPECT_FALSE(parsed.ok()) << "the document parsed";
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().message();
}

// A 3.0 document with one GET /a answering 200 with `schema`, and `components`.
std::string WithSchema(std::string_view schema, std::string_view components = "{}") {
  return R"({"openapi": "3.0.3", "paths": {"/a": {"get": {"responses": {"200": {"description":
      "", "content": {"application/json": {"schema": )" +
         std::string(schema) + "}}}}}}}, \"components\": " + std::string(components) + "}";
}

TEST(OpenApiParse, AcceptsTheDocumentsOf30And31) {
  EXPECT_TRUE(ParseText(kDocument).ok());
  EXPECT_TRUE(ParseText(R"({"openapi": "3.1.0", "paths": {}})").ok());
  EXPECT_TRUE(ParseText(R"({"openapi": "3.0.0", "paths": {}})").ok());
}

TEST(OpenApiParse, RefusesADocumentWithoutPaths) {
  EXPECT_EQ(ParseError(R"({"openapi": "3.0.3", "info": {}})"), "/paths: missing");
  EXPECT_EQ(ParseError(R"({"openapi": "3.0.3", "paths": []})"), "/paths: not an object");
}

TEST(OpenApiParse, RefusesVersionsOtherThan30And31) {
  EXPECT_EQ(ParseError(R"({"swagger": "2.0", "paths": {}})"), "/openapi: missing");
  EXPECT_EQ(ParseError(R"({"openapi": "2.0", "paths": {}})"),
            "/openapi: \"2.0\" is not 3.0.x or 3.1.x");
  EXPECT_EQ(ParseError(R"({"openapi": "4.0.0", "paths": {}})"),
            "/openapi: \"4.0.0\" is not 3.0.x or 3.1.x");
  EXPECT_EQ(ParseError(R"({"openapi": "3.2.0", "paths": {}})"),
            "/openapi: \"3.2.0\" is not 3.0.x or 3.1.x");
  EXPECT_EQ(ParseError(R"({"openapi": 3.0, "paths": {}})"), "/openapi: 3.0 is not 3.0.x or 3.1.x");
}

TEST(OpenApiParse, RefusesADanglingRefNamingWhereItIs) {
  EXPECT_EQ(ParseError(WithSchema(R"({"$ref": "#/components/schemas/Nope"})",
                                  R"({"schemas": {"Yes": {}}})")),
            "/paths/~1a/get/responses/200/content/application~1json/schema/$ref: "
            "\"#/components/schemas/Nope\" does not resolve");
  EXPECT_EQ(ParseError(WithSchema(R"({"type": "object"})",
                                  R"({"schemas": {"A": {"items": {"$ref": "#/components/B"}}}})")),
            "/components/schemas/A/items/$ref: \"#/components/B\" does not resolve");
}

TEST(OpenApiParse, RefusesRefsThatAreNotLocalOrLoop) {
  EXPECT_EQ(ParseError(WithSchema(R"({"$ref": "other.json#/components/schemas/A"})")),
            "/paths/~1a/get/responses/200/content/application~1json/schema/$ref: "
            "\"other.json#/components/schemas/A\" is not a local reference to "
            "\"#/components/...\"");
  EXPECT_EQ(ParseError(WithSchema(R"({"$ref": "#/components/schemas/A"})",
                                  R"({"schemas": {"A": {"$ref": "#/components/schemas/B"},
                                "B": {"$ref": "#/components/schemas/A"}}})")),
            "/paths/~1a/get/responses/200/content/application~1json/schema/$ref: "
            "the chain of $refs loops at \"#/components/schemas/A\"");
}

TEST(OpenApiParse, RefusesOperationsWithoutResponsesAndBadStatusKeys) {
  EXPECT_EQ(ParseError(R"({"openapi": "3.0.3", "paths": {"/a": {"get": {}}}})"),
            "/paths/~1a/get/responses: missing, or not an object of responses");
  EXPECT_EQ(ParseError(R"({"openapi": "3.0.3", "paths": {"/a": {"get": {"responses": {}}}}})"),
            "/paths/~1a/get/responses: missing, or not an object of responses");
  EXPECT_EQ(
      ParseError(R"({"openapi": "3.0.3", "paths": {"/a": {"get": {"responses": {"OK": {}}}}}})"),
      "/paths/~1a/get/responses/OK: not a status code, a range like \"4XX\" or \"default\"");
  EXPECT_EQ(ParseError(R"({"openapi": "3.0.3", "paths": {"a": {}}})"),
            "/paths/a: a path template must start with '/'");
  EXPECT_EQ(ParseError(R"({"openapi": "3.0.3", "paths": {"/a/{id": {}}})"),
            "/paths/~1a~1{id: a '{' without its '}'");
}

TEST(OpenApiParse, RefusesAPatternThatIsNotARegularExpression) {
  const std::string error = ParseError(WithSchema(R"({"type": "string", "pattern": "a(b"})"));
  EXPECT_TRUE(
      error.starts_with("/paths/~1a/get/responses/200/content/application~1json/schema/"
                        "pattern: \"a(b\" is not an ECMAScript regular expression: "))
      << error;
}

TEST(OpenApiParse, TakesNeitherDataNorPropertyNamesForKeywords) {
  EXPECT_TRUE(ParseText(WithSchema(R"({
    "type": "object",
    "example": {"$ref": "#/nowhere", "pattern": "a("},
    "properties": {"$ref": {"type": "string"}, "pattern": {"type": "string"},
                   "enum": {"$ref": "#/components/schemas/A"}}})",
                                   R"({"schemas": {"A": {"enum": [{"$ref": "x"}]}}})"))
                  .ok());
}

TEST(OpenApiOperations, ListsEveryOperationSorted) {
  EXPECT_EQ(Doc().Operations(), (Operations{{"DELETE", "/v1/executions/{id}"},
                                            {"GET", "/v1/executions"},
                                            {"GET", "/v1/executions/latest"},
                                            {"GET", "/v1/executions/{id}"},
                                            {"GET", "/v1/loops"},
                                            {"GET", "/v1/shapes/{name}"},
                                            {"GET", "/v1/trees/{name}"},
                                            {"POST", "/v1/executions"},
                                            {"POST", "/v1/executions/{id}"},
                                            {"POST", "/v1/executions/{id}:stop"},
                                            {"POST", "/v1/executions:stop"}}));
}

TEST(OpenApiFindOperation, PrefersLiteralSegmentsOverParameters) {
  using Found = std::optional<std::pair<std::string, std::string>>;
  EXPECT_EQ(Doc().FindOperation("GET", "/v1/executions/latest"),
            Found({"GET", "/v1/executions/latest"}));
  EXPECT_EQ(Doc().FindOperation("GET", "/v1/executions/ex-1"),
            Found({"GET", "/v1/executions/{id}"}));
  EXPECT_EQ(Doc().FindOperation("POST", "/v1/executions/ex-1:stop"),
            Found({"POST", "/v1/executions/{id}:stop"}));
  EXPECT_EQ(Doc().FindOperation("POST", "/v1/executions/ex-1"),
            Found({"POST", "/v1/executions/{id}"}));
  EXPECT_EQ(Doc().FindOperation("POST", "/v1/executions:stop"),
            Found({"POST", "/v1/executions:stop"}));
  // Only GET is declared for "latest": a DELETE of it is one of {id}.
  EXPECT_EQ(Doc().FindOperation("DELETE", "/v1/executions/latest"),
            Found({"DELETE", "/v1/executions/{id}"}));
}

TEST(OpenApiFindOperation, ComparesDecodedSegmentsWithoutTheQuery) {
  using Found = std::optional<std::pair<std::string, std::string>>;
  EXPECT_EQ(Doc().FindOperation("POST", "/v1/executions/ex-1%3Astop"),
            Found({"POST", "/v1/executions/{id}:stop"}));
  EXPECT_EQ(Doc().FindOperation("POST", "/v1/executions%3astop"),
            Found({"POST", "/v1/executions:stop"}));
  EXPECT_EQ(Doc().FindOperation("get", "/v1/executions?status=RUNNING&limit=2"),
            Found({"GET", "/v1/executions"}));
  EXPECT_EQ(Doc().FindOperation("GET", "/v1/executions/a%2Fb"),
            Found({"GET", "/v1/executions/{id}"}));
}

TEST(OpenApiFindOperation, FindsNoneForUndeclaredPathsAndMethods) {
  EXPECT_EQ(Doc().FindOperation("PUT", "/v1/executions/ex-1"), std::nullopt);
  EXPECT_EQ(Doc().FindOperation("GET", "/v1/executions/ex-1/history"), std::nullopt);
  EXPECT_EQ(Doc().FindOperation("GET", "/v1/executions/"), std::nullopt);
  EXPECT_EQ(Doc().FindOperation("GET", "v1/executions"), std::nullopt);
  EXPECT_EQ(Refusal(Answer("GET", "/v2/executions", 200, "{}")),
            "GET /v2/executions: the document declares no such operation");
}

TEST(OpenApiCheckAnswer, AcceptsAnswersTheDocumentAllows) {
  EXPECT_TRUE(Answer("GET", "/v1/executions/ex-1", 200, kExecution));
  EXPECT_TRUE(Answer("GET", "/v1/executions/ex-1", 200, R"({
    "id": "ex-1", "status": "FAILED", "startedAt": "2026-03-01T12:00:30.125+01:00",
    "stoppedAt": "2026-03-01T12:01:00Z", "attempts": 3.0, "input": [1, {"a": null}],
    "links": ["/v1/executions/ex-1", "https://example.com/x?y=1"]})"));
  EXPECT_TRUE(Answer("GET", "/v1/executions", 200, R"({"items": [], "nextToken": "t"})"));
  EXPECT_TRUE(
      Answer("GET", "/v1/executions/ex-1", 200, kExecution, "application/json; charset=utf-8"));
  EXPECT_TRUE(Answer("GET", "/v1/executions/ex-1", 404, R"({"title": "Not Found", "status": 404})",
                     "application/problem+json"));
  EXPECT_TRUE(Doc().CheckAnswer("POST", "/v1/executions:stop", 204, "", nullptr));
  // A body that is not JSON: only the status is checked.
  EXPECT_TRUE(Doc().CheckAnswer("GET", "/v1/executions/ex-1", 200, "text/html", nullptr));
}

TEST(OpenApiCheckAnswer, RefusesAnUndeclaredStatus) {
  EXPECT_EQ(Refusal(Answer("GET", "/v1/executions/ex-1", 500, "{}")),
            "GET /v1/executions/{id} 500: status 500 is not declared (declared: 200, 404)");
  EXPECT_EQ(Refusal(Doc().CheckAnswer("POST", "/v1/executions:stop", 200, "", nullptr)),
            "POST /v1/executions:stop 200: status 200 is not declared (declared: 204)");
}

TEST(OpenApiCheckAnswer, FallsBackToTheRangeThenDefault) {
  const char problem[] = R"({"title": "Conflict", "status": 409})";
  EXPECT_TRUE(Answer("POST", "/v1/executions", 409, problem, "application/problem+json"));
  EXPECT_TRUE(Answer("DELETE", "/v1/executions/ex-1", 503, problem, "application/problem+json"));
  EXPECT_EQ(Refusal(Answer("POST", "/v1/executions", 409, R"({"title": "Conflict"})",
                           "application/problem+json")),
            "POST /v1/executions 409: (root): missing required property \"status\" "
            "(#/components/schemas/Problem)");
  EXPECT_EQ(Refusal(Answer("POST", "/v1/executions", 500, problem, "application/problem+json")),
            "POST /v1/executions 500: status 500 is not declared (declared: 201, 4XX)");
}

TEST(OpenApiCheckAnswer, RefusesAContentTypeTheResponseDoesNotDeclare) {
  EXPECT_EQ(Refusal(Answer("GET", "/v1/executions/ex-1", 200, kExecution, "text/plain")),
            "GET /v1/executions/{id} 200: content type \"text/plain\" is not declared "
            "(declared: application/json)");
  // problem+json stands in for json, never the other way round.
  EXPECT_EQ(Refusal(Answer("GET", "/v1/executions/ex-1", 404,
                           R"({"title": "Not Found", "status": 404})", "application/json")),
            "GET /v1/executions/{id} 404: content type \"application/json\" is not declared "
            "(declared: application/problem+json)");
  EXPECT_TRUE(Answer("GET", "/v1/executions/ex-1", 200, kExecution, "application/problem+json"));
}

TEST(OpenApiCheckAnswer, RefusesAValueOfTheWrongType) {
  EXPECT_EQ(Refusal(Answer("GET", "/v1/executions/ex-1", 200, "[]")),
            "GET /v1/executions/{id} 200: (root): expected object, got array [] "
            "(#/components/schemas/Execution)");
  EXPECT_EQ(
      Refusal(Answer("GET", "/v1/executions/ex-1", 200,
                     R"({"id": "ex-1", "status": "RUNNING", "startedAt": "2026-03-01T12:00:30Z",
                         "attempts": 1.5})")),
      "GET /v1/executions/{id} 200: /attempts: expected integer, got number 1.5 "
      "(#/components/schemas/Execution/properties/attempts)");
  EXPECT_EQ(
      Refusal(Answer("GET", "/v1/executions/ex-1", 200,
                     R"({"id": "ex-1", "status": "RUNNING", "startedAt": "2026-03-01T12:00:30Z",
                         "attempts": "1"})")),
      "GET /v1/executions/{id} 200: /attempts: expected integer, got string \"1\" "
      "(#/components/schemas/Execution/properties/attempts)");
}

TEST(OpenApiCheckAnswer, RefusesAMissingRequiredProperty) {
  EXPECT_EQ(Refusal(Answer("GET", "/v1/executions/ex-1", 200,
                           R"({"id": "ex-1", "startedAt": "2026-03-01T12:00:30Z"})")),
            "GET /v1/executions/{id} 200: (root): missing required property \"status\" "
            "(#/components/schemas/Execution)");
}

TEST(OpenApiCheckAnswer, RefusesAPropertyAdditionalPropertiesFalseForbids) {
  EXPECT_EQ(Refusal(Answer("GET", "/v1/executions/ex-1", 200,
                           R"({"id": "ex-1", "status": "RUNNING",
                               "startedAt": "2026-03-01T12:00:30Z", "colour": "red"})")),
            "GET /v1/executions/{id} 200: /colour: property is not allowed "
            "(additionalProperties is false) (#/components/schemas/Execution)");
  // Without additionalProperties, extra properties are fine.
  EXPECT_TRUE(Answer("GET", "/v1/executions", 200, R"({"items": [], "colour": "red"})"));
}

TEST(OpenApiCheckAnswer, RefusesAValueOutsideTheEnum) {
  EXPECT_EQ(Refusal(Answer("GET", "/v1/executions/ex-1", 200,
                           R"({"id": "ex-1", "status": "RUNNNG",
                               "startedAt": "2026-03-01T12:00:30Z"})")),
            "GET /v1/executions/{id} 200: /status: \"RUNNNG\" is not one of [RUNNING, SUCCEEDED, "
            "FAILED] (#/components/schemas/Execution/properties/status)");
}

TEST(OpenApiCheckAnswer, RefusesADateTimeThatIsNotRfc3339) {
  const auto with_start = [](std::string_view started) {
    return Answer(
        "GET", "/v1/executions/ex-1", 200,
        R"({"id": "ex-1", "status": "RUNNING", "startedAt": ")" + std::string(started) + "\"}");
  };
  for (const char* good :
       {"2026-03-01T12:00:30Z", "2026-03-01T12:00:30.5Z", "2026-03-01T12:00:30.123456-05:30",
        "2024-02-29T23:59:60+00:00", "2026-03-01t12:00:30z"}) {
    EXPECT_TRUE(with_start(good)) << good;
  }
  for (const char* bad : {"2026-03-01", "2026-03-01 12:00:30Z", "2026-03-01T12:00:30",
                          "2026-03-01T12:00Z", "2026-13-01T12:00:30Z", "2025-02-29T12:00:30Z",
                          "2026-03-01T24:00:00Z", "2026-03-01T12:00:30.Z",
                          "2026-03-01T12:00:30+0100", "2026-03-01T12:00:30Z ", "1772366430"}) {
    EXPECT_EQ(Refusal(with_start(bad)),
              "GET /v1/executions/{id} 200: /startedAt: \"" + std::string(bad) +
                  "\" is not an RFC 3339 date-time "
                  "(#/components/schemas/Execution/properties/startedAt)");
  }
}

TEST(OpenApiCheckAnswer, RefusesAValueMatchingTwoOneOfSchemas) {
  EXPECT_TRUE(Answer("GET", "/v1/shapes/a", 200, R"({"radius": 1})"));
  EXPECT_TRUE(Answer("GET", "/v1/shapes/a", 200, R"({"side": 2})"));
  EXPECT_EQ(Refusal(Answer("GET", "/v1/shapes/a", 200, R"({"radius": 1, "side": 2})")),
            "GET /v1/shapes/{name} 200: (root): matches more than one of oneOf ([0], [1]); "
            "exactly one must match (#/components/schemas/Shape)");
  EXPECT_EQ(Refusal(Answer("GET", "/v1/shapes/a", 200, R"({"radius": "1"})")),
            "GET /v1/shapes/{name} 200: (root): matches none of oneOf: "
            "[0] /radius: expected number, got string \"1\" "
            "(#/components/schemas/Circle/properties/radius); "
            "[1] (root): missing required property \"side\" (#/components/schemas/Square) "
            "(#/components/schemas/Shape)");
}

TEST(OpenApiCheckAnswer, AcceptsNullOnlyWhereNullable) {
  EXPECT_TRUE(Answer("GET", "/v1/executions/ex-1", 200,
                     R"({"id": "ex-1", "status": "RUNNING", "startedAt": "2026-03-01T12:00:30Z",
                         "stoppedAt": null})"));
  EXPECT_EQ(Refusal(Answer("GET", "/v1/executions/ex-1", 200,
                           R"({"id": "ex-1", "status": "RUNNING", "startedAt": null})")),
            "GET /v1/executions/{id} 200: /startedAt: expected string, got null "
            "(#/components/schemas/Execution/properties/startedAt)");
}

TEST(OpenApiCheckAnswer, Accepts31TypeListsWithNull) {
  StatusOr<OpenApiDocument> doc = ParseText(R"({"openapi": "3.1.0", "paths": {"/a": {"get":
      {"responses": {"200": {"description": "", "content": {"application/json": {"schema":
      {"type": ["string", "null"]}}}}}}}}})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  const Json null_body, string_body = "s", number_body = 1;
  EXPECT_TRUE(doc->CheckAnswer("GET", "/a", 200, "application/json", &null_body));
  EXPECT_TRUE(doc->CheckAnswer("GET", "/a", 200, "application/json", &string_body));
  EXPECT_EQ(Refusal(doc->CheckAnswer("GET", "/a", 200, "application/json", &number_body)),
            "GET /a 200: (root): expected string or null, got number 1 "
            "(#/paths/~1a/get/responses/200/content/application~1json/schema)");
}

TEST(OpenApiCheckAnswer, PointsIntoNestedArrays) {
  EXPECT_EQ(Refusal(Answer("GET", "/v1/executions", 200, R"({"items": [
      {"id": "ex-1", "status": "RUNNING", "startedAt": "2026-03-01T12:00:30Z"},
      {"id": "ex-2", "status": "RUNNING", "startedAt": "2026-03-01T12:00:30Z"},
      {"id": 3, "status": "RUNNING", "startedAt": "2026-03-01T12:00:30Z"}]})")),
            "GET /v1/executions 200: /items/2/id: expected string, got number 3 "
            "(#/components/schemas/Execution/properties/id)");
}

TEST(OpenApiCheckAnswer, ReportsEveryViolationWithEscapedPointers) {
  EXPECT_EQ(Refusal(Answer("GET", "/v1/executions/ex-1", 200, R"({
    "id": "X", "status": "RUNNING", "startedAt": "2026-03-01T12:00:30Z", "attempts": 11,
    "links": ["a b", "", "c"], "a/b~c": 1})")),
            "GET /v1/executions/{id} 200: "
            "/id: \"X\" is shorter than the minimum length 2 "
            "(#/components/schemas/Execution/properties/id); "
            "/id: \"X\" does not match the pattern ^[a-z0-9-]+$ "
            "(#/components/schemas/Execution/properties/id); "
            "/attempts: 11 is greater than the maximum 10 "
            "(#/components/schemas/Execution/properties/attempts); "
            "/links: has 3 item(s), more than the maximum 2 "
            "(#/components/schemas/Execution/properties/links); "
            "/links/0: \"a b\" is not a URI reference "
            "(#/components/schemas/Execution/properties/links/items); "
            "/links/1: \"\" is not a URI reference "
            "(#/components/schemas/Execution/properties/links/items); "
            "/a~1b~0c: property is not allowed (additionalProperties is false) "
            "(#/components/schemas/Execution)");
}

TEST(OpenApiCheckAnswer, FollowsRecursiveSchemasAndStopsRefLoops) {
  EXPECT_TRUE(Answer("GET", "/v1/trees/t", 200,
                     R"({"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]})"));
  EXPECT_EQ(Refusal(Answer("GET", "/v1/trees/t", 200,
                           R"({"name": "a", "children": [{"name": "b", "children": [{}]}]})")),
            "GET /v1/trees/{name} 200: /children/0/children/0: missing required property "
            "\"name\" (#/components/schemas/Node)");
  EXPECT_EQ(Refusal(Answer("GET", "/v1/loops", 200, "{}")),
            "GET /v1/loops 200: (root): $ref #/components/schemas/Loop loops back to itself "
            "without reaching into the value (#/components/schemas/Loop/allOf/0)");
}

TEST(OpenApiCheckRequest, ChecksTheRequestBodyWithoutReadOnlyRequirements) {
  EXPECT_TRUE(Doc().CheckRequest("POST", "/v1/executions", "application/json",
                                 JsonOf(R"({"status": "RUNNING",
                                            "startedAt": "2026-03-01T12:00:30Z"})")));
  EXPECT_EQ(Refusal(Doc().CheckRequest("POST", "/v1/executions", "application/json",
                                       JsonOf(R"({"startedAt": "2026-03-01T12:00:30Z"})"))),
            "POST /v1/executions request: (root): missing required property \"status\" "
            "(#/components/schemas/Execution)");
  EXPECT_EQ(Refusal(Doc().CheckRequest("POST", "/v1/executions", "text/plain", JsonOf("{}"))),
            "POST /v1/executions request: content type \"text/plain\" is not declared "
            "(declared: application/json)");
  EXPECT_EQ(Refusal(Doc().CheckRequest("GET", "/v1/executions", "application/json", JsonOf("{}"))),
            "GET /v1/executions request: the operation declares no request body");
  // In an answer, the readOnly id is required.
  EXPECT_EQ(Refusal(Answer("POST", "/v1/executions", 201,
                           R"({"status": "RUNNING", "startedAt": "2026-03-01T12:00:30Z"})")),
            "POST /v1/executions 201: (root): missing required property \"id\" "
            "(#/components/schemas/Execution)");
}

TEST(OpenApiCheckAnswer, ComparesEnumAndConstValuesIgnoringMemberOrder) {
  StatusOr<OpenApiDocument> doc = ParseText(WithSchema(
      R"({"type": "object", "properties": {"e": {"enum": [{"a": 1, "b": [2]}, 3]},
          "c": {"const": {"x": true, "y": null}}}})"));
  ASSERT_TRUE(doc.ok()) << doc.status();
  const Json good = JsonOf(R"({"e": {"b": [2], "a": 1.0}, "c": {"y": null, "x": true}})");
  const Json bad = JsonOf(R"({"e": {"b": [2]}, "c": {"x": false, "y": null}})");
  EXPECT_TRUE(doc->CheckAnswer("GET", "/a", 200, "application/json", &good));
  EXPECT_EQ(Refusal(doc->CheckAnswer("GET", "/a", 200, "application/json", &bad)),
            "GET /a 200: /e: {\"b\":[2]} is not one of [{\"a\":1,\"b\":[2]}, 3] "
            "(#/paths/~1a/get/responses/200/content/application~1json/schema/properties/e); "
            "/c: {\"x\":false,\"y\":null} is not the constant {\"x\":true,\"y\":null} "
            "(#/paths/~1a/get/responses/200/content/application~1json/schema/properties/c)");
}

}  // namespace
}  // namespace stepd::api::testing
