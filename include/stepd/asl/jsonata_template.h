#pragma once
// The JSONata side of ASL (`"QueryLanguage": "JSONata"`): field values whose
// strings "{% expr %}" are JSONata expressions, the `$states` variable they
// read, and the functions Step Functions adds to JSONata.
//
// A JsonataTemplate is compiled once with its state (every expression parsed
// then) and evaluated each time the state runs. Evaluation never throws: a
// failure is the States.QueryEvaluationError AWS raises, worded as AWS words
// it, with the field it came from ("Output/result") for the EvaluationFailed
// event.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/asl/diagnostic.h"
#include "stepd/asl/errors.h"
#include "stepd/asl/eval_scope.h"
#include "stepd/asl/jsonata.h"
#include "stepd/base/json.h"

namespace stepd::asl {

// What the expressions of one state can read: `$states.input`,
// `$states.result` (after a Task, Parallel or Map produced one),
// `$states.errorOutput` (in a Catcher), `$states.context` (the context
// object), and the workflow variables visible from the state.
struct JsonataScope {
  const Json* input = nullptr;
  const Json* result = nullptr;
  const Json* error_output = nullptr;
  const Json* context = nullptr;
  const VariableLookup* variables = nullptr;
};

// An expression's result larger than this as JSON text fails with
// States.DataLimitExceeded before it is converted.
inline constexpr size_t kMaxJsonataResultBytes = size_t{16} << 20;

// An evaluation failure: `error` is States.QueryEvaluationError with the
// cause (the caller prefixes the state), or States.DataLimitExceeded for a
// result past kMaxJsonataResultBytes; `field` where it happened.
struct JsonataFailure {
  AslError error;
  std::string field;
};

// True when `text` is one JSONata expression: "{%" ... "%}" (AWS reads a
// string as an expression only when it both starts and ends so).
bool IsJsonataExpression(std::string_view text);

class JsonataTemplate {
 public:
  JsonataTemplate() = default;

  // Compiles the value of field `field` (its name in messages, "Output" or
  // "Choices/0/Condition" style paths are the caller's choice). Expressions
  // that do not parse are SCHEMA_VALIDATION_FAILED diagnostics at
  // `location` (plus the path inside the value); returns false then.
  static bool Compile(const Json& value, std::string field, const std::string& location,
                      Diagnostics* diagnostics, JsonataTemplate* out);

  // The value with every expression replaced by its result. An expression
  // that fails, or gives undefined, is a JsonataFailure:
  //   "The JSONata expression 'E' specified for the field 'F' threw an error
  //    during evaluation. T1006: Attempted to invoke a non-function"
  //   "The JSONata expression 'E' specified for the field 'F' returned nothing
  //    (undefined)."
  std::variant<Json, JsonataFailure> Evaluate(const JsonataScope& scope) const;

  // The whole value is one expression (its result is the field's value).
  bool is_expression() const { return whole_; }
  // Has no expression at all: Evaluate always gives literal().
  bool is_literal() const { return slots_.empty(); }
  const Json& literal() const { return value_; }
  const std::string& field() const { return field_; }
  // The expression text of a whole-value expression (inside the braces, trimmed).
  const std::string& expression_text() const;

  // When the field needs one JSON type: the failure AWS reports for a result
  // `value` of another type,
  //   "The JSONata expression 'E' specified for the field 'F' returned an
  //    unexpected result type. Expected 'array', but was 'null' for value: null"
  // `expected` is AWS's type word: array, object, string, number, integer, boolean.
  JsonataFailure UnexpectedType(std::string_view expected, const Json& value) const;

 private:
  struct Slot {
    Json::json_pointer where;
    std::string field;  // "Output/result"
    std::string text;   // the expression, trimmed
    Jsonata expression;
  };

  Json value_;
  std::string field_;
  bool whole_ = false;
  std::vector<Slot> slots_;
};

// "null", "boolean", "number", "string", "array", "object": AWS's words.
std::string_view JsonTypeWord(const Json& value);

// The functions Step Functions adds to JSONata: $partition, $range, $hash,
// $random (optionally seeded), $uuid, $parse.
const std::map<std::string, JsonataFunction>& StepFunctionsJsonataFunctions();

}  // namespace stepd::asl
