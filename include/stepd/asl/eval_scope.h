#pragma once
// What an expression in a state can read while it is evaluated: the state's
// (effective) input `$`, the context object `$$`, and the workflow variables
// `$name` visible from the state. Borrowed pointers, valid for one evaluation.

#include <string_view>

#include "stepd/base/json.h"

namespace stepd::asl {

// Variables visible from a state (its own scope, then enclosing Map/Parallel
// scopes). Implemented by the interpreter.
class VariableLookup {
 public:
  virtual ~VariableLookup() = default;
  // The variable's current value, or nullptr when no such variable is visible.
  virtual const Json* Find(std::string_view name) const = 0;
};

struct EvalScope {
  const Json* input = nullptr;                // `$`
  const Json* context = nullptr;              // `$$`
  const VariableLookup* variables = nullptr;  // `$name`; may be null (none visible)
};

}  // namespace stepd::asl
