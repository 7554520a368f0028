#pragma once
// Private to the runtime: turning what the interpreter produced into the
// store's records, and merging the commits of one execution.

#include <optional>
#include <string>

#include "stepd/asl/history.h"
#include "stepd/asl/interpreter.h"
#include "stepd/store/records.h"

namespace stepd::runtime::internal {

int64_t ToMillis(TimePoint t);
TimePoint FromMillis(int64_t ms);

store::ExecutionStatus ToStoreStatus(asl::ExecutionStatus status);

// A Map Run as the interpreter reported it, for the store: run by the
// Map state of execution `execution_arn` (absent limits are 0).
store::MapRunRecord ToMapRunRecord(const asl::MapRunInfo& run, const std::string& execution_arn);

// The event as the store keeps it (details moved out of `event`).
store::HistoryEventRecord ToRecord(asl::HistoryEvent&& event);

// True for the events that move an execution from one state to another:
// ExecutionStarted, *StateEntered, the execution's end and its redrive.
bool IsTransition(const asl::HistoryEvent& event);

// The audit row of a transition event of execution `target`, by `actor`:
// action = the event type, event_id = its id, details {"from","to"} (state
// names; for ExecutionStarted, "to" is `start_state`). No payloads, errors
// or causes: audit text carries no data of the workflow. `origin_json`, a
// JSON object (the request that caused the event: StartRequest::origin_json),
// adds its members to the details.
store::AuditEntry TransitionAudit(const asl::HistoryEvent& event, const std::string& target,
                                  const std::string& actor, std::string_view start_state,
                                  std::string_view origin_json = {});

// For a child execution's ExecutionSucceeded/Failed/Aborted/TimedOut event:
// sets the final status, output or error and cause, and stop time.
void ApplyExecutionEnd(const asl::HistoryEvent& event, store::ExecutionUpdate* update);

// For an ExecutionRedriven event: the execution is RUNNING again (its end
// cleared), with the event's redriveCount and time.
void ApplyExecutionRedrive(const asl::HistoryEvent& event, store::ExecutionUpdate* update);

// Encodes the events into events_chunk (on the calling thread, not the
// writer's) and frees their details.
void SealEvents(store::Transition& t);

// Applies `later` (a later commit of the same execution) on top of
// `earlier`: events and audit rows appended, update fields `later` sets
// replace those of `earlier`, a `create` kept.
void MergeTransition(store::Transition& earlier, store::Transition&& later);
// The same for groups: transitions matched by execution ARN, new ones
// appended in order.
void MergeGroup(store::TransitionGroup& earlier, store::TransitionGroup&& later);

}  // namespace stepd::runtime::internal
