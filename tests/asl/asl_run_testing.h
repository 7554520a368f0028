#pragma once
// Test support: compile a definition and drive one execution with a fake
// clock and scripted task answers.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "stepd/asl/compiler.h"
#include "stepd/asl/interpreter.h"
#include "stepd/base/clock.h"

namespace stepd::asl::testing {

// Answers tasks synchronously by state name: each call pops the next answer
// of that state (the last one repeats). Records every request.
class ScriptedInvoker final : public TaskInvoker {
 public:
  void Answer(const std::string& state, std::vector<AslResult<Json>> answers) {
    answers_[state] = std::move(answers);
  }
  void Invoke(const TaskRequest& request, std::function<void(AslResult<Json>)> done) override;
  std::vector<TaskRequest> requests;

 private:
  std::map<std::string, std::vector<AslResult<Json>>> answers_;
  std::map<std::string, size_t> calls_;
};

struct RunOutcome {
  ExecutionStatus status = ExecutionStatus::kRunning;
  Json output;
  AslError error;
  std::vector<HistoryEvent> events;
  std::vector<std::string> types;     // event types in order
  Duration elapsed{};                 // fake time spent
};

// Compiles `definition` (ADD_FAILURE on diagnostics) and runs it to the end.
RunOutcome RunDefinition(std::string_view definition, const Json& input,
                         ScriptedInvoker* invoker = nullptr, const ExecutionOptions& options = {});

// The machine, or ADD_FAILURE and null.
std::shared_ptr<const StateMachine> MustCompile(std::string_view definition);

// A fixed ExecutionInfo for tests.
ExecutionInfo TestInfo();
TimePoint TestStart();

}  // namespace stepd::asl::testing
