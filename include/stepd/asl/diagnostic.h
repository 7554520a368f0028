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
  std::string code;     // "SCHEMA_VALIDATION_FAILED", "MISSING_TRANSITION_TARGET", ...
  std::string message;  // AWS's wording
  Severity severity = Severity::kError;
  std::string location;  // JSON pointer into the definition: "/States/A/Parameters"; may be empty

  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

using Diagnostics = std::vector<Diagnostic>;

// Collects the SCHEMA_VALIDATION_FAILED diagnostics of one compile call: each
// goes to `diagnostics` (when not null), and the first is kept as
// "<message> at <location>" for the Status the compile call returns.
class SchemaErrorCollector {
 public:
  explicit SchemaErrorCollector(Diagnostics* diagnostics) : diagnostics_(diagnostics) {}

  void Report(std::string message, const std::string& location);
  bool failed() const { return !first_error_.empty(); }
  const std::string& first_error() const { return first_error_; }

 private:
  Diagnostics* diagnostics_;  // not owned; may be null
  std::string first_error_;
};

}  // namespace stepd::asl
