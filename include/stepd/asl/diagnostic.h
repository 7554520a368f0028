#pragma once
// A problem found in a definition, shaped as ValidateStateMachineDefinition
// reports it. CreateStateMachine turns the ERROR diagnostics into its
// InvalidDefinition message:
//   Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: <message> at <location>'

#include <string>
#include <vector>

namespace stepd::asl {

enum class Severity { kError, kWarning };

struct Diagnostic {
  std::string code;      // "SCHEMA_VALIDATION_FAILED", "MISSING_TRANSITION_TARGET", ...
  std::string message;   // AWS's wording
  Severity severity = Severity::kError;
  std::string location;  // JSON pointer into the definition: "/States/A/Parameters"; may be empty

  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

using Diagnostics = std::vector<Diagnostic>;

}  // namespace stepd::asl
