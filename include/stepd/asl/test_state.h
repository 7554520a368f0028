#pragma once
// TestState: runs ONE state of a definition on a given input, as the Step
// Functions TestState API does, and tells what became of it: its output and
// next state, the error it raised and whether its Retry or Catch handles it,
// and the intermediate values of its data flow (InputPath, Parameters, the
// result, ResultSelector, ResultPath, Assign).
//
// The state is compiled by the ordinary compiler and run by the ordinary
// interpreter (the same data-flow and Retry/Catch code as any execution);
// nothing is called and nothing waits:
//   * a Task state needs a mock: its result (or error) stands in for the
//     resource's answer and flows through ResultSelector/ResultPath/OutputPath
//     (or Retry/Catch);
//   * a Wait state answers at once with its next state;
//   * a Parallel or Map state with a mock takes the mocked result (an array)
//     as the whole state's result; without one its branches or iterations
//     run inline on the input, when they hold no Task state (a Wait inside
//     does not wait either).
// Pure: no I/O, no clock (the caller says what time it is). Thread-safe:
// each call owns everything it touches.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stepd/asl/context_object.h"
#include "stepd/asl/errors.h"
#include "stepd/base/clock.h"
#include "stepd/base/json.h"

namespace stepd::asl {

// What stands in for the resource of a Task (or a whole Parallel or Map).
struct TestStateMock {
  std::optional<Json> result;     // the resource answered this
  std::optional<AslError> error;  // or failed with this (exactly one of the two is set)
};

struct TestStateRequest {
  // The state's definition (a JSON object with "Type"), or, with
  // `state_name`, a whole state machine definition holding that state (at
  // any depth: Parallel branches and Map processors are searched too).
  std::string definition;
  std::optional<std::string> state_name;
  Json input = Json::object();  // the state's raw input
  Json variables;               // null, or an object: the variables in scope
  // Merged over the context object `$$` the state sees (RFC 7396).
  std::optional<Json> context;
  std::optional<TestStateMock> mock;
  // Retries of the matching Retrier that already happened (AWS's
  // stateConfiguration.retrierRetryCount): a mocked error is RETRIABLE only
  // while that Retrier has attempts left.
  int retrier_retry_count = 0;
  // `$$.Execution` and `$$.StateMachine`; `start_time` is also the state's
  // entered time.
  ExecutionInfo execution;
};

enum class TestStateStatus { kSucceeded, kFailed, kRetriable, kCaughtError };
// "SUCCEEDED", "FAILED", "RETRIABLE", "CAUGHT_ERROR".
std::string_view TestStateStatusName(TestStateStatus status);

// AWS's inspectionData: each value as the state saw it; unset when the
// state has no such step (a Pass with Result has no afterInputPath, a Choice
// no result...).
struct TestStateInspection {
  Json input;
  std::optional<Json> after_input_path;
  std::optional<Json> after_parameters;
  std::optional<Json> after_arguments;  // JSONata states: Arguments evaluated
  std::optional<Json> result;
  std::optional<Json> after_result_selector;
  std::optional<Json> after_result_path;
  // The variables in scope afterwards (the request's, then what Assign
  // stored); unset when there are none.
  std::optional<Json> variables;
  // errorDetails: the Retrier or Catcher (index in its array) that handled
  // the error, and the backoff before the retry (whole seconds, before jitter).
  std::optional<int> retry_index;
  std::optional<int64_t> retry_backoff_seconds;
  std::optional<int> catch_index;
};

struct TestStateResult {
  TestStateStatus status = TestStateStatus::kSucceeded;
  std::optional<Json> output;     // SUCCEEDED and CAUGHT_ERROR (the Catcher's ResultPath applied)
  std::optional<AslError> error;  // FAILED, RETRIABLE and CAUGHT_ERROR
  std::optional<std::string> next_state;  // when the state moves on (Next, a Choice, a Catcher)
  TestStateInspection inspection;
};

// Why nothing ran. kInvalidDefinition carries the compiler's
// InvalidDefinition message; kInvalidRequest a ValidationException text
// (a mock the state cannot take, a Task without one, an unknown state_name).
struct TestStateRejection {
  enum class Kind { kInvalidDefinition, kInvalidRequest };
  Kind kind = Kind::kInvalidRequest;
  std::string message;
};

struct TestStateOutcome {
  std::optional<TestStateRejection> rejection;  // set: nothing ran
  TestStateResult result;                       // when not rejected
};

TestStateOutcome TestState(const TestStateRequest& request);

// The name a definition of one state gives that state ($$.State.Name), as AWS.
inline constexpr std::string_view kTestStateDefaultName = "StateName";

}  // namespace stepd::asl
