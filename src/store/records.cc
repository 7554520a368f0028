#include "stepd/store/records.h"

#include <array>
#include <utility>

#include "stepd/base/json.h"

namespace stepd::store {
namespace {

template <typename E, size_t N>
std::optional<E> Parse(const std::array<std::pair<E, std::string_view>, N>& table,
                       std::string_view name) {
  for (const auto& [value, text] : table) {
    if (text == name) return value;
  }
  return std::nullopt;
}

template <typename E, size_t N>
std::string_view Name(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, text] : table) {
    if (v == value) return text;
  }
  return "UNKNOWN";
}

constexpr std::array<std::pair<StateMachineType, std::string_view>, 2> kTypes{{
    {StateMachineType::kStandard, "STANDARD"},
    {StateMachineType::kExpress, "EXPRESS"},
}};
constexpr std::array<std::pair<StateMachineStatus, std::string_view>, 2> kMachineStatuses{{
    {StateMachineStatus::kActive, "ACTIVE"},
    {StateMachineStatus::kDeleting, "DELETING"},
}};
constexpr std::array<std::pair<ExecutionStatus, std::string_view>, 6> kExecutionStatuses{{
    {ExecutionStatus::kRunning, "RUNNING"},
    {ExecutionStatus::kSucceeded, "SUCCEEDED"},
    {ExecutionStatus::kFailed, "FAILED"},
    {ExecutionStatus::kTimedOut, "TIMED_OUT"},
    {ExecutionStatus::kAborted, "ABORTED"},
    {ExecutionStatus::kPendingRedrive, "PENDING_REDRIVE"},
}};
constexpr std::array<std::pair<MapRunStatus, std::string_view>, 4> kMapRunStatuses{{
    {MapRunStatus::kRunning, "RUNNING"},
    {MapRunStatus::kSucceeded, "SUCCEEDED"},
    {MapRunStatus::kFailed, "FAILED"},
    {MapRunStatus::kAborted, "ABORTED"},
}};

constexpr std::array<std::pair<ConnectionAuthorizationType, std::string_view>, 3>
    kConnectionAuthorizationTypes{{
        {ConnectionAuthorizationType::kBasic, "BASIC"},
        {ConnectionAuthorizationType::kOAuthClientCredentials, "OAUTH_CLIENT_CREDENTIALS"},
        {ConnectionAuthorizationType::kApiKey, "API_KEY"},
    }};
constexpr std::array<std::pair<ConnectionState, std::string_view>, 7> kConnectionStates{{
    {ConnectionState::kCreating, "CREATING"},
    {ConnectionState::kUpdating, "UPDATING"},
    {ConnectionState::kDeleting, "DELETING"},
    {ConnectionState::kAuthorized, "AUTHORIZED"},
    {ConnectionState::kDeauthorized, "DEAUTHORIZED"},
    {ConnectionState::kAuthorizing, "AUTHORIZING"},
    {ConnectionState::kDeauthorizing, "DEAUTHORIZING"},
}};

}  // namespace

std::string_view StateMachineTypeName(StateMachineType type) { return Name(kTypes, type); }
std::optional<StateMachineType> ParseStateMachineType(std::string_view name) {
  return Parse(kTypes, name);
}
std::string_view StateMachineStatusName(StateMachineStatus status) {
  return Name(kMachineStatuses, status);
}
std::optional<StateMachineStatus> ParseStateMachineStatus(std::string_view name) {
  return Parse(kMachineStatuses, name);
}
std::string_view ExecutionStatusName(ExecutionStatus status) {
  return Name(kExecutionStatuses, status);
}
std::optional<ExecutionStatus> ParseExecutionStatus(std::string_view name) {
  return Parse(kExecutionStatuses, name);
}

std::string_view MapRunStatusName(MapRunStatus status) { return Name(kMapRunStatuses, status); }
std::optional<MapRunStatus> ParseMapRunStatus(std::string_view name) {
  return Parse(kMapRunStatuses, name);
}

