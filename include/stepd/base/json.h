#pragma once
// The JSON value type used throughout stepd. Objects keep their keys in
// insertion order, as Step Functions does: users see their payloads as they
// wrote them, not re-sorted.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "stepd/base/status_or.h"

namespace stepd {

using Json = nlohmann::ordered_json;

// Arrays and objects nest at most this deep in a document ParseJson accepts.
// Every walk of a Json (dump, copy, comparison, JSONPath, templates) recurses
// once per level: a request body of 100,000 `[` would otherwise overflow a
// worker's stack. Real payloads nest a few levels, rarely dozens.
inline constexpr int kMaxJsonDepth = 512;

// Parses `text` as one JSON document. With `allow_comments`, // and /* */
// comments are accepted (configuration files). Errors are INVALID_ARGUMENT
// naming the byte offset, never exceptions; a document nested deeper than
// kMaxJsonDepth is one of them. Untrusted text (requests, task results,
// stored data) is parsed here, not with Json::parse.
StatusOr<Json> ParseJson(std::string_view text, bool allow_comments = false);

// Appends the compact JSON text of `value` to `out`: the same text as
// value.dump() (invalid UTF-8 in strings becomes U+FFFD instead of
// throwing), written straight into `out` without a temporary string.
void AppendJsonText(const Json& value, std::string* out);
// Appends the JSON text of `value` already escaped as the body of a JSON
// string (no surrounding quotes): what "\"" + value.dump() + "\"" would
// become inside a JSON document, e.g. for AWS payload fields that carry JSON
// as text.
void AppendJsonTextAsStringBody(const Json& value, std::string* out);
// Appends `text` escaped as the body of a JSON string (no surrounding
// quotes); invalid UTF-8 becomes U+FFFD.
void AppendJsonStringBody(std::string_view text, std::string* out);

// True when `text` is valid UTF-8 (no overlong forms, surrogates or code
// points beyond U+10FFFF).
bool IsValidUtf8(std::string_view text);
// `text` with each byte that is not part of valid UTF-8 replaced by U+FFFD.
std::string ToValidUtf8(std::string_view text);

}  // namespace stepd
