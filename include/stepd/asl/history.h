#pragma once
// History events as GetExecutionHistory returns them. The interpreter appends
// events with ids 1..N in the order they happen; the durable runtime takes
// them after each step (Execution::TakeEvents) and persists them.
//
// An event's details are kept as the JSON text AWS shows (payloads such as
// `input` and `output` are JSON strings holding JSON text), built once when
// the event happens: the runtime stores that text as it is, and nothing deep
// copies a payload into a DOM that is only serialised later.

#include <cstdint>
#include <string>
#include <string_view>

#include "stepd/base/clock.h"
#include "stepd/base/json.h"

namespace stepd::asl {

struct HistoryEvent {
  int64_t id = 0;
  int64_t previous_event_id = 0;
  // 0: an event of the execution itself. Otherwise the id of the child
  // execution (Execution::TakeChildExecutions) whose history it belongs to;
  // ids and previous ids then count within that child's history.
  int64_t child_execution = 0;
  TimePoint timestamp;
  // Both point to static storage (string literals): "PassStateEntered", ...
  std::string_view type;
  std::string_view details_key;  // "stateEnteredEventDetails", ...; empty when none
  // The details object as JSON text; empty when details_key is empty.
  std::string details;
  // For the audit log, pointing into the StateMachine (valid while it
  // lives): the state an event belongs to (empty for execution events), and
  // for a *StateEntered event the state its unit left for it (empty at the
  // unit's start).
  std::string_view state;
  std::string_view from_state;

  // The details parsed (null when there are none). For tests and tools.
  Json DetailsJson() const;
  // {"timestamp": <epoch seconds>, "type", "id", "previousEventId", <details_key>: details}
  Json ToAwsJson() const;
  // The same object as compact JSON text, appended to `out`.
  void AppendAwsJson(std::string* out) const;
};

// Builds an event's details object as JSON text, fields in call order. Keys
// must be distinct and need no escaping (they are AWS field names).
class EventDetails {
 public:
  EventDetails() {
    text_.reserve(128);
    text_.push_back('{');
  }
  EventDetails& String(std::string_view key, std::string_view value);
  EventDetails& Int(std::string_view key, int64_t value);
  EventDetails& Bool(std::string_view key, bool value);
  // `value` as a JSON value (not as text in a string).
  EventDetails& Value(std::string_view key, const Json& value);
  // `value`'s JSON text inside a JSON string, as AWS shows payloads, then
  // "<key>Details": {"truncated": false} when `details_key` is given.
  EventDetails& Payload(std::string_view key, const Json& value, std::string_view details_key = {});
  std::string Take() {
    text_.push_back('}');
    return std::move(text_);
  }

 private:
  void Key(std::string_view key);
  std::string text_;
};

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
