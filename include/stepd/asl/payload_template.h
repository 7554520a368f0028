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
  // definition ("/States/A/Parameters"). Every problem is appended to
  // `*diagnostics` (code "SCHEMA_VALIDATION_FAILED", AWS's wording) with the
  // pointer of the object holding the bad key: `location` itself for a key at
  // the top, "<location>/outer" or "<location>/list/0" deeper down:
  //  * a ".$" value that is not a string holding a valid path or a valid
  //    intrinsic call (syntax, unknown function, illegal escape, nesting > 10):
  //      "The value for the field 'parsed.$' must be a valid JSONPath or a
  //       valid intrinsic function call"
  //  * "k" and "k.$" in the same object (stepd's wording; AWS's unknown):
  //      "The field 'k' and the field 'k.$' cannot both be present"
  // On any problem the call returns INVALID_ARGUMENT whose message is
  // "<first message> at <its location>". `diagnostics` may be null.
  static StatusOr<PayloadTemplate> Compile(const Json& tmpl, std::string_view location,
                                           Diagnostics* diagnostics);

  // Builds the payload: literals copied, "k.$" values resolved into "k", key
  // order as in the template. `scope.input` may be null only if no path reads
  // `$`. Errors (the whole cause this layer produces; the interpreter adds
  // "An error occurred while executing the state 'S' (entered at the event
  // id #N). " in front, as AWS does):
  //  * a definite path that selects nothing (or an unknown variable):
  //    States.Runtime "The JSONPath '$.x' specified for the field 'x.$' could
  //    not be found in the input '<state input as compact JSON>'"
  //    (the same text for $$ and $var paths: AWS names the state input).
  //  * an indefinite path never fails: it yields the array of its matches.
  //  * a failing intrinsic: its error, unchanged (see intrinsics.h).
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
