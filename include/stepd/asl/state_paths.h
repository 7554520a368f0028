#pragma once
// The path-valued fields of a state with their ASL defaults and null forms:
//   InputPath, OutputPath, ItemsPath: absent = "$" (whole value), null = {}.
//   ResultPath:                       absent = "$" (result replaces input),
//                                     null = result discarded (input kept).
// Built on JsonPath/PathExpr (json_path.h); immutable after Compile.

#include <optional>
#include <string>
#include <string_view>

#include "stepd/asl/diagnostic.h"
#include "stepd/asl/errors.h"
#include "stepd/asl/eval_scope.h"
#include "stepd/asl/json_path.h"
#include "stepd/asl/path_expr.h"
#include "stepd/base/json.h"

namespace stepd::asl {

// InputPath / OutputPath / ItemsPath.
class SelectPath {
 public:
  enum class Kind { kIdentity, kNull, kPath };

  SelectPath() = default;
  // `field` is the field's value in the definition, or nullptr when absent.
  // Appends a SCHEMA_VALIDATION_FAILED diagnostic at `location` and returns
  // false when the value is not a string or null, or not a valid path.
  static bool Compile(const Json* field, std::string_view field_name, std::string_view location,
                      Diagnostics* diagnostics, SelectPath* out);

  Kind kind() const { return kind_; }
  const std::string& text() const { return text_; }

  // Applies the path to `value` (with `scope` for `$$` and variables).
  // A path that selects nothing is States.Runtime, worded as AWS:
  //   "Invalid path '$.x' : No results for path: $['x']"
  AslResult<Json> Apply(Json value, const EvalScope& scope) const;

 private:
  Kind kind_ = Kind::kIdentity;
  std::string text_ = "$";
  std::optional<PathExpr> path_;
};

// ResultPath.
class ResultPath {
 public:
  enum class Kind { kReplace, kDiscard, kPath };

  ResultPath() = default;
  static bool Compile(const Json* field, std::string_view location, Diagnostics* diagnostics,
                      ResultPath* out);

  Kind kind() const { return kind_; }
  const std::string& text() const { return text_; }

  // Combines the state's raw input with its result.
  AslResult<Json> Apply(Json raw_input, Json result) const;

 private:
  Kind kind_ = Kind::kReplace;
  std::string text_ = "$";
  std::optional<JsonPath> path_;
};

// "$.a.b[0]" -> "$['a']['b'][0]", the normalised form Jayway JSONPath (and
// so AWS) prints in "No results for path" messages.
std::string NormalizedPathForMessage(std::string_view path);

}  // namespace stepd::asl
