#pragma once
// Intrinsic functions of the Amazon States Language (JSONPath query
// language): `States.Format('x={}', $.x)`, `States.MathAdd($.i, 1)`, ...
//
// An IntrinsicCall is parsed once, when the definition is compiled, into an
// immutable tree (function + arguments: literals, paths, nested calls); each
// Evaluate() walks that tree against one EvalScope without re-parsing.
// IntrinsicCall is immutable after Parse and safe to evaluate from many
// threads at once.
//
// Errors, and which side of the state machine's life reports them:
//  * Create time (Parse returns INVALID_ARGUMENT): bad syntax (unbalanced
//    quotes/parentheses, stray characters), an unknown `States.*` function,
//    an argument that is not a literal, a path or a nested call. The Status
//    message is AWS's text where AWS has one; the compiler wraps it into its
//    SCHEMA_VALIDATION_FAILED diagnostic (PayloadTemplate::Compile does so).
//    Argument counts and types are NOT checked at create time (AWS checks
//    them only when the function runs), so a wrong count is a runtime error.
//  * Run time (Evaluate returns an AslError): `States.IntrinsicFailure` for
//    wrong argument counts/types/values, and `States.Runtime` when a path
//    argument selects nothing. The cause is the part AWS produces for the
//    function itself, e.g.
//      "The value of the field 'States.MathAdd' ..."   (IntrinsicFailure)
//      "The JsonPath argument for the field '$.x' could not be found in the input '{...}'"
//    The interpreter prefixes the state context as AWS does:
//      "An error occurred while executing the state 'S' (entered at the event
//       id #2). <cause>"
//    (see docs on PayloadTemplate::Evaluate in payload_template.h for the
//    field-name part of template causes).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/asl/errors.h"
#include "stepd/asl/eval_scope.h"
#include "stepd/base/json.h"
#include "stepd/base/status_or.h"

namespace stepd::asl {

namespace intrinsics_internal {
struct Node;  // parsed call tree (src/asl/intrinsics_ast.h)
}  // namespace intrinsics_internal

// The 18 intrinsic functions of Step Functions.
enum class IntrinsicFunction {
  kFormat,
  kStringToJson,
  kJsonToString,
  kArray,
  kArrayPartition,
  kArrayContains,
  kArrayRange,
  kArrayGetItem,
  kArrayLength,
  kArrayUnique,
  kBase64Encode,
  kBase64Decode,
  kHash,
  kJsonMerge,
  kMathRandom,
  kMathAdd,
  kStringSplit,
  kUuid,
};

// "States.Format" for kFormat.
std::string_view IntrinsicFunctionName(IntrinsicFunction f);

// A parsed `States.Xxx(args...)` expression; nested calls allowed.
class IntrinsicCall {
 public:
  // Parses the whole of `text` (surrounding whitespace allowed) as one call.
  // INVALID_ARGUMENT on bad syntax or an unknown function (see above).
  static StatusOr<IntrinsicCall> Parse(std::string_view text);

  // Runs the call. The returned Json is freshly built; `scope` is only read.
  // States.UUID and an unseeded States.MathRandom draw from a thread-local
  // random engine.
  AslResult<Json> Evaluate(const EvalScope& scope) const;

  // The text given to Parse, unchanged.
  const std::string& text() const;
  // The outermost function.
  IntrinsicFunction function() const;

  IntrinsicCall(const IntrinsicCall&) = default;
  IntrinsicCall& operator=(const IntrinsicCall&) = default;
  IntrinsicCall(IntrinsicCall&&) noexcept = default;
  IntrinsicCall& operator=(IntrinsicCall&&) noexcept = default;
  ~IntrinsicCall();

 private:
  IntrinsicCall(std::string text, std::shared_ptr<const intrinsics_internal::Node> root);

  std::string text_;
  std::shared_ptr<const intrinsics_internal::Node> root_;  // immutable, shared by copies
};

// True when `text` starts with "States." and contains '(' — the test AWS uses
// to decide that a `.$` value is meant as an intrinsic call rather than a path.
bool LooksLikeIntrinsic(std::string_view text);

}  // namespace stepd::asl