namespace {
constexpr std::array<std::pair<NotificationStatus, std::string_view>, 3> kNotificationStatuses{{
    {NotificationStatus::kPending, "PENDING"},
    {NotificationStatus::kDelivered, "DELIVERED"},
    {NotificationStatus::kDeadLetter, "DEAD_LETTER"},
}};
}  // namespace

std::string_view NotificationStatusName(NotificationStatus status) {
  return Name(kNotificationStatuses, status);
}
std::optional<NotificationStatus> ParseNotificationStatus(std::string_view name) {
  return Parse(kNotificationStatuses, name);
}

std::string_view ConnectionAuthorizationTypeName(ConnectionAuthorizationType type) {
  return Name(kConnectionAuthorizationTypes, type);
}
std::optional<ConnectionAuthorizationType> ParseConnectionAuthorizationType(std::string_view name) {
  return Parse(kConnectionAuthorizationTypes, name);
}
std::string_view ConnectionStateName(ConnectionState state) {
  return Name(kConnectionStates, state);
}
std::optional<ConnectionState> ParseConnectionState(std::string_view name) {
  return Parse(kConnectionStates, name);
}

std::string EncodeHistoryChunk(const std::vector<HistoryEventRecord>& events) {
  std::string out;
  size_t size = 2;
  for (const HistoryEventRecord& e : events) size += 64 + e.type.size() + e.details_json.size();
  out.reserve(size);
  out.push_back('[');
  for (size_t i = 0; i < events.size(); ++i) {
    const HistoryEventRecord& e = events[i];
    if (i > 0) out.push_back(',');
    out.push_back('[');
    out += std::to_string(e.event_id);
    out.push_back(',');
    out += std::to_string(e.previous_event_id);
    out += ",\"";
    AppendJsonStringBody(e.type, &out);
    out += "\",";
    out += std::to_string(e.timestamp_ms);
    out += ",\"";
    AppendJsonStringBody(e.details_key, &out);
    out += "\",";
    // details_json is JSON text written by the runtime; embedded as it is.
    out += e.details_key.empty() || e.details_json.empty() ? std::string_view("null")
                                                           : std::string_view(e.details_json);
    out.push_back(']');
  }
  out.push_back(']');
  return out;
}

void AppendHistoryChunk(std::string* chunk, std::string_view more) {
  if (more.size() <= 2) return;  // "[]"
  if (chunk->size() <= 2) {
    chunk->assign(more);
    return;
  }
  chunk->pop_back();  // ']'
  chunk->push_back(',');
  chunk->append(more.substr(1));
}

std::string_view ActivityTaskStateName(ActivityTaskState state) {
  switch (state) {
    case ActivityTaskState::kQueued:
      return "QUEUED";
    case ActivityTaskState::kStarted:
      return "STARTED";
    case ActivityTaskState::kSucceeded:
      return "SUCCEEDED";
    case ActivityTaskState::kFailed:
      return "FAILED";
    case ActivityTaskState::kClosed:
      return "CLOSED";
  }
  return "QUEUED";
}

std::optional<ActivityTaskState> ParseActivityTaskState(std::string_view name) {
  for (ActivityTaskState s :
       {ActivityTaskState::kQueued, ActivityTaskState::kStarted, ActivityTaskState::kSucceeded,
        ActivityTaskState::kFailed, ActivityTaskState::kClosed}) {
    if (ActivityTaskStateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view ScheduleCatchUpName(ScheduleCatchUp catch_up) {
  return catch_up == ScheduleCatchUp::kSkip ? "SKIP" : "LAST";
}

std::optional<ScheduleCatchUp> ParseScheduleCatchUp(std::string_view name) {
  if (name == "SKIP") return ScheduleCatchUp::kSkip;
  if (name == "LAST") return ScheduleCatchUp::kLast;
  return std::nullopt;
}

}  // namespace stepd::store
