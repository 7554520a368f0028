#pragma once
// Payload templates of the JSONPath query language: the JSON values of
// Parameters, ResultSelector, ItemSelector (and Map's legacy Parameters) and
// of Assign in JSONPath mode. A key ending in ".$" takes a path (`$.x`,
// `$$.Execution.Id`, `$var.x`) or an intrinsic call; its output key drops the
// ".$". Every other value is copied literally. Objects and arrays nest.
//
// A PayloadTemplate is compiled once from the definition (paths and
// intrinsics pre-parsed) and is immutable afterwards; Evaluate may run from
// many threads at once.

#include <memory>
#include <string>
#include <string_view>

#include "stepd/asl/diagnostic.h"
#include "stepd/asl/errors.h"
#include "stepd/asl/eval_scope.h"
#include "stepd/base/json.h"
#include "stepd/base/status_or.h"

namespace stepd::asl {

namespace payload_template_internal {
struct Node;  // compiled template tree (src/asl/payload_template.cc)
}  // namespace payload_template_internal

class PayloadTemplate {
 public:
  // Compiles `tmpl`. `location` is the JSON pointer of the field in the
  // definition ("/States/A/Parameters"); nested problems are reported at
  // `location` as AWS does. Each problem is appended to `*diagnostics`
  // (code "SCHEMA_VALIDATION_FAILED", AWS's wording, e.g.
  //   "The value for the field 'parsed.$' must be a valid JSONPath or a valid
  //    intrinsic function call")
  // and the call returns INVALID_ARGUMENT whose message is the first
  // diagnostic's message. `diagnostics` may be null.
  static StatusOr<PayloadTemplate> Compile(const Json& tmpl, std::string_view location,
                                           Diagnostics* diagnostics);

  // Builds the payload. Errors (causes exactly as AWS words them; the
  // interpreter adds the "An error occurred while executing the state ..."
  // prefix where AWS has one):
  //  * a definite path that selects nothing: States.Runtime,
  //    "The JSONPath '$.x' specified for the field 'x.$' could not be found
  //     in the input '<input as compact JSON>'"
  //  * a failing intrinsic: the intrinsic's error (see intrinsics.h).
  AslResult<Json> Evaluate(const EvalScope& scope) const;

  // True when the template has no ".$" key anywhere: Evaluate then returns a
  // copy of the literal.
  bool IsLiteral() const;

  PayloadTemplate(const PayloadTemplate&) = default;
  PayloadTemplate& operator=(const PayloadTemplate&) = default;
  PayloadTemplate(PayloadTemplate&&) noexcept = default;
  PayloadTemplate& operator=(PayloadTemplate&&) noexcept = default;
  ~PayloadTemplate();

 private:
  explicit PayloadTemplate(std::shared_ptr<const payload_template_internal::Node> root);

  std::shared_ptr<const payload_template_internal::Node> root_;  // immutable, shared by copies
};

}  // namespace stepd::asl
