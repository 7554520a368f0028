#pragma once
// One rule of a Choice state, compiled once: the boolean operators And, Or,
// Not, and the comparisons
//   StringEquals StringLessThan StringGreaterThan StringLessThanEquals
//   StringGreaterThanEquals StringMatches
//   NumericEquals NumericLessThan NumericGreaterThan NumericLessThanEquals
//   NumericGreaterThanEquals
//   BooleanEquals
//   TimestampEquals TimestampLessThan TimestampGreaterThan
//   TimestampLessThanEquals TimestampGreaterThanEquals
// each also in its "...Path" form (the operand is read from a path: `$`,
// `$$` or `$var`), and the type tests IsPresent IsNull IsBoolean IsNumeric
// IsString IsTimestamp.
//
// Semantics (as AWS): a comparison whose Variable value has the wrong type
// is false, not an error; IsPresent on a missing path is false; any other
// operator on a missing Variable path raises States.Runtime. StringMatches
// treats '*' as "any characters", "\\*" as a literal '*' and "\\\\" as a
// literal '\'. Timestamps are RFC 3339; a value that is not one compares
// false. Immutable after Compile; any thread may evaluate.

#include <memory>
#include <string>
#include <string_view>

#include "stepd/asl/diagnostic.h"
#include "stepd/asl/errors.h"
#include "stepd/asl/eval_scope.h"
#include "stepd/base/json.h"
#include "stepd/base/status_or.h"

namespace stepd::asl {

namespace choice_internal {
struct Node;  // defined in src/asl/choice_rule.cc
}

class ChoiceRule {
 public:
  // `rule` is one element of Choices (top_level = true: must have Next) or a
  // rule nested in And/Or/Not (Next forbidden). Problems are appended to
  // `diagnostics` (may be null) as SCHEMA_VALIDATION_FAILED with AWS's
  // wording and a JSON pointer below `location` (e.g.
  // "/States/C/Choices/0"); the returned status is INVALID_ARGUMENT carrying
  // the first message "<message> at <location>".
  static StatusOr<ChoiceRule> Compile(const Json& rule, std::string_view location, bool top_level,
                                      Diagnostics* diagnostics);

  // Whether the rule matches. And/Or stop at the first child that decides
  // the answer. Errors are AWS's runtime errors, e.g.
  //   States.Runtime "Invalid path '$.x': The choice state's condition path
  //   references an invalid value."
  AslResult<bool> Evaluate(const EvalScope& scope) const;

  // Top-level rules: the Next state's name; empty for nested rules.
  const std::string& next() const { return next_; }
  // Top-level rules: the rule's "Assign" object, or null when absent (the
  // compiler compiles it as a payload template).
  const Json& assign() const { return assign_; }

  // An empty rule (e.g. a ChoiceBranch being filled in): Evaluate() answers
  // false. Only rules from Compile() are meaningful.
  ChoiceRule() = default;

 private:
  std::shared_ptr<const choice_internal::Node> node_;
  std::string next_;
  Json assign_;
};

}  // namespace stepd::asl
