#pragma once
// The compiled, immutable form of an Amazon States Language definition.
//
// A StateMachine is built once by asl::Compile (compiler.h) and shared by
// every execution of it (std::shared_ptr<const StateMachine>); nothing in it
// changes afterwards, so any number of threads may read it at once. States
// are addressed by index inside their StateGraph; every path, payload
// template, intrinsic and Choice rule is pre-parsed.
//
// Nesting: the top-level graph holds the states of "States"; a Parallel state
// owns one StateGraph per branch and a Map state owns the StateGraph of its
// ItemProcessor (or legacy Iterator). Each graph has a stable `id` (its
// position in a depth-first walk, root = 0) so that an execution snapshot can
// name a graph without pointers.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "stepd/asl/jsonata_template.h"
#include "stepd/asl/payload_template.h"
#include "stepd/asl/state_paths.h"
#include "stepd/base/json.h"

namespace stepd::asl {

class State;

enum class QueryLanguage { kJsonPath, kJsonata };
enum class StateMachineType { kStandard, kExpress };

enum class StateType { kPass, kTask, kChoice, kWait, kSucceed, kFail, kParallel, kMap };

// "Pass", "Task", ... as written in definitions and history event names.
std::string_view StateTypeName(StateType type);

// One element of a state's "Retry" array.
struct Retrier {
  std::vector<std::string> error_equals;
  double interval_seconds = 1;
  int max_attempts = 3;
  double backoff_rate = 2.0;
  std::optional<double> max_delay_seconds;
  bool full_jitter = false;  // JitterStrategy "FULL"

  // True when `error` is named by ErrorEquals (States.ALL matches anything
  // but States.Runtime, as AWS does; States.TaskFailed matches any error
  // except States.Timeout... see Matches in the .cc for the exact table).
  // A missed heartbeat raises States.Timeout (`heartbeat_timeout` set),
  // which "States.HeartbeatTimeout" matches too, as on AWS.
  bool Matches(std::string_view error, bool heartbeat_timeout = false) const;
  // The delay before retry number `attempt` (0-based), before jitter.
  double DelaySeconds(int attempt) const;
};

// One element of a state's "Catch" array.
struct Catcher {
  std::vector<std::string> error_equals;
  int next = -1;           // index of the Next state in the same graph
  ResultPath result_path;  // default "$"
  std::optional<PayloadTemplate> assign;
  // JSONata states: Output (default $states.errorOutput) and Assign.
  std::optional<JsonataTemplate> output;
  std::optional<JsonataTemplate> jsonata_assign;

  bool Matches(std::string_view error, bool heartbeat_timeout = false) const;
};

// The states of one scope: the top level, a Parallel branch or a Map processor.
class StateGraph {
 public:
  int id = 0;            // stable number within the state machine (root = 0)
  std::string location;  // JSON pointer of this graph: "" (root), "/States/P/Branches/0"
  int start = 0;         // index of StartAt
  std::vector<std::unique_ptr<State>> states;
  std::unordered_map<std::string, int> index_by_name;

  const State& state(int i) const { return *states[static_cast<size_t>(i)]; }
  // -1 when absent.
  int Find(std::string_view name) const;
};

class StateMachine {
 public:
  QueryLanguage query_language = QueryLanguage::kJsonPath;
  StateMachineType type = StateMachineType::kStandard;
  std::optional<int64_t> timeout_seconds;  // top-level TimeoutSeconds
  std::string comment;
  Json definition;                        // as parsed
  StateGraph root;                        // graph id 0
  std::vector<const StateGraph*> graphs;  // every graph, by id

  const StateGraph* graph(int id) const {
    return id >= 0 && static_cast<size_t>(id) < graphs.size() ? graphs[static_cast<size_t>(id)]
                                                              : nullptr;
  }
};

// A duration or a number that may instead be read from the input by a path
// (JSONPath states) or computed by a JSONata expression (JSONata states).
struct IntOrPath {
  std::optional<int64_t> value;
  std::optional<PathExpr> path;
  std::string path_text;
  std::optional<JsonataTemplate> expression;
  bool present() const { return value.has_value() || path.has_value() || expression.has_value(); }
};

}  // namespace stepd::asl
