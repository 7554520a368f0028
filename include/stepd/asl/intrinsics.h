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
//    quotes or parentheses, stray characters, a number that is not JSON
//    grammar), an illegal escape in a string literal (only \' \{ \} \\ are
//    legal), an unknown `States.*` function, an argument that is not a literal,
//    a path or a nested call, and more than 10 calls nested in one field.
//    PayloadTemplate::Compile turns any of these into AWS's diagnostic
//      "The value for the field 'x.$' must be a valid JSONPath or a valid
//       intrinsic function call"
//    (the Status message itself is stepd's, naming the offset).
//  * Run time (Evaluate returns an AslError). Step Functions checks argument
//    counts, types and values only when the function runs, and reports every
//    rejection as
//      States.Runtime  "Invalid arguments in States.MathAdd"
//    A definite path argument that selects nothing is
//      States.Runtime  "The JsonPath argument for the field '$.x' could not be
//                       found in the input '<state input, compact JSON>'"
//    These are the whole causes this layer produces; the interpreter prefixes
//    the state as AWS does:
//      "An error occurred while executing the state 'S' (entered at the event
//       id #2). Invalid arguments in States.MathAdd"
//
// Argument rules (as Step Functions behaves, including its quirks):
//  * MathAdd rounds fractional numbers half up (Java Math.round); the result
//    and arguments must fit in a 32-bit int.
//  * ArrayRange, ArrayPartition, ArrayGetItem and MathRandom truncate
//    fractional numbers toward zero; ArrayRange builds at most 1000 items,
//    its step must not be 0; a chunk size must be > 0; MathRandom needs
//    start < end, returns an int in [start, end), and with a seed is
//    reproducible (java.util.Random's sequence).
//  * ArrayGetItem answers null for any index into an empty array.
//  * Format needs exactly one argument per `{}`; a lone `{` or `}` in the
//    template is rejected; values render as Java's toString (null, {k=v},
//    [1, 2]); strings verbatim.
//  * Base64Encode/Base64Decode/Hash accept at most 10000 characters; Base64
//    decoding is lenient (skips non-alphabet characters, stops at '=').
//    Hash takes MD5, SHA-1, SHA-256, SHA-384, SHA-512 exactly.
//  * JsonMerge is shallow only: a third argument of true is rejected (any
//    other value means shallow).
//  * StringSplit splits on every character of the delimiter and drops empty
//    strings.

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
