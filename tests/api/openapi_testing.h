#pragma once
// Test support for the REST API's OpenAPI document (/v1/openapi.json): which
// operation a request maps to, and whether an answer (status, content type,
// JSON body) or a request body is one the document allows. Integration tests
// wrap what they receive in EXPECT_TRUE(document.CheckAnswer(...)), so the
// served document and the server cannot drift apart unnoticed.
//
// Written for stepd's own document, not as a general OpenAPI validator. What
// is checked of a document is listed at Parse(); of a body, the schema subset
// below (OpenAPI 3.0 Schema Object, with the 3.1 spellings noted):
//   $ref          local "#/components/..." only; recursive schemas are fine.
//                 Siblings of $ref apply too (3.1 semantics).
//   type          string, number, integer, boolean, array, object, null, or a
//                 list of them (3.1). An integer is a number with no fraction
//                 (1.0 is one).
//   nullable      true: null is valid whatever the other keywords say.
//   enum, const   JSON equality; object key order does not matter.
//   properties, required, additionalProperties (true, false or a schema;
//                 default true; sees only the properties of its own schema,
//                 not those of allOf siblings). A required property that is
//                 readOnly is not required in requests, a writeOnly one not
//                 in answers.
//   items, minItems, maxItems
//   minLength, maxLength (Unicode code points), pattern (std::regex
//                 ECMAScript, unanchored search)
//   minimum, maximum, exclusiveMinimum, exclusiveMaximum (3.0 booleans or
//                 3.1 numbers)
//   format        "date-time": RFC 3339 (T, seconds, optional fraction, Z or
//                 a +hh:mm/-hh:mm offset; ranges of each field checked);
//                 "uri-reference": non-empty, no whitespace or control
//                 characters. Every other format is ignored.
//   allOf, anyOf, oneOf (exactly one), not; boolean schemas (3.1).
// Every other keyword (multipleOf, uniqueItems, patternProperties,
// prefixItems, discriminator, ...) is ignored, as are description, title and
// example: a body is then checked less strictly than the document reads,
// never more. Not checked at all: parameters, headers, security, servers
// (path templates are matched as written, from the first '/').
//
// Failure messages name the operation and status, then each violation as
// the JSON pointer in the body ("(root)" for the body itself), what is wrong,
// and the schema location that refused it:
//   GET /v1/executions/{id} 200: /status: "RUNNNG" is not one of [RUNNING,
//   SUCCEEDED] (#/components/schemas/Execution/properties/status)
// Several violations are joined by "; " (at most 10 shown).
//
// An OpenApiDocument is immutable; copies share the parsed document, and
// const methods may be called from any thread.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stepd/base/json.h"
#include "stepd/base/status_or.h"

namespace stepd::api::testing {

class OpenApiDocument {
 public:
  // Checks the document's shape enough to rely on it: "openapi" is 3.0.x or
  // 3.1.x; "paths" is an object of templates starting with '/' with balanced
  // {param} braces; each path item (possibly a $ref) holds operations
  // (get/put/post/delete/patch/head/options/trace) that are objects with a
  // non-empty "responses" object keyed by "200"-like codes, "2XX"-like ranges
  // or "default"; responses and request bodies (possibly $refs) are objects
  // whose "content" maps media types to objects. Every "$ref" string must be
  // local ("#/components/...", JSON pointer escapes and %XX decoded) and
  // resolve, and no chain of $refs may loop; every "pattern" must compile.
  // Values that are data (example, examples, enum, const, default, x-*
  // extensions) are not searched for $ref or pattern. Errors are
  // INVALID_ARGUMENT starting with the JSON pointer of the offending value.
  static StatusOr<OpenApiDocument> Parse(const Json& document);

  // Every (METHOD, path template) the document declares, e.g.
  // {"GET", "/v1/executions/{id}"}, sorted.
  std::vector<std::pair<std::string, std::string>> Operations() const;

  // Checks an answer to `method` `path` (a request target: the query string
  // and fragment are dropped) against the operation FindOperation() maps it
  // to. `status` must be declared in the operation's responses, exactly,
  // else by its range ("4XX"), else through "default". When `body` is given
  // and the response declares content, `content_type` (parameters such as
  // "; charset=utf-8" and case ignored) must be declared: exactly, else
  // application/problem+json answered where only application/json is
  // declared (its schema then applies), else as "type/*" or "*/*"; and
  // `body` must validate against that media type's schema (when it has
  // one). A null `body` (no body, or not JSON) checks the status only.
  ::testing::AssertionResult CheckAnswer(std::string_view method, std::string_view path, int status,
                                         std::string_view content_type, const Json* body) const;

  // The same for a request body: the operation must declare a requestBody,
  // and `content_type` and `body` are checked against its content as above.
  ::testing::AssertionResult CheckRequest(std::string_view method, std::string_view path,
                                          std::string_view content_type, const Json& body) const;

  // The operation a request maps to, as (METHOD, template); nullopt when
  // none. `method` is compared upper-cased. Path segments are compared
  // percent-decoded, a template's {param} matching one or more characters.
  // Among the templates that declare `method` and match, the most specific
  // wins, segment by segment from the left: a literal segment beats one
  // mixing text and parameters ("{id}:stop", the more text the better),
  // which beats a bare "{param}". So "/v1/executions/latest" beats
  // "/v1/executions/{id}", and "/v1/executions/abc%3Astop" maps to
  // "/v1/executions/{id}:stop".
  std::optional<std::pair<std::string, std::string>> FindOperation(std::string_view method,
                                                                   std::string_view path) const;

 private:
  struct Parsed;
  explicit OpenApiDocument(std::shared_ptr<const Parsed> parsed);

  std::shared_ptr<const Parsed> parsed_;
};

}  // namespace stepd::api::testing
