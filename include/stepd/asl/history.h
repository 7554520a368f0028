#pragma once
// History events as GetExecutionHistory returns them. The interpreter appends
// events with ids 1..N in the order they happen; the durable runtime takes
// them after each step (Execution::TakeEvents) and persists them.

#include <cstdint>
#include <string>

#include "stepd/base/clock.h"
#include "stepd/base/json.h"

namespace stepd::asl {

struct HistoryEvent {
  int64_t id = 0;
  int64_t previous_event_id = 0;
  TimePoint timestamp;
  std::string type;         // "PassStateEntered", "ExecutionSucceeded", ...
  std::string details_key;  // "stateEnteredEventDetails", ...; empty when none
  Json details;             // the details object (AWS field names)

  // {"timestamp": <epoch seconds>, "type", "id", "previousEventId", <details_key>: details}
  Json ToAwsJson() const;
};

// The `inputDetails`/`outputDetails` companion AWS puts next to payloads.
Json PayloadDetails(bool truncated = false);

}  // namespace stepd::asl
