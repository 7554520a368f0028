#include "stepd/asl/restart.h"

#include <string>
#include <vector>

#include "stepd/asl/states.h"

namespace stepd::asl {
namespace {

// True when `name` is a state somewhere inside `s` (a Parallel or Map);
// `enclosing` then ends with the states that hold it, outermost first.
bool FindInside(const State& s, std::string_view name, std::vector<const State*>* enclosing) {
  enclosing->push_back(&s);
  auto search = [&](const StateGraph& graph) {
    for (const auto& inner : graph.states) {
      if (inner->name == name || FindInside(*inner, name, enclosing)) return true;
    }
    return false;
  };
  if (s.type == StateType::kParallel) {
    for (const auto& branch : static_cast<const ParallelState&>(s).branches) {
      if (search(*branch)) return true;
    }
  } else if (s.type == StateType::kMap) {
    const auto& processor = static_cast<const MapState&>(s).processor;
    if (processor != nullptr && search(*processor)) return true;
  }
  enclosing->pop_back();
  return false;
}

Status BadEvent(size_t index, const RecordedEvent& e, std::string_view what) {
  return DataLossError("history event at index " + std::to_string(index) + " (" +
                       std::string(e.type) + "): " + std::string(what));
}

// The event's details object and its string "name".
StatusOr<Json> NamedDetails(size_t index, const RecordedEvent& e) {
  StatusOr<Json> details = ParseJson(e.details);
  if (!details.ok()) return BadEvent(index, e, "its details are not JSON");
  if (!details->is_object()) return BadEvent(index, e, "its details are not an object");
  auto name = details->find("name");
  if (name == details->end() || !name->is_string()) {
    return BadEvent(index, e, "its details have no string 'name'");
  }
  return details;
}

// A payload field: a JSON string holding JSON text.
StatusOr<Json> PayloadField(size_t index, const RecordedEvent& e, const Json& field,
                            std::string_view what) {
  if (!field.is_string()) return BadEvent(index, e, std::string(what) + " is not a string");
  StatusOr<Json> value = ParseJson(field.get_ref<const std::string&>());
  if (!value.ok()) return BadEvent(index, e, std::string(what) + " is not JSON text");
  return value;
}

}  // namespace

StatusOr<int> TopLevelStateIndex(const StateMachine& machine, std::string_view state) {
  const int index = machine.root.Find(state);
  if (index >= 0) return index;
  std::vector<const State*> enclosing;
  for (const auto& s : machine.root.states) {
    if (!FindInside(*s, state, &enclosing)) continue;
    const State& inner = *enclosing.back();
    std::string message = "State '" + std::string(state) +
                          "' is not a top-level state: it runs inside the " +
                          std::string(StateTypeName(inner.type)) + " state '" + inner.name + "'";
    if (enclosing.size() > 1) {
      message += ", within the top-level state '" + enclosing.front()->name + "'";
    }
    return InvalidArgumentError(message);
  }
  return InvalidArgumentError("The state machine has no state '" + std::string(state) + "'");
}

StatusOr<RestartPoint> FindRestartPoint(const StateMachine& machine, std::string_view state,
                                        std::span<const RecordedEvent> events) {
  STEPD_RETURN_IF_ERROR(TopLevelStateIndex(machine, state).status());
  RestartPoint point;
  // Names are unique across the machine: an entry named `state` is an entry
  // of the top-level state.
  Json last_entry;
  for (size_t i = 0; i < events.size(); ++i) {
    if (!events[i].type.ends_with("StateEntered")) continue;
    STEPD_ASSIGN_OR_RETURN(Json details, NamedDetails(i, events[i]));
    if (details["name"].get_ref<const std::string&>() != state) continue;
    point.entered = true;
    point.event_index = i;
    last_entry = std::move(details);
  }
  if (point.entered) {
    const RecordedEvent& e = events[point.event_index];
    auto input = last_entry.find("input");
    if (input == last_entry.end())
      return BadEvent(point.event_index, e, "its details have no 'input'");
    STEPD_ASSIGN_OR_RETURN(point.input, PayloadField(point.event_index, e, *input, "its 'input'"));
  }
  const size_t end = point.entered ? point.event_index : events.size();
  for (size_t i = 0; i < end; ++i) {
    const RecordedEvent& e = events[i];
    if (!e.type.ends_with("StateExited")) continue;
    STEPD_ASSIGN_OR_RETURN(Json details, NamedDetails(i, e));
    if (machine.root.Find(details["name"].get_ref<const std::string&>()) < 0) continue;
    auto assigned = details.find("assignedVariables");
    if (assigned == details.end()) continue;
    if (!assigned->is_object()) return BadEvent(i, e, "its 'assignedVariables' is not an object");
    if (!point.variables.is_object()) point.variables = Json::object();
    for (const auto& [name, text] : assigned->items()) {
      STEPD_ASSIGN_OR_RETURN(point.variables[name],
                             PayloadField(i, e, text, "the value of variable '" + name + "'"));
    }
  }
  return point;
}

}  // namespace stepd::asl
