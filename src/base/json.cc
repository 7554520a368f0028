#include "stepd/base/json.h"

#include <string>

namespace stepd {

StatusOr<Json> ParseJson(std::string_view text, bool allow_comments) {
  try {
    return Json::parse(text.begin(), text.end(), /*cb=*/nullptr, /*allow_exceptions=*/true,
                       /*ignore_comments=*/allow_comments);
  } catch (const Json::parse_error& e) {
    return InvalidArgumentError("invalid JSON at byte " + std::to_string(e.byte) + ": " +
                                std::string(e.what()));
  }
}

}  // namespace stepd
