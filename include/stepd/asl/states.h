#pragma once
// One small class per ASL state type (model: cel-cpp eval/eval/*_step.cc).
// Each is built by its factory in the compiler (src/asl/<type>_state.cc) and
// is immutable afterwards. Behaviour: the interpreter emits the
// <Type>StateEntered event and calls Enter(); the state then reports exactly
// one outcome through the StepContext (complete, fail, park until a time,
// schedule a task, start child units). When the awaited timer, task or child
// units finish, the interpreter calls Resume().

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stepd/asl/choice_rule.h"
#include "stepd/asl/intrinsics.h"
#include "stepd/asl/payload_template.h"
#include "stepd/asl/state_machine.h"
#include "stepd/asl/state_paths.h"
#include "stepd/base/json.h"

namespace stepd::asl {

namespace interpreter_internal {
class StepContext;  // src/asl/runner.h: the interpreter's side
struct Frame;  // src/asl/runner.h: a running unit
}  // namespace interpreter_internal
using interpreter_internal::StepContext;

class State {
 public:
  virtual ~State() = default;

  StateType type = StateType::kPass;
  std::string name;
  std::string location;  // "/States/Name" (nested: ".../Branches/0/States/Name")
  int next = -1;         // index in the same graph; -1 when End (or Choice/Succeed/Fail)
  bool end = false;

  SelectPath input_path;
  SelectPath output_path;
  ResultPath result_path;
  std::optional<PayloadTemplate> parameters;
  std::optional<PayloadTemplate> result_selector;
  std::optional<PayloadTemplate> assign;
  std::vector<Retrier> retriers;
  std::vector<Catcher> catchers;
  // False when no string of the state's definition contains "$$": the
  // context object then need not be built for it.
  bool uses_context = true;

  // JSONata states (query_language kJsonata) have none of the paths,
  // Parameters, ResultSelector or the PayloadTemplate Assign above; instead:
  QueryLanguage query_language = QueryLanguage::kJsonPath;
  std::optional<JsonataTemplate> arguments;       // Task, Parallel
  std::optional<JsonataTemplate> output;          // default: result or input
  std::optional<JsonataTemplate> jsonata_assign;  // Assign
  bool jsonata() const { return query_language == QueryLanguage::kJsonata; }

  virtual void Enter(StepContext& ctx) const = 0;
  // Default: completes with the effective input (Wait after its timer).
  virtual void Resume(StepContext& ctx) const;
};

class PassState final : public State {
 public:
  std::optional<Json> result;
  void Enter(StepContext& ctx) const override;
};

class TaskState final : public State {
 public:
  std::string resource;
  IntOrPath timeout_seconds;
  IntOrPath heartbeat_seconds;
  std::optional<Json> credentials;
  bool wait_for_task_token = false;
  void Enter(StepContext& ctx) const override;
  void Resume(StepContext& ctx) const override;
};

struct ChoiceBranch {
  ChoiceRule rule;  // JSONPath
  int next = -1;
  std::optional<PayloadTemplate> assign;
  // JSONata: Condition (a boolean literal or an expression), Output, Assign.
  std::optional<JsonataTemplate> condition;
  std::optional<JsonataTemplate> output;
  std::optional<JsonataTemplate> jsonata_assign;
};

class ChoiceState final : public State {
 public:
  std::vector<ChoiceBranch> choices;
  int default_next = -1;
  void Enter(StepContext& ctx) const override;
};

class WaitState final : public State {
 public:
  std::optional<int64_t> seconds;
  std::optional<std::string> timestamp;  // validated when the state runs, as AWS does
  std::optional<PathExpr> seconds_path;
  std::optional<PathExpr> timestamp_path;
  std::string path_text;  // SecondsPath or TimestampPath as written
  // JSONata: Seconds or Timestamp given as an expression.
  std::optional<JsonataTemplate> seconds_expression;
  std::optional<JsonataTemplate> timestamp_expression;
  void Enter(StepContext& ctx) const override;
};

class SucceedState final : public State {
 public:
  void Enter(StepContext& ctx) const override;
};

class FailState final : public State {
 public:
  std::optional<std::string> error;
  std::optional<std::string> cause;
  std::optional<PathExpr> error_path;
  std::optional<PathExpr> cause_path;
  std::optional<IntrinsicCall> error_call;  // ErrorPath given as an intrinsic function
  std::optional<IntrinsicCall> cause_call;
  std::string error_path_text;
  std::string cause_path_text;
  // JSONata: Error or Cause given as an expression.
  std::optional<JsonataTemplate> error_expression;
  std::optional<JsonataTemplate> cause_expression;
  void Enter(StepContext& ctx) const override;
};

class ParallelState final : public State {
 public:
  std::vector<std::unique_ptr<StateGraph>> branches;
  void Enter(StepContext& ctx) const override;
  void Resume(StepContext& ctx) const override;
};

class MapState final : public State {
 public:
  std::unique_ptr<StateGraph> processor;
  SelectPath items_path;
  std::optional<PayloadTemplate> item_selector;  // ItemSelector or legacy Parameters
  IntOrPath max_concurrency;
  std::optional<double> tolerated_failure_percentage;
  std::optional<PathExpr> tolerated_failure_percentage_path;
  std::string tolerated_failure_percentage_path_text;
  std::optional<int64_t> tolerated_failure_count;
  std::optional<PathExpr> tolerated_failure_count_path;
  std::string tolerated_failure_count_path_text;
  // JSONata: Items (an array, or an expression giving one), ItemSelector,
  // and the tolerated failures given as expressions.
  std::optional<JsonataTemplate> items;
  std::optional<JsonataTemplate> jsonata_item_selector;
  std::optional<JsonataTemplate> tolerated_failure_percentage_expression;
  std::optional<JsonataTemplate> tolerated_failure_count_expression;
  std::string label;
  bool distributed = false;
  // DISTRIBUTED: ProcessorConfig.ExecutionType of the child executions.
  StateMachineType child_execution_type = StateMachineType::kStandard;
  // ItemBatcher: items go to each child in batches {"BatchInput"?, "Items": [...]}.
  struct Batcher {
    IntOrPath max_items;  // MaxItemsPerBatch(Path); unset: no limit
    IntOrPath max_bytes;  // MaxInputBytesPerBatch(Path); unset: 256 KiB
    std::optional<PayloadTemplate> batch_input;
  };
  std::optional<Batcher> item_batcher;
  bool has_item_reader = false;
  bool has_result_writer = false;
  void Enter(StepContext& ctx) const override;
  void Resume(StepContext& ctx) const override;
  // Items a running unit of this state processes (its batches' items with
  // an ItemBatcher).
  int64_t TotalItems(const interpreter_internal::Frame& f) const;

 private:
  std::optional<Json> MakeBatches(StepContext& ctx, const Json& effective, Json items) const;
  // ItemSelector (either language) applied to item `index`; a JSONata
  // failure has been recorded as EvaluationFailed.
  AslResult<Json> SelectItem(StepContext& ctx, const Json& effective, int64_t index,
                             Json item) const;
};

}  // namespace stepd::asl
