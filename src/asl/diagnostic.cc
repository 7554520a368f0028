#include "stepd/asl/diagnostic.h"

#include <utility>

namespace stepd::asl {

void SchemaErrorCollector::Report(std::string message, const std::string& location) {
  if (first_error_.empty()) first_error_ = message + " at " + location;
  if (diagnostics_ != nullptr) {
    diagnostics_->push_back(
        Diagnostic{"SCHEMA_VALIDATION_FAILED", std::move(message), Severity::kError, location});
  }
}

}  // namespace stepd::asl
