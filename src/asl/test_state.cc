// TestState: one state through the interpreter's own Runner. The state is
// entered in a unit of its own (a root unit, whatever graph it lives in)
// whose StepContext reports to a StateProbe; the run stops as soon as that
// unit leaves the state (moves on, ends, fails or parks for a retry).
#include "stepd/asl/test_state.h"

#include <cmath>
#include <variant>

#include "runner.h"
#include "stepd/asl/compiler.h"

namespace stepd::asl {

using interpreter_internal::Frame;
using interpreter_internal::Phase;
using interpreter_internal::Runner;
using interpreter_internal::StateProbe;
using interpreter_internal::StepContext;

namespace {

// Inline branches and iterations stop after this many steps (a loop in a
// branch would otherwise never end); AWS stops a TestState after 5 minutes.
constexpr int kMaxInlineSteps = 25000;

struct Target {
  std::shared_ptr<const StateMachine> machine;
  const StateGraph* graph = nullptr;
  int index = -1;
  const State& state() const { return graph->state(index); }
};

TestStateRejection Invalid(std::string message) {
  return {TestStateRejection::Kind::kInvalidRequest, std::move(message)};
}

TestStateRejection InvalidDefinition(Diagnostics diagnostics, std::string_view prefix) {
  // Locations point into the state, as the caller wrote it.
  for (Diagnostic& d : diagnostics) {
    if (prefix.empty() || d.location.rfind(prefix, 0) != 0) continue;
    d.location.erase(0, prefix.size());
    if (d.location.empty()) d.location = "/";
  }
  return {TestStateRejection::Kind::kInvalidDefinition, InvalidDefinitionMessage(diagnostics)};
}

// Compiles a definition of one state as the machine {"StartAt": name,
// "States": {name: state, ...}}, every state it names as a transition
// standing in as a Succeed state.
std::variant<Target, TestStateRejection> CompileOneState(const std::string& definition) {
  auto parsed = ParseJson(definition);
  if (!parsed.ok() || !parsed.value().is_object()) {
    return InvalidDefinition(Compile(definition).diagnostics, "");
  }
  const Json& state = parsed.value();
  if (state.contains("States") && state.contains("StartAt")) {
    return Invalid(
        "The definition is a whole state machine: name the state to test with stateName");
  }
  const std::string name(kTestStateDefaultName);
  Json states = Json::object();
  states[name] = state;
  auto stand_in = [&](const Json& holder) {
    if (!holder.is_object()) return;
    for (const char* field : {"Next", "Default"}) {
      auto it = holder.find(field);
      if (it != holder.end() && it->is_string() && !states.contains(it->get<std::string>())) {
        states[it->get<std::string>()] = Json{{"Type", "Succeed"}};
      }
    }
  };
  stand_in(state);
  for (const char* list : {"Choices", "Catch"}) {
    auto it = state.find(list);
    if (it == state.end() || !it->is_array()) continue;
    for (const Json& element : *it) stand_in(element);
  }
  const Json machine = {{"StartAt", name}, {"States", std::move(states)}};
  CompileResult compiled = Compile(machine.dump());
  if (!compiled.ok()) return InvalidDefinition(std::move(compiled.diagnostics), "/States/" + name);
  Target t;
  t.machine = std::move(compiled.machine);
  t.graph = &t.machine->root;
  t.index = t.graph->Find(name);
  return t;
}

std::variant<Target, TestStateRejection> CompileMachine(const std::string& definition,
                                                        const std::string& state_name) {
  CompileResult compiled = Compile(definition);
  if (!compiled.ok()) return InvalidDefinition(std::move(compiled.diagnostics), "");
  Target t;
  t.machine = std::move(compiled.machine);
  for (const StateGraph* g : t.machine->graphs) {
    if (int i = g->Find(state_name); i >= 0) {
      t.graph = g;
      t.index = i;
      return t;
    }
  }
  return Invalid("State '" + state_name + "' is not in the definition");
}

// The first Task state inside `state`'s branches or item processor.
const State* NestedTask(const State& state) {
  std::vector<const StateGraph*> graphs;
  if (state.type == StateType::kParallel) {
    for (const auto& b : static_cast<const ParallelState&>(state).branches) graphs.push_back(&*b);
  } else if (state.type == StateType::kMap) {
    graphs.push_back(&*static_cast<const MapState&>(state).processor);
  }
  for (const StateGraph* g : graphs) {
    for (const auto& s : g->states) {
      if (s->type == StateType::kTask) return &*s;
      if (const State* inner = NestedTask(*s)) return inner;
    }
  }
  return nullptr;
}

std::optional<TestStateRejection> CheckMock(const State& state,
                                            const std::optional<TestStateMock>& mock) {
  const bool mockable = state.type == StateType::kTask || state.type == StateType::kParallel ||
                        state.type == StateType::kMap;
  const std::string type(StateTypeName(state.type));
  if (mock && !mockable) {
    return Invalid("State type '" + type + "' is not supported when a mock is specified");
  }
  if (!mock && state.type == StateType::kTask) {
    return Invalid("TestState needs a mock to test the Task state '" + state.name +
                   "': stepd does not call its resource '" +
                   static_cast<const TaskState&>(state).resource +
                   "' from TestState. Give mock.result or mock.errorOutput");
  }
  if (!mock && mockable) {
    if (const State* task = NestedTask(state)) {
      return Invalid("TestState runs a " + type + " state without a mock only when no Task " +
                     "state is inside it, and '" + task->name + "' is one: give a mock for " +
                     "the whole " + type + " state '" + state.name + "'");
    }
  }
  if (mock && mock->result && state.type == StateType::kParallel) {
    if (!mock->result->is_array()) return Invalid("Mocked result must be an array.");
    if (mock->result->size() != static_cast<const ParallelState&>(state).branches.size()) {
      return Invalid(
          "Mocked result must contain the same number of items as number of Parallel branches.");
    }
  }
  if (mock && mock->result && state.type == StateType::kMap) {
    if (static_cast<const MapState&>(state).has_result_writer) {
      if (!mock->result->is_object()) return Invalid("Mocked result must be a JSON object.");
    } else if (!mock->result->is_array()) {
      return Invalid("Mocked result must be an array.");
    }
  }
  return std::nullopt;
}

// What the run did, read off the Runner and the probe of `unit`.
TestStateResult Summarise(const TestStateRequest& request, const State& state, Runner& runner,
                          const Frame* unit, const StateProbe& probe) {
  TestStateResult r;
  TestStateInspection& in = r.inspection;
  in.input = request.input;
  in.after_input_path = probe.after_input_path;
  in.after_parameters = probe.after_parameters;
  // A Fail state reads its input whole; AWS shows it as afterInputPath.
  if (state.type == StateType::kFail) in.after_input_path = request.input;
  if (state.jsonata()) {
    // JSONata states have no paths: AWS shows afterArguments and the result.
    in.after_arguments = std::move(in.after_parameters);
    in.after_parameters.reset();
    in.after_input_path.reset();
  }
  const bool has_result = state.type == StateType::kPass || state.type == StateType::kTask ||
                          state.type == StateType::kParallel || state.type == StateType::kMap;
  if (has_result) {
    // A Pass state's input is its result unless it has a Result of its own.
    const bool pass_input =
        state.type == StateType::kPass && !static_cast<const PassState&>(state).result.has_value();
    if (!pass_input) in.result = probe.result;
    in.after_result_selector = probe.after_result_selector;
    in.after_result_path = probe.after_result_path;
  }
  Json variables = request.variables.is_object() ? request.variables : Json::object();
  if (probe.assigned.is_object()) {
    for (const auto& [k, v] : probe.assigned.items()) variables[k] = v;
  }
  if (!variables.empty()) in.variables = std::move(variables);

  if (runner.status_ == ExecutionStatus::kSucceeded) {
    r.status = TestStateStatus::kSucceeded;
    r.output = runner.output_;
  } else if (runner.status_ != ExecutionStatus::kRunning || unit == nullptr) {
    r.status = TestStateStatus::kFailed;
    r.error = runner.error_;
  } else if (unit->phase == Phase::kRetry) {
    r.status = TestStateStatus::kRetriable;
    r.error = probe.handled_error;
    in.retry_index = probe.retry_index;
    in.retry_backoff_seconds = std::llround(probe.retry_delay_seconds);
  } else {
    r.status = probe.catch_index >= 0 ? TestStateStatus::kCaughtError : TestStateStatus::kSucceeded;
    if (probe.catch_index >= 0) {
      r.error = probe.handled_error;
      in.catch_index = probe.catch_index;
    }
    r.output = unit->raw_input;
    r.next_state = runner.GraphOf(*unit).state(unit->state).name;
  }
  return r;
}

}  // namespace

std::string_view TestStateStatusName(TestStateStatus status) {
  switch (status) {
    case TestStateStatus::kSucceeded:
      return "SUCCEEDED";
    case TestStateStatus::kFailed:
      return "FAILED";
    case TestStateStatus::kRetriable:
      return "RETRIABLE";
    case TestStateStatus::kCaughtError:
      return "CAUGHT_ERROR";
  }
  return "FAILED";
}

TestStateOutcome TestState(const TestStateRequest& request) {
  TestStateOutcome outcome;
  auto compiled = request.state_name ? CompileMachine(request.definition, *request.state_name)
                                     : CompileOneState(request.definition);
  if (auto* rejection = std::get_if<TestStateRejection>(&compiled)) {
    outcome.rejection = std::move(*rejection);
    return outcome;
  }
  const Target& target = std::get<Target>(compiled);
  const State& state = target.state();
  if (auto rejection = CheckMock(state, request.mock)) {
    outcome.rejection = std::move(*rejection);
    return outcome;
  }

  ExecutionOptions options;
  options.record_history = false;
  options.jitter_seed = 1;
  Runner runner(target.machine, options);
  runner.info_ = request.execution;
  runner.input_ = request.input;
  if (request.context) runner.context_patch_ = *request.context;
  StateProbe probe;
  runner.probe_ = &probe;
  Frame& unit = runner.NewFrame(0, target.graph->id, request.input);
  unit.state = target.index;
  if (request.variables.is_object() && !request.variables.empty()) {
    unit.variables = request.variables;
  }
  probe.unit = unit.id;
  const int64_t unit_id = unit.id;
  TimePoint now = request.execution.start_time;
  const bool mocked_children = request.mock && state.type != StateType::kTask;
  // A unit that ends takes the Runner's frames with it (EndExecution).
  auto live = [&]() -> Frame* {
    return runner.status_ == ExecutionStatus::kRunning ? runner.Find(unit_id) : nullptr;
  };
  auto retried_before = [&](Frame& f) {
    f.retry_attempts.assign(state.retriers.size(), request.retrier_retry_count);
    f.retry_count = request.retrier_retry_count;
  };

  if (mocked_children) {
    // The mock is the whole Parallel or Map state's result: nothing inside runs.
    unit.entered_time = now;
    retried_before(unit);
    unit.entered_event_id = runner.Emit(&unit, now, "TestStateEntered", "", std::string());
    StepContext ctx(runner, unit, state, now);
    std::optional<Json> effective = ctx.EffectiveInput(state.type == StateType::kParallel);
    if (effective) {
      if (request.mock->result) {
        ctx.Complete(*request.mock->result, true);
      } else {
        ctx.Fail(*request.mock->error);
      }
    }
  } else {
    runner.EnterState(unit, now);
  }

  bool mock_used = mocked_children;
  int steps = 0;
  while (Frame* f = live()) {
    if (f->phase == Phase::kTimer) {
      // A Wait state moves on at once.
      f->wake_at.reset();
      runner.parked_.erase(f->id);
      StepContext ctx(runner, *f, state, now);
      state.Resume(ctx);
    } else if (f->phase == Phase::kTask && !mock_used) {
      mock_used = true;
      retried_before(*f);
      if (request.mock->result) {
        f->task_result = AslResult<Json>(*request.mock->result);
      } else {
        f->task_result = AslResult<Json>(*request.mock->error);
      }
      StepContext ctx(runner, *f, state, now);
      state.Resume(ctx);
    } else if (f->phase == Phase::kChildren) {
      // Branches and iterations run inline; their Waits and retry backoffs
      // do not wait.
      StepResult step = runner.Step(now);
      const bool stalled = step.kind == StepResult::Kind::kBlocked && !step.wake_at;
      if (step.kind == StepResult::Kind::kBlocked && step.wake_at) {
        now = std::max(now, *step.wake_at);
      }
      if (stalled || ++steps > kMaxInlineSteps) {
        runner.status_ = ExecutionStatus::kFailed;
        runner.error_ = AslError::Of(
            StatesError::kRuntime,
            stalled ? "TestState could not run the branches or iterations of '" + state.name + "'"
                    : "TestState stopped '" + state.name + "' after " +
                          std::to_string(kMaxInlineSteps) + " steps of its branches or iterations");
      }
    } else {
      break;  // moved on, or parked for a retry
    }
  }
  outcome.result = Summarise(request, state, runner, live(), probe);
  return outcome;
}

}  // namespace stepd::asl
