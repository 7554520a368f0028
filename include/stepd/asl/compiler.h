#pragma once
// Definition text -> immutable StateMachine, or the diagnostics AWS reports.

#include <memory>
#include <string>
#include <string_view>

#include "stepd/asl/diagnostic.h"
#include "stepd/asl/state_machine.h"

namespace stepd::asl {

struct CompileOptions {
  // STANDARD or EXPRESS: EXPRESS rejects .waitForTaskToken and .sync resources.
  StateMachineType type = StateMachineType::kStandard;
};

struct CompileResult {
  std::shared_ptr<const StateMachine> machine;  // null when any ERROR diagnostic
  Diagnostics diagnostics;                      // errors first, then warnings

  bool ok() const { return machine != nullptr; }
};

// Validates and compiles `definition` (JSON text). Never throws; everything
// AWS rejects at CreateStateMachine time is an ERROR diagnostic. States use
// the machine's QueryLanguage (JSONPath by default) unless they name their
// own; a JSONata machine cannot have JSONPath states. Every JSONata
// expression ("{% ... %}") is parsed here: a syntax error is a diagnostic at
// the string that holds it.
CompileResult Compile(std::string_view definition, const CompileOptions& options = {});

// CreateStateMachine's InvalidDefinition message for the first ERROR:
//   "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: <message> at <location>'"
// (several errors are joined with ", ").
std::string InvalidDefinitionMessage(const Diagnostics& diagnostics);

// "STANDARD"/"EXPRESS" (case-insensitive); false for anything else.
bool ParseStateMachineType(std::string_view text, StateMachineType* out);

}  // namespace stepd::asl
