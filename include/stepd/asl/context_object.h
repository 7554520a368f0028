#pragma once
// What an execution knows about itself, and the context object `$$` built
// from it for each state.

#include <cstdint>
#include <optional>
#include <string>

#include "stepd/base/clock.h"
#include "stepd/base/json.h"

namespace stepd::asl {

struct ExecutionInfo {
  std::string execution_arn;
  std::string name;
  std::string role_arn;
  std::string state_machine_arn;
  std::string state_machine_name;
  TimePoint start_time;
  int redrive_count = 0;
  // Set once redriven: when the latest redrive began (the machine's
  // TimeoutSeconds counts from it).
  std::optional<TimePoint> redrive_time;
};

// Per-state part of the context object.
struct StateContextInfo {
  std::string_view state_name;
  TimePoint entered_time;
  std::optional<int> retry_count;        // Task states only
  std::string_view task_token;           // empty when none
  const Json* map_item_index = nullptr;  // inside a Map's ItemSelector
  const Json* map_item_value = nullptr;
};

// {"Execution": {"Id","Input","StartTime","Name","RoleArn","RedriveCount"},
//  "StateMachine": {"Id","Name"}, "State": {"EnteredTime","Name"[,"RetryCount"]},
//  ["Task": {"Token"}], ["Map": {"Item": {"Index","Value"}}]}
Json BuildContextObject(const ExecutionInfo& execution, const Json& execution_input,
                        const StateContextInfo& state);

// ISO-8601 UTC with milliseconds, as AWS prints times in `$$`:
// "2024-07-15T13:00:19.123Z".
std::string FormatIsoTimestamp(TimePoint t);

// Parses an RFC 3339 / ISO-8601 extended offset date-time such as
// "2016-03-14T01:59:00Z" or "2016-03-14T01:59:00.123+01:00". nullopt when
// the text is not one (AWS rejects a missing 'T', missing offset, ...).
std::optional<TimePoint> ParseIsoTimestamp(std::string_view text);

}  // namespace stepd::asl
