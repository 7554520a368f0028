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

// Builds a JSON object from fresh keys in order, without nlohmann's
// initializer-list constructor (which copies every element through json_ref
// and costs thousands of instructions per object). Keys must be distinct:
// Add does not look for an existing key.
class JsonObjectBuilder {
 public:
  explicit JsonObjectBuilder(size_t capacity) : json_(Json::value_t::object) {
    object_ = json_.get_ptr<Json::object_t*>();
    object_->reserve(capacity);
  }
  JsonObjectBuilder& Add(std::string key, Json value) {
    object_->emplace_back(std::move(key), std::move(value));
    return *this;
  }
  Json Take() { return std::move(json_); }

 private:
  Json json_;
  Json::object_t* object_;
};

}  // namespace stepd::asl
