#include "stepd/store/records.h"

#include <array>
#include <utility>

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

}  // namespace stepd::store
