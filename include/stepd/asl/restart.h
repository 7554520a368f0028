#pragma once
// Restarting from a top-level state: an operator starts a NEW execution of
// a machine directly at a top-level state X (Execution::StartAt), with the
// input and the workflow variables an earlier execution had when it last
// entered X. This header finds those in the earlier execution's history.
//
// Why the history suffices: every *StateExited event of a state that
// assigned variables carries them ("assignedVariables", each value as JSON
// text), so the top-level variables at any point are the fold, in order, of
// the assignedVariables of the events of top-level states before it. State
// names are unique across a machine (the compiler enforces it), so an
// event's "name" tells a top-level state from one inside a Parallel branch
// or a Map iteration, whose assignments never reach the top level.
//
// Pure functions of their arguments; any thread may call them.

#include <cstddef>
#include <span>
#include <string_view>

#include "stepd/asl/state_machine.h"
#include "stepd/base/json.h"
#include "stepd/base/status_or.h"

namespace stepd::asl {

// The index in `machine.root` of the top-level state `state`.
// INVALID_ARGUMENT "The state machine has no state 'X'", or, for a state
// inside a Parallel branch or a Map's processor, "State 'X' is not a
// top-level state: it runs inside the Parallel state 'P'" (followed by
// ", within the top-level state 'T'" when P is itself nested).
StatusOr<int> TopLevelStateIndex(const StateMachine& machine, std::string_view state);

// One event of a recorded history, as the store keeps it. Both views must
// outlive the call that reads them.
struct RecordedEvent {
  std::string_view type;     // "TaskStateEntered", ...
  std::string_view details;  // the event's details object as JSON text; "" when none
};

struct RestartPoint {
  bool entered = false;  // the old execution entered the state (at least once)
  Json input;            // the input it had at its last entry (null when !entered)
  // The top-level variables at that entry; when !entered, those it had when
  // its history ends. Null when none were ever assigned.
  Json variables;
  size_t event_index = 0;  // index in `events` of that *StateEntered event (0 when !entered)
};

// Where a restart of the execution whose history is `events` (in order,
// ExecutionStarted first; its own events only, not those of child
// executions of a DISTRIBUTED Map) at top-level state `state` starts.
// Redrives (ExecutionRedriven, then the failed state entered again) need no
// special case: the fold goes on through them.
// Errors: INVALID_ARGUMENT as TopLevelStateIndex; DATA_LOSS, naming the
// event's index and type, when a *StateEntered or *StateExited event whose
// fields are needed has details that are not the JSON the interpreter
// writes (an object with a string "name", a string "input" holding JSON
// text, an object "assignedVariables" of strings holding JSON text).
StatusOr<RestartPoint> FindRestartPoint(const StateMachine& machine, std::string_view state,
                                        std::span<const RecordedEvent> events);

}  // namespace stepd::asl
