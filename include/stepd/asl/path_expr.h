#pragma once
// A path together with its root, as ASL fields accept them:
//   $...      the state's input            ("$", "$.a[0]")
//   $$...     the context object           ("$$", "$$.Execution.Id")
//   $name...  the workflow variable `name`, then an optional JSONPath tail
//             ("$x", "$x.a[0]", "$x['k']")
// Parsed once; immutable; any thread may evaluate.

#include <optional>
#include <string>
#include <string_view>

#include "stepd/asl/eval_scope.h"
#include "stepd/asl/json_path.h"
#include "stepd/base/json.h"
#include "stepd/base/status_or.h"

namespace stepd::asl {

class PathExpr {
 public:
  enum class Root { kInput, kContext, kVariable };

  // INVALID_ARGUMENT when `text` is not one of the forms above. A variable
  // name is [A-Za-z_][A-Za-z0-9_]* (AWS's rule for Assign names).
  static StatusOr<PathExpr> Parse(std::string_view text);

  Root root() const { return root_; }
  // The variable name for Root::kVariable; empty otherwise.
  const std::string& variable() const { return variable_; }
  // The JSONPath applied to the root value ("$..." — for `$$.a` and `$x.a`
  // it is "$.a").
  const JsonPath& path() const { return path_; }
  // The text as written.
  const std::string& text() const { return text_; }
  bool IsDefinite() const { return path_.IsDefinite(); }

  // The root value from `scope` (nullptr when the scope lacks it or the
  // variable is unknown).
  const Json* RootValue(const EvalScope& scope) const;

  // Definite: the value, or nullopt when absent / unknown variable.
  // Indefinite: an array of the matches (nullopt only when the root itself
  // is missing).
  std::optional<Json> Evaluate(const EvalScope& scope) const;

  // Definite paths only: borrowed pointer to the value (nullptr when absent).
  const Json* Find(const EvalScope& scope) const;

 private:
  PathExpr(Root root, std::string variable, JsonPath path, std::string text)
      : root_(root),
        variable_(std::move(variable)),
        path_(std::move(path)),
        text_(std::move(text)) {}

  Root root_;
  std::string variable_;
  JsonPath path_;
  std::string text_;
};

}  // namespace stepd::asl
