#pragma once
// The JSON value type used throughout stepd. Objects keep their keys in
// insertion order, as Step Functions does: users see their payloads as they
// wrote them, not re-sorted.

#include <nlohmann/json.hpp>
#include <string_view>

#include "stepd/base/status_or.h"

namespace stepd {

using Json = nlohmann::ordered_json;

// Parses `text` as one JSON document. With `allow_comments`, // and /* */
// comments are accepted (configuration files). Errors are INVALID_ARGUMENT
// naming the byte offset, never exceptions.
StatusOr<Json> ParseJson(std::string_view text, bool allow_comments = false);

}  // namespace stepd
